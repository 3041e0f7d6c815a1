"""Batch predictions: a file of rows in, their ids with predictions out, from the pickle.

By default a file with any row that breaks the contract is refused whole, with the report. With
``rejects``, the valid rows are scored and the others written, with the rules each breaks, to a
file of their own; both files then carry ``row``, the row's number in the input (from 1).
Outputs are written atomically and never over the input; an existing output is replaced only
when asked (``overwrite``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .data import SUFFIXES, DataError, conform, load_table, write_table
from .predictor import LocalPredictor
from .validation import InvalidDataError, broken_rows, validate_frame


@dataclass(frozen=True)
class BatchResult:
    predicted: int  # rows scored and written to the output
    rejected: int = 0  # rows set aside in the rejects file


def predict_file(
    source: Path | str,
    target: Path | str,
    predictor: LocalPredictor,
    *,
    rejects: Path | str | None = None,
    overwrite: bool = False,
) -> BatchResult:
    """Validate the feature columns, predict the valid rows with ``predictor`` (a verified
    registered model), write ids and predictions."""
    source, target = Path(source), Path(target)
    rejects = None if rejects is None else Path(rejects)
    _check_outputs(source, [p for p in (target, rejects) if p is not None], overwrite=overwrite)
    contract = predictor.contract
    frame = load_table(source, contract).reset_index(drop=True)
    if frame.empty:
        raise DataError(f"{source}: no rows to predict (only a header)")
    requests = contract.for_requests()
    missing = [name for name in requests.feature_names if name not in frame.columns]
    if missing:
        raise DataError(f"{source}: missing feature columns {missing}")
    features = frame[requests.feature_names]
    report = validate_frame(features, requests, source=str(source))
    if not report.success and rejects is None:
        raise InvalidDataError(report)
    reasons = pd.Series("", index=frame.index)
    while not report.success:  # again on the rest: a column of mixed types hides range rules
        kept = reasons == ""
        reasons[kept] = broken_rows(report, features[kept], requests)
        rest = conform(features[reasons == ""], requests)
        report = validate_frame(rest, requests, source=str(source))
    valid = reasons == ""
    if rejects is not None:
        _write_numbered(frame[~valid].assign(reasons=reasons[~valid]), rejects)
        if not valid.any():
            raise DataError(f"{source}: every row breaks the contract; reasons in {rejects}")

    scored = conform(frame[valid], requests)
    predictions = predictor.predict_columns({n: scored[n] for n in requests.feature_names})
    ids = [c.name for c in contract.columns if c.role == "id" and c.name in frame.columns]
    result = scored[ids].copy()
    result["prediction"] = [prediction.value for prediction in predictions]
    if predictions and predictions[0].probabilities is not None:
        for label in predictions[0].probabilities:
            result[f"probability_{label}"] = [p.probabilities[label] for p in predictions]
    if rejects is None:
        write_table(result.reset_index(drop=True), target)
    else:
        _write_numbered(result, target)
    return BatchResult(predicted=len(result), rejected=int((~valid).sum()))


def _write_numbered(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` with its rows' numbers in the input (from 1) as the first column, ``row``."""
    if "row" in frame.columns:
        raise DataError(f"{path}: the input has a column named 'row', which --rejects adds")
    write_table(frame.reset_index(names="row").assign(row=lambda f: f["row"] + 1), path)


def _check_outputs(source: Path, outputs: list[Path], *, overwrite: bool) -> None:
    """Refuse outputs that would replace the input, each other, or (unasked) existing files."""
    for output in outputs:
        if output.suffix.lower() not in SUFFIXES:
            raise DataError(
                f"{output}: unsupported output type {output.suffix!r}; use .csv or .parquet"
            )
        if output.resolve() == source.resolve():
            raise DataError(f"{output}: is the input file; write the output somewhere else")
        if output.exists() and not overwrite:
            raise DataError(f"{output}: exists; pass --overwrite to replace it")
    if len(outputs) == 2 and outputs[0].resolve() == outputs[1].resolve():
        raise DataError(f"{outputs[0]}: the output and the rejects file must differ")
