from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ..contract import Contract, parse_contract
from ..data import DataError, conform, load_table

CODES = parse_contract(
    {
        "columns": {
            "code": {"type": "category", "allowed": ["007", "010"]},
            "count": {"type": "integer", "nullable": True},
            "value": {"type": "float", "role": "target", "nullable": True},
        }
    }
)


def test_csv_keeps_codes_as_text_and_gappy_integers_as_integers(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("code,count,value\n007,1,1.5\n010,,\n", encoding="utf-8")
    frame = load_table(path, CODES)
    assert frame["code"].tolist() == ["007", "010"]
    assert str(frame["count"].dtype) == "Int64"
    assert frame["count"].isna().tolist() == [False, True]
    assert frame["value"].isna().tolist() == [False, True]


def test_without_a_contract_types_are_guessed(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("code,count,value\n007,1,1.5\n", encoding="utf-8")
    assert load_table(path)["code"].tolist() == [7]


def test_conform_keeps_values_it_cannot_convert_for_validation_to_report() -> None:
    raw = pd.DataFrame({"code": [7, 10], "count": ["three", 2], "value": [None, None]})
    frame = conform(raw, CODES)
    assert frame["code"].tolist() == ["7", "10"]
    assert frame["count"].tolist() == ["three", 2], "text in a number column is left as text"
    assert pd.api.types.is_float_dtype(frame["value"]), "all-missing numbers become float NaN"


@pytest.mark.parametrize(
    ("values", "dtype"), [([1.0, 2.0, None], "Int64"), ([1.5, None], "float64"), ([True], "object")]
)
def test_conform_integer_columns(values: list, dtype: str) -> None:
    frame = conform(pd.DataFrame({"count": pd.Series(values, dtype=object)}), CODES)
    assert str(frame["count"].dtype) == dtype


def test_parquet_round_trip(tmp_path: Path, sample_rows: pd.DataFrame, contract: Contract) -> None:
    path = tmp_path / "rows.parquet"
    sample_rows.to_parquet(path)
    pd.testing.assert_frame_equal(
        _gaps_as_none(load_table(path, contract)), _gaps_as_none(sample_rows)
    )


def _gaps_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Gaps in columns of Python objects (booleans with gaps) as None: NaN and None both mean
    missing, and Parquet keeps only one of them."""
    for name in frame.columns:
        if pd.api.types.is_object_dtype(frame[name]):
            frame[name] = frame[name].where(frame[name].notna(), None)
    return frame


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("rows.csv", None, "no such file"),
        ("rows.xlsx", b"x", "unsupported file type '.xlsx'"),
        ("rows.csv", b"", "the file is empty"),
        ("rows.csv", "a,b\n1,caf\u00e9\n".encode("latin-1"), "not UTF-8 text"),
        ("rows.csv", b"\n\n", "no header row"),
        ("rows.csv", b'a,b\n1,"unclosed\n', "malformed CSV"),
        ("rows.parquet", b"not parquet at all", "not a readable Parquet file"),
        ("rows.csv", b"a,b,a,b,c\n1,2,3,4,5\n", r"the header repeats the columns \['a', 'b'\]"),
    ],
)
def test_unreadable_files_get_a_one_line_error(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match=message) as error:
        load_table(path)
    assert str(path) in str(error.value)
    assert "\n" not in str(error.value)
