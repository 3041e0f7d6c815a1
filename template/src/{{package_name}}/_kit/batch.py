"""Batch predictions: a file of rows in, their ids with predictions out, from the pickle."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .contract import Contract
from .data import SUFFIXES, DataError, load_table
from .predictor import LocalPredictor
from .validation import InvalidDataError, validate_frame


def predict_file(
    source: Path | str,
    target: Path | str,
    contract: Contract,
    models_dir: Path,
    version: str | None = None,
) -> int:
    """Validate the feature columns, predict every row, write ids and predictions; row count."""
    source, target = Path(source), Path(target)
    if target.suffix.lower() not in SUFFIXES:
        raise DataError(
            f"{target}: unsupported output type {target.suffix!r}; use .csv or .parquet"
        )
    frame = load_table(source, contract)
    requests = contract.for_requests()
    missing = [name for name in requests.feature_names if name not in frame.columns]
    if missing:
        raise DataError(f"{source}: missing feature columns {missing}")
    report = validate_frame(frame[requests.feature_names], requests, source=str(source))
    if not report.success:
        raise InvalidDataError(report)

    predictor = LocalPredictor.from_registry(models_dir, version, contract)
    predictions = predictor.predict_columns({name: frame[name] for name in requests.feature_names})
    ids = [c.name for c in contract.columns if c.role == "id" and c.name in frame.columns]
    result = frame[ids].reset_index(drop=True)
    result["prediction"] = [prediction.value for prediction in predictions]
    if predictions and predictions[0].probabilities is not None:
        for label in predictions[0].probabilities:
            result[f"probability_{label}"] = [p.probabilities[label] for p in predictions]
    _write(result, target)
    return len(result)


def _write(frame: pd.DataFrame, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if target.suffix.lower() == ".csv":
            frame.to_csv(target, index=False)
        else:
            frame.to_parquet(target, index=False)
    except OSError as exc:
        raise DataError(f"{target}: cannot write ({exc.strerror})") from exc
