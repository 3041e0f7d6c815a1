"""Read raw tables (CSV or Parquet) with one-line errors instead of tracebacks."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .errors import ProjectError

SUFFIXES = (".csv", ".parquet", ".pq")


class DataError(ProjectError):
    """A data file cannot be read; the message names the file and the problem."""


def load_table(path: Path | str, *, text_columns: Iterable[str] = ()) -> pd.DataFrame:
    """Read a CSV (UTF-8) or Parquet file into a DataFrame.

    ``text_columns`` are read as text rather than guessed (pass ``contract.text_columns``).
    Types are not enforced here: validation reports wrong values per column.
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
        return _read_csv(path, list(text_columns))
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from exc


def _read_csv(path: Path, text_columns: list[str]) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=dict.fromkeys(text_columns, str), encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not UTF-8 text (bad byte at offset {exc.start}); re-save it as UTF-8"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path}: no header row: the file has no columns") from exc
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: malformed CSV ({str(exc).strip()})") from exc
