"""Batch predictions on Spark (``predict --engine spark``), as ``batch.predict_file`` makes them.

The registered model is verified on the driver as for any load (``Registry.load``: checksum,
signature, library versions, contract). Its pickle's bytes then travel with the scoring
function, and each Python worker on the executors checks their SHA-256 again and unpickles them
once (``_predictor``); ``mapInPandas`` hands that worker batches of rows, scored by the same
``LocalPredictor`` as the local path, so the predictions are the same to the last bit.

Invalid rows are handled as locally: the input is refused with the validation report, or, with
``rejects``, the valid rows are scored and the others written, with the rules each breaks, to a
file of their own; both then carry ``row``, the row's number in the input (from 1). Outputs are
folders of part files named like files (``scored.parquet/``, ``scored.csv/``), in input order;
never over the input, and an existing output is replaced only with ``overwrite``. Here they are
written beside their place and then moved into it; on a cluster, by Spark's own committer.
"""

from __future__ import annotations

import hashlib
import pickle
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as sf
from pyspark.sql.types import DoubleType, StringType, StructField, StructType

from ..batch import BatchResult
from ..contract import Contract
from ..data import SUFFIXES, DataError, conform
from ..predictor import LocalPredictor
from ..records import Metadata
from ..registry import RegistryError
from ..validation import InvalidDataError, ValidationReport, build_suite
from .session import SparkError, active
from .tables import POSITION, Table, col, is_uri, on_this_machine, typed_columns
from .validation import offending, opened, validate_table

REASONS, RAW = "reasons", "__proto_to_mvp_raw_"
# Each Python worker's models, unpickled once: pickle SHA-256 -> predictor.
_PREDICTORS: dict[str, LocalPredictor] = {}


@dataclass(frozen=True)
class ShippedModel:
    """A verified model as it travels to the executors: pickled, with its digest and contract."""

    pickled: bytes
    sha256: str
    version: str
    metadata: Metadata
    contract: Contract

    @classmethod
    def of(cls, predictor: LocalPredictor) -> ShippedModel:
        pickled = pickle.dumps(predictor.model, protocol=pickle.HIGHEST_PROTOCOL)
        digest = hashlib.sha256(pickled).hexdigest()
        return cls(pickled, digest, predictor.model_version, predictor.metadata, predictor.contract)


def _predictor(model: ShippedModel) -> LocalPredictor:
    """The model in this worker, unpickled the first time it is asked for."""
    if model.sha256 not in _PREDICTORS:
        if hashlib.sha256(model.pickled).hexdigest() != model.sha256:
            raise RegistryError(f"model {model.version}: its pickle changed on the way")
        loaded = pickle.loads(model.pickled)  # verified on the driver, checked here
        _PREDICTORS[model.sha256] = LocalPredictor(loaded, model.metadata, model.contract)
    return _PREDICTORS[model.sha256]


def predict_path(
    source: Path | str,
    target: Path | str,
    predictor: LocalPredictor,
    *,
    rejects: Path | str | None = None,
    overwrite: bool = False,
) -> BatchResult:
    """Validate the feature columns, predict the valid rows with ``predictor`` (a verified
    registered model), write ids and predictions; on the active session (``spark_session``)."""
    source, target = str(source), str(target)
    rejects = None if rejects is None else str(rejects)
    local = on_this_machine(active())
    outputs = [path for path in (target, rejects) if path is not None]
    _check_outputs(source, outputs, local=local, overwrite=overwrite)
    model = ShippedModel.of(predictor)
    requests = predictor.contract.for_requests()
    with opened(source) as table:
        columns = [name for name in table.frame.columns if name != POSITION]
        missing = [name for name in requests.feature_names if name not in columns]
        if table.frame.isEmpty():
            raise DataError(f"{source}: no rows to predict (only a header)")
        if missing:
            raise DataError(f"{source}: missing feature columns {missing}")
        if rejects is not None and "row" in columns:
            raise DataError(f"{rejects}: the input has a column named 'row', which --rejects adds")
        typed = _checked(table, predictor.contract, refuse=rejects is None)
        valid = col(REASONS) == ""
        if rejects is not None:
            typed = typed.withColumn("row", table.numbers.column())
        counts = typed.agg(sf.count(sf.when(valid, 1)), sf.count(sf.when(~valid, 1))).first()
        predicted, rejected = (int(counts[0]), int(counts[1])) if counts else (0, 0)
        if rejects is not None:
            originals = [
                col(RAW + name).alias(name) if RAW + name in typed.columns else col(name)
                for name in columns
            ]
            refused = typed.filter(~valid).select("row", *originals, REASONS)
            _write(refused, rejects, local=local, overwrite=overwrite)
            if not predicted:
                raise DataError(f"{source}: every row breaks the contract; reasons in {rejects}")
        scored = _scored(typed.filter(valid), model, numbered=rejects is not None)
        _write(scored, target, local=local, overwrite=overwrite)
    return BatchResult(predicted=predicted, rejected=rejected)


def _checked(table: Table, contract: Contract, *, refuse: bool) -> DataFrame:
    """The table typed by the contract, with ``REASONS``: the rules each row breaks, or "".

    As ``batch.predict_file``: validate the feature columns; refuse them (``refuse``), or mark
    the rows that break the reported rules and validate the rest again, typed anew, until it
    holds (a column of mixed types hides its range rules until its text is set aside).
    """
    requests = contract.for_requests()
    names = list(table.frame.columns)
    base = table.frame.withColumn(REASONS, sf.lit(""))
    checked = None  # rows validated in the round before
    while True:
        declared = [name for name in names if name in {c.name for c in contract.columns}]
        typed = base.select(
            *typed_columns(base, contract, text=table.text, where=col(REASONS) == ""),
            *(col(name).alias(RAW + name) for name in declared),
        )
        rest = typed.filter(col(REASONS) == "").select(*requests.feature_names, POSITION)
        report = validate_table(table, rest, requests)
        if report.success:
            return typed
        if refuse:
            raise InvalidDataError(report)
        if report.rows == checked:  # no row was set aside: the rules and rows disagree
            raise SparkError(f"cannot tell which rows break: {report.render()}")
        checked = report.rows
        marked = typed.withColumn(
            REASONS,
            sf.when(
                col(REASONS) == "", _broken(report, typed, requests, text=table.text)
            ).otherwise(col(REASONS)),
        )
        base = marked.select(
            *(col(RAW + name).alias(name) if name in declared else col(name) for name in names),
            REASONS,
        )


def _broken(
    report: ValidationReport, frame: DataFrame, contract: Contract, *, text: bool
) -> Column:
    """Per row, the rules of ``report`` it breaks (as ``validation.broken_rows``), or ""."""
    rules = {
        (rule.expectation_type, getattr(rule, "column", None)): rule.configuration.kwargs
        for rule in build_suite(contract).expectations
    }
    reasons = []
    for failure in report.failures:
        if failure.unexpected is None:
            raise ValueError(f"table rules are broken: {failure.rule}")
        rule = offending(
            failure.expectation, rules[failure.expectation, failure.column], frame, text=text
        )
        if rule.window is not None:
            raise ValueError(f"rows breaking {failure.expectation} cannot be set aside one by one")
        reason = f"{failure.column}: {failure.rule}"
        reasons.append(sf.when(rule.condition(0), sf.lit(reason)))
    return sf.concat_ws("; ", *reasons)


def _scored(frame: DataFrame, model: ShippedModel, *, numbered: bool) -> DataFrame:
    """Ids and predictions (and ``row``, when ``numbered``) of every row of ``frame``."""
    contract = model.contract
    ids = [c.name for c in contract.columns if c.role == "id" and c.name in frame.columns]
    head = (["row"] if numbered else []) + ids
    features = contract.for_requests().feature_names
    inputs = frame.select(*map(col, head), *map(col, features))
    first = pd.DataFrame([row.asDict() for row in inputs.limit(1).collect()], dtype=object)
    sample = _result(_predictor(model), first, head)  # the output's columns and types
    fields = [inputs.schema[name] for name in head]
    for name in sample.columns[len(head) :]:
        kind = StringType() if sample[name].dtype == object else DoubleType()
        fields.append(StructField(name, kind))
    return inputs.mapInPandas(_score_batches(model, head), StructType(fields))


def _score_batches(
    model: ShippedModel, head: list[str]
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        predictor = _predictor(model)
        for batch in batches:
            if len(batch):
                yield _result(predictor, batch, head)

    return score


def _result(predictor: LocalPredictor, batch: pd.DataFrame, head: list[str]) -> pd.DataFrame:
    """``head`` columns, the prediction and each label's probability, as ``predict_file``."""
    requests = predictor.contract.for_requests()
    scored = conform(batch, requests)
    predictions = predictor.predict_columns({n: scored[n] for n in requests.feature_names})
    result = batch[head].reset_index(drop=True)
    result["prediction"] = pd.Series([p.value for p in predictions], dtype=object)
    if predictions and predictions[0].probabilities is not None:
        for label in predictions[0].probabilities:
            result[f"probability_{label}"] = [p.probabilities[label] for p in predictions]
    if predictions and not isinstance(predictions[0].value, str):
        result["prediction"] = result["prediction"].astype(float)
    return result


def _check_outputs(source: str, outputs: list[str], *, local: bool, overwrite: bool) -> None:
    """Refuse outputs that would replace the input, each other, or (unasked) existing files."""
    places = [_place(path, local=local) for path in outputs]
    for output, place in zip(outputs, places, strict=True):
        if Path(output.rstrip("/")).suffix.lower() not in SUFFIXES:
            raise DataError(
                f"{output}: unsupported output type; name it like a file: .csv or .parquet"
            )
        if place == _place(source, local=local):
            raise DataError(f"{output}: is the input; write the output somewhere else")
        if local and not is_uri(output) and Path(output).exists() and not overwrite:
            raise DataError(f"{output}: exists; pass --overwrite to replace it")
    if len(places) == 2 and places[0] == places[1]:
        raise DataError(f"{outputs[0]}: the output and the rejects file must differ")


def _place(path: str, *, local: bool) -> str:
    return str(Path(path).resolve()) if local and not is_uri(path) else path.rstrip("/")


def _write(frame: DataFrame, path: str, *, local: bool, overwrite: bool) -> None:
    """A folder of part files at ``path``: Parquet, or CSV with a header, by its suffix."""
    kind = "csv" if Path(path.rstrip("/")).suffix.lower() == ".csv" else "parquet"
    writer = frame.write.format(kind).option("header", True)
    if not local or is_uri(path):
        try:
            writer.mode("overwrite" if overwrite else "error").save(path)
        except AnalysisException as exc:
            raise DataError(f"{path}: exists; pass --overwrite to replace it ({exc})") from exc
        return
    final = Path(path)
    staging = final.with_name(f".{final.name}.{uuid.uuid4().hex[:12]}.incoming")
    old = final.with_name(f".{final.name}.{uuid.uuid4().hex[:12]}.replaced")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        writer.save(str(staging.absolute()))
        if final.exists():
            final.rename(old)
        staging.rename(final)
    except OSError as exc:
        raise DataError(f"{path}: cannot write ({exc.strerror})") from exc
    finally:
        for leftover in (staging, old):
            if leftover.is_dir():
                shutil.rmtree(leftover)
            elif leftover.exists():
                leftover.unlink()
