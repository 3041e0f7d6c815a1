from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from ..contract import Column, Contract, parse_contract
from ..data import load_table
from ..errors import ProjectError
from ..settings import Settings
from ..validation import (
    InvalidDataError,
    ValidationReport,
    _plain,
    build_suite,
    load_valid,
    validate_frame,
)
from .conftest import UNKNOWN, find_column, outside, sample_size, unlisted

NUMBERS = ("integer", "float")


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


def test_sample_rows_meet_the_contract(sample_rows: pd.DataFrame, contract: Contract) -> None:
    report = validate_frame(sample_rows, contract, source="samples")
    assert report.success, report.render()
    assert (
        report.render()
        == f"samples: valid ({len(sample_rows)} rows, {report.checks} checks passed)"
    )


def _set(frame: pd.DataFrame, column: str, row: int, value: object) -> pd.DataFrame:
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    return frame


@dataclass(frozen=True)
class Defect:
    """One defect put into the sample rows: where, and what the report must say about it."""

    column: str | None  # the column at fault, None for a table rule
    reason: str  # part of the rule's words (all of them when ``whole``)
    rows: list[tuple[int, object]]  # rows at fault as (row, value); rows count from 1
    cells: tuple[tuple[str, int, object], ...] = ()  # (column, row index, value) to set
    drop: str | None = None  # a column to drop
    whole: bool = False

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        for column, row, value in self.cells:
            frame = _set(frame, column, row, value)
        return frame.drop(columns=[self.drop]) if self.drop else frame


# kind: (which columns can take it, which are preferred, (row index, bad value, reason, whole))
CELL_DEFECTS: dict[str, tuple[Callable[[Column], bool], Callable[[Column], bool], Callable]] = {
    "outside the allowed set": (
        lambda c: c.type == "category",
        lambda c: not c.nullable,
        lambda c: (7, unlisted(c), f"values must be one of {', '.join(c.allowed)}", True),
    ),
    "out of range": (
        lambda c: c.type in NUMBERS and c.max is not None,
        lambda c: c.role == "feature",
        lambda c: (3, outside(c, "max"), f"values must be at most {c.max:g}", True),
    ),
    "wrong type": (
        lambda c: c.type in NUMBERS,
        lambda c: True,
        lambda c: (10, "three", f"values must be {c.type}, the column is", False),
    ),
    "null where not allowed": (
        lambda c: not c.nullable,
        lambda c: c.role == "target",
        lambda c: (11, None, "values must not be missing", False),
    ),
}


def _plan(contract: Contract, frame: pd.DataFrame) -> dict[str, Defect]:
    """One defect of each kind the contract allows, each in a column of its own."""
    free = [c for c in contract.columns if c.name not in contract.unique]
    plan = {"extra column": Defect(None, f"extra columns ['{UNKNOWN}']", [])}
    if contract.unique:
        plan["repeated key"] = _repeated_key(contract, frame)
    for kind, (fits, preferred, make) in CELL_DEFECTS.items():
        choices = sorted((c for c in free if fits(c)), key=lambda c: not preferred(c))
        if choices:
            column = choices[0]
            free.remove(column)
            row, value, reason, whole = make(column)
            plan[kind] = Defect(
                column.name, reason, [(row + 1, value)], ((column.name, row, value),), whole=whole
            )
    dropped = [c for c in free if c.role == "feature"]
    if dropped:
        name = dropped[0].name
        plan["missing column"] = Defect(None, f"missing columns ['{name}']", [], drop=name)
    return plan


def _repeated_key(contract: Contract, frame: pd.DataFrame) -> Defect:
    """Row 13's key copied into row 12 (rows 13 and 14 counting from 1)."""
    keys = list(contract.unique)
    value = [_plain(v) for v in frame[keys].iloc[13]]
    cells = tuple((name, 12, part) for name, part in zip(keys, value, strict=True))
    if len(keys) == 1:
        return Defect(keys[0], "values must be unique", [(13, value[0]), (14, value[0])], cells)
    reason = f"rows must be unique by {', '.join(keys)}"
    return Defect(None, reason, [(13, value), (14, value)], cells)


@pytest.fixture(scope="module")
def defects(_sample_rows: pd.DataFrame, contract: Contract) -> dict[str, Defect]:
    return _plan(contract, _sample_rows)


@pytest.fixture(scope="module")
def broken_report(
    tmp_path_factory: pytest.TempPathFactory,
    _sample_rows: pd.DataFrame,
    contract: Contract,
    defects: dict[str, Defect],
) -> ValidationReport:
    """The sample rows with one defect of each kind, written to CSV and validated once."""
    frame = _sample_rows.assign(**{UNKNOWN: "red"})  # the extra column
    for defect in defects.values():
        frame = defect.apply(frame)
    path = tmp_path_factory.mktemp("broken") / "broken.csv"
    frame.to_csv(path, index=False)
    return validate_frame(load_table(path, contract), contract, source=str(path))


KINDS = [
    "missing column",
    "extra column",
    "repeated key",
    "outside the allowed set",
    "out of range",
    "wrong type",
    "null where not allowed",
]


@pytest.mark.parametrize("kind", KINDS)
def test_known_bad_data_fails_for_the_right_reason(
    kind: str, defects: dict[str, Defect], broken_report: ValidationReport
) -> None:
    if kind not in defects:
        pytest.skip(f"the contract has no column for a {kind!r} defect")
    defect = defects[kind]
    matching = [
        f
        for f in broken_report.failures
        if f.column == defect.column
        and (f.rule == defect.reason if defect.whole else defect.reason in f.rule)
    ]
    assert len(matching) == 1, broken_report.render()
    assert matching[0].examples == defect.rows
    if defect.rows:
        assert matching[0].unexpected == len(defect.rows)


def test_each_defect_is_reported_once_and_nothing_else(
    defects: dict[str, Defect], broken_report: ValidationReport, sample_rows: pd.DataFrame
) -> None:
    """Rules on a missing or mistyped column would only repeat the root cause."""
    shared = {"missing column", "extra column"} <= set(defects)  # both break one rule
    expected = len(defects) - shared
    assert len(broken_report.failures) == expected, broken_report.render()
    assert f"INVALID ({len(sample_rows)} rows, {expected} of" in broken_report.render()


def test_too_few_rows(tmp_path: Path, sample_rows: pd.DataFrame, contract: Contract) -> None:
    needs = dataclasses.replace(contract, min_rows=max(contract.min_rows, 2))
    path = tmp_path / "header-only.csv"
    sample_rows.head(0).to_csv(path, index=False)
    report = validate_frame(load_table(path, needs), needs)
    assert [failure.rule for failure in report.failures] == [
        f"needs at least {needs.min_rows} rows, found 0"
    ]


def test_report_as_json_for_machines(
    defects: dict[str, Defect], broken_report: ValidationReport, sample_rows: pd.DataFrame
) -> None:
    report = json.loads(broken_report.to_json())
    assert report["success"] is False
    assert report["rows"] == len(sample_rows)
    kind = next((k for k in ("outside the allowed set", "out of range") if k in defects), None)
    if kind is None:
        pytest.skip("the contract has no category feature and no number with a max")
    defect = defects[kind]
    ((row, value),) = defect.rows
    column = sample_rows[defect.column]
    present = int(column.notna().sum() + column.isna().iloc[row - 1])  # with the bad value
    failure = next(f for f in report["failures"] if f["column"] == defect.column)
    assert failure == {
        "expectation": {
            "outside the allowed set": "expect_column_distinct_values_to_be_in_set",
            "out of range": "expect_column_max_to_be_between",
        }[kind],
        "column": defect.column,
        "rule": defect.reason,
        "unexpected": 1,
        "share": 1 / present,  # of the present values
        "examples": [[row, value]],
    }


def test_training_data_is_refused_with_the_report(
    tmp_path: Path, sample_rows: pd.DataFrame, contract: Contract
) -> None:
    column = find_column(
        contract,
        "number feature with a min or max",
        lambda c: c.role == "feature" and c.type in NUMBERS and (c.min, c.max) != (None, None),
    )
    bad = outside(column, "min" if column.min is not None else "max")
    path = tmp_path / "train.csv"
    _set(sample_rows, column.name, 0, bad).to_csv(path, index=False)
    with pytest.raises(InvalidDataError) as refused:
        load_valid(path, contract)
    assert refused.value.exit_code == 1
    assert str(refused.value) == refused.value.report.render()
    assert f"row 1 = {bad!r}" in str(refused.value)


def test_valid_training_data_is_returned_conformed(contract: Contract, settings: Settings) -> None:
    frame = load_valid(settings.data, contract)
    assert len(frame) == sample_size(contract)
    for name in contract.text_columns:  # categories and ids stay text, codes and all
        assert frame[name].dropna().map(type).eq(str).all(), name


def test_a_huge_bad_cell_is_shortened_in_the_report() -> None:
    contract = parse_contract(
        {
            "columns": {
                "kind": {"type": "category", "allowed": ["a"]},
                "y": {"type": "float", "role": "target"},
            }
        }
    )
    huge = "x" * 2_000_000
    frame = pd.DataFrame({"kind": ["a", huge], "y": [1.0, 2.0]})
    report = validate_frame(frame, contract)
    [(row, shown)] = report.failures[0].examples
    assert (row, shown) == (2, f"{'x' * 60}... (2,000,000 characters)")
    assert len(report.render()) < 500


def test_rows_without_a_target_are_left_out_of_training(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    contract = parse_contract(
        {
            "columns": {
                "x": {"type": "float"},
                "y": {"type": "float", "role": "target", "nullable": True},
            },
            "table": {"min_rows": 1},
        }
    )
    path = tmp_path / "train.csv"
    path.write_text("x,y\n1.0,2.0\n2.0,\n3.0,4.0\n", encoding="utf-8")
    frame = load_valid(path, contract)
    assert frame["x"].tolist() == [1.0, 3.0]
    assert f"{path}: 1 of 3 rows have no y (the target) and are left out" in caplog.text
    path.write_text("x,y\n1.0,\n", encoding="utf-8")
    with pytest.raises(ProjectError, match=r": no row has a value of the target, y: nothing to"):
        load_valid(path, contract)
