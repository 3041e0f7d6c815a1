"""Read raw tables (CSV or Parquet) with one-line errors, and give columns their contract types."""

from __future__ import annotations

import csv
import os
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd

from .contract import Contract
from .errors import ProjectError

SUFFIXES = (".csv", ".parquet", ".pq")


class DataError(ProjectError):
    """A data file cannot be read; the message names the file and the problem."""


def load_table(path: Path | str, contract: Contract | None = None) -> pd.DataFrame:
    """Read a CSV (UTF-8) or Parquet file; with a contract, conform its column types.

    Nothing is rejected here for its values: validation reports those, per column and row.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"{path}: unsupported file type {suffix!r}; use .csv or .parquet")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    if suffix == ".csv":
        frame = _read_csv(path, contract)
    else:
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: not a readable Parquet file ({exc})") from exc
    return conform(frame, contract) if contract else frame


def conform(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """Canonical types for contract columns, without inventing or dropping values.

    Text stays text (so codes like "007" survive) and categories become pandas categoricals
    (compact, and fast to filter); integer columns that hold only whole numbers become nullable
    integers (a CSV column with gaps arrives as floats). Values that do not fit are left as
    they are for validation to report.
    """
    frame = frame.copy()
    for column in contract.columns:
        if column.name not in frame.columns:
            continue
        values = frame[column.name]
        if column.type == "category":
            frame[column.name] = _as_text(values).astype("category")
        elif column.type == "string":
            frame[column.name] = _as_text(values)
        elif column.type in ("integer", "float"):
            frame[column.name] = _as_number(values, whole=column.type == "integer")
    return frame


def _as_text(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(values):
        return values
    return values.map(str, na_action="ignore").astype(object)


def _as_number(values: pd.Series, *, whole: bool) -> pd.Series:
    """Numbers held as objects (rows from JSON, with None) become numeric; text stays text."""
    if values.dtype == object:
        if not values.dropna().map(is_number).all():
            return values
        values = pd.to_numeric(values).astype(float)
    if whole and pd.api.types.is_float_dtype(values):
        present = values.dropna()
        if (present == present.round()).all():
            return values.astype("Int64")
    return values


def is_number(value: object) -> bool:
    """A real number, and not a boolean (True is an int to Python, not a number to the contract)."""
    return isinstance(value, Real) and not isinstance(value, bool | np.bool_)


def _read_csv(path: Path, contract: Contract | None) -> pd.DataFrame:
    text_columns = contract.text_columns if contract else []
    try:
        frame = pd.read_csv(path, dtype=dict.fromkeys(text_columns, str), encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not UTF-8 text (bad byte at offset {exc.start}); re-save it as UTF-8"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path}: no header row: the file has no columns") from exc
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: malformed CSV ({str(exc).strip()})") from exc
    _refuse_repeated_names(path)
    numeric = (
        [c.name for c in contract.columns if c.type in ("integer", "float")] if contract else []
    )
    for name in numeric:
        if name in frame.columns and not pd.api.types.is_numeric_dtype(frame[name]):
            frame[name] = _parse_numbers(frame[name])
    return frame


def _refuse_repeated_names(path: Path) -> None:
    """pandas renames a repeated column ("a", "a.1"): refuse the file instead, naming it."""
    with path.open(encoding="utf-8", newline="") as file:
        header = next(csv.reader(file), [])
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(f"{path}: the header repeats the columns {repeated}; names must be unique")


def _parse_numbers(cells: pd.Series) -> pd.Series:
    """A number column with a bad cell reads as text: keep the bad cells, parse the rest."""
    numbers = pd.to_numeric(cells, errors="coerce")
    return numbers.astype(object).where(numbers.notna() | cells.isna(), cells)


def write_table(frame: pd.DataFrame, path: Path | str) -> None:
    """Write CSV or Parquet (by suffix) atomically: never a cut-off file in its place.

    The rows go to a temporary file in the same folder, which is then renamed over ``path``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"{path}: unsupported file type {suffix!r}; use .csv or .parquet")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            frame.to_csv(temporary, index=False)
        else:
            frame.to_parquet(temporary, index=False)
        os.replace(temporary, path)
    except OSError as exc:
        raise DataError(f"{path}: cannot write ({exc.strerror})") from exc
    finally:
        if temporary.exists():  # False under a file that is no folder: nothing to clean
            temporary.unlink()
