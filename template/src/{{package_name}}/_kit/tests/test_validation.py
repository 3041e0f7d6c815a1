from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ..contract import Contract, parse_contract
from ..data import load_table
from ..settings import Settings
from ..validation import (
    InvalidDataError,
    ValidationReport,
    build_suite,
    load_valid,
    validate_frame,
)


def test_suite_translates_every_rule_of_the_contract() -> None:
    contract = parse_contract(
        {
            "table": {"min_rows": 5, "unique": ["id"]},
            "columns": {
                "id": {"type": "integer", "role": "id"},
                "size": {"type": "float", "min": 0, "nullable": True},
                "kind": {"type": "category", "allowed": ["a", "b"], "role": "target"},
            },
        }
    )
    suite = build_suite(contract)
    rules = [(e.expectation_type, getattr(e, "column", None)) for e in suite.expectations]
    assert rules == [
        ("expect_table_columns_to_match_set", None),
        ("expect_table_row_count_to_be_between", None),
        ("expect_column_proportion_of_unique_values_to_be_between", "id"),
        ("expect_column_values_to_be_in_type_list", "id"),
        ("expect_column_proportion_of_non_null_values_to_be_between", "id"),
        ("expect_column_values_to_be_in_type_list", "size"),
        ("expect_column_min_to_be_between", "size"),
        ("expect_column_proportion_of_non_null_values_to_be_between", "kind"),
        ("expect_column_distinct_values_to_be_in_set", "kind"),
    ]


def test_example_data_meets_the_contract(example_frame: pd.DataFrame, contract: Contract) -> None:
    report = validate_frame(example_frame, contract, source="example")
    assert report.success, report.render()
    assert report.render() == f"example: valid (1000 rows, {report.checks} checks passed)"


def _set(frame: pd.DataFrame, column: str, row: int, value: object) -> pd.DataFrame:
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    return frame


@pytest.fixture(scope="module")
def broken_report(
    tmp_path_factory: pytest.TempPathFactory, _example_rows: pd.DataFrame, contract: Contract
) -> ValidationReport:
    """The example data with one defect of each kind, written to CSV and validated once."""
    frame = _example_rows.drop(columns=["hour"]).assign(colour="red")
    for column, row, value in [
        ("order_id", 12, 14),
        ("region", 7, "mars"),
        ("distance_km", 3, 140.5),
        ("items", 10, "three"),
        (contract.target.name, 11, None),
    ]:
        frame = _set(frame, column, row, value)
    path = tmp_path_factory.mktemp("broken") / "broken.csv"
    frame.to_csv(path, index=False)
    return validate_frame(load_table(path, contract), contract, source=str(path))


# defect: (column at fault, reason, rows at fault as (row, value); rows count from 1)
DEFECTS = {
    "missing column": (None, "missing columns ['hour']", []),
    "extra column": (None, "extra columns ['colour']", []),
    "repeated key": ("order_id", "values must be unique", [(13, 14), (14, 14)]),
    "outside the allowed set": ("region", "one of centre, north", [(8, "mars")]),
    "out of range": ("distance_km", "values must be at most 100", [(4, 140.5)]),
    "wrong type": ("items", "values must be integer, the column is", [(11, "three")]),
    "null where not allowed": ("target", "values must not be missing", [(12, None)]),
}


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_known_bad_data_fails_for_the_right_reason(
    defect: str, broken_report: ValidationReport, contract: Contract
) -> None:
    column, reason, rows = DEFECTS[defect]
    column = contract.target.name if column == "target" else column
    matching = [f for f in broken_report.failures if f.column == column and reason in f.rule]
    assert len(matching) == 1, broken_report.render()
    assert matching[0].examples == rows
    if rows:
        assert matching[0].unexpected == len(rows)


def test_each_defect_is_reported_once_and_nothing_else(broken_report: ValidationReport) -> None:
    """Rules on a missing or mistyped column would only repeat the root cause."""
    assert len(broken_report.failures) == len(DEFECTS) - 1  # missing and extra share one rule
    assert "INVALID (1000 rows, 6 of" in broken_report.render()


def test_too_few_rows(tmp_path: Path, example_frame: pd.DataFrame, contract: Contract) -> None:
    path = tmp_path / "header-only.csv"
    example_frame.head(0).to_csv(path, index=False)
    report = validate_frame(load_table(path, contract), contract)
    assert [failure.rule for failure in report.failures] == ["needs at least 100 rows, found 0"]


def test_report_as_json_for_machines(broken_report: ValidationReport) -> None:
    report = json.loads(broken_report.to_json())
    assert report["success"] is False
    assert report["rows"] == 1000
    assert report["failures"][2] == {
        "expectation": "expect_column_distinct_values_to_be_in_set",
        "column": "region",
        "rule": "values must be one of centre, north, south, east, west",
        "unexpected": 1,
        "share": 0.001,
        "examples": [[8, "mars"]],
    }


def test_training_data_is_refused_with_the_report(
    tmp_path: Path, example_frame: pd.DataFrame, contract: Contract
) -> None:
    path = tmp_path / "train.csv"
    _set(example_frame, "distance_km", 0, -5.0).to_csv(path, index=False)
    with pytest.raises(InvalidDataError) as refused:
        load_valid(path, contract)
    assert refused.value.exit_code == 1
    assert str(refused.value) == refused.value.report.render()
    assert "row 1 = -5.0" in str(refused.value)


def test_valid_training_data_is_returned_conformed(contract: Contract, settings: Settings) -> None:
    frame = load_valid(settings.data, contract)
    assert len(frame) == 1000
    assert frame["region"].map(type).eq(str).all()
