"""Validate whole tables against the data contract with Great Expectations.

The suite is built in code from ``contract.toml`` and run in an ephemeral context: no ``gx/``
folder and no generated files to churn in git. Great Expectations takes seconds to import, so
only batch commands (validate, train) import this module; serving uses ``schema.py``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations import expectations as gxe
from great_expectations.core import ExpectationSuite
from great_expectations.data_context.types.base import ProgressBarsConfig

from .contract import Column, Contract
from .data import load_table
from .errors import ProjectError

EXAMPLES = 3  # unexpected values shown per failed rule
TYPE_RULE = "expect_column_values_to_be_in_type_list"
# Column dtypes each contract type accepts, as Great Expectations names them (numpy names, and
# pandas extension dtype classes for nullable columns). Text columns need no type rule: loading
# conforms them to text, and the allowed-values rule catches anything else.
_INTEGERS = [f"{sign}int{bits}" for sign in ("", "u") for bits in (8, 16, 32, 64)]
_INTEGERS += [f"{sign}Int{bits}Dtype" for sign in ("", "U") for bits in (8, 16, 32, 64)]
DTYPES = {
    "integer": _INTEGERS,
    "float": ["float16", "float32", "float64", "Float32Dtype", "Float64Dtype", *_INTEGERS],
    "boolean": ["bool", "BooleanDtype"],
}


class InvalidDataError(ProjectError):
    """Data breaks the contract; the message is the full validation report."""

    exit_code = 1

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.render())
        self.report = report


@dataclass(frozen=True)
class Failure:
    """One broken rule: its column, how many rows break it, a few examples (rows from 1)."""

    expectation: str
    column: str | None
    rule: str
    unexpected: int | None = None
    share: float | None = None
    examples: list[tuple[int, Any]] = field(default_factory=list)

    def render(self) -> str:
        head = f"  {self.column or '(table)'}: {self.rule} [{self.expectation}]"
        if self.unexpected is None:
            return head
        shown = ", ".join(f"row {row} = {value!r}" for row, value in self.examples)
        return f"{head}\n    {self.unexpected} unexpected ({self.share:.1%}): {shown}"


@dataclass(frozen=True)
class ValidationReport:
    """What a validation found; ``render()`` for people, ``to_json()`` for machines."""

    source: str
    rows: int
    checks: int
    failures: list[Failure]

    @property
    def success(self) -> bool:
        return not self.failures

    def render(self) -> str:
        if self.success:
            return f"{self.source}: valid ({self.rows} rows, {self.checks} checks passed)"
        failed = f"{len(self.failures)} of {self.checks} checks failed"
        head = f"{self.source}: INVALID ({self.rows} rows, {failed})"
        return "\n".join([head, *(failure.render() for failure in self.failures)])

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "success": self.success}, indent=2)


def build_suite(contract: Contract) -> ExpectationSuite:
    """The contract as an ExpectationSuite: table rules first, then each column's rules."""
    expectations: list[Any] = [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=[column.name for column in contract.columns], exact_match=True
        )
    ]
    if contract.min_rows > 1:
        expectations.append(gxe.ExpectTableRowCountToBeBetween(min_value=contract.min_rows))
    if len(contract.unique) == 1:
        expectations.append(gxe.ExpectColumnValuesToBeUnique(column=contract.unique[0]))
    elif contract.unique:
        expectations.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(contract.unique)))
    for column in contract.columns:
        expectations += _column_rules(column)
    return ExpectationSuite(name=f"{contract.name}-contract", expectations=expectations)


def _column_rules(column: Column) -> list[Any]:
    name = column.name
    rules: list[Any] = []
    if column.type in DTYPES:
        rules.append(
            gxe.ExpectColumnValuesToBeInTypeList(column=name, type_list=DTYPES[column.type])
        )
    if not column.nullable:
        rules.append(gxe.ExpectColumnValuesToNotBeNull(column=name))
    if column.min is not None or column.max is not None:
        rules.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=name, min_value=column.min, max_value=column.max
            )
        )
    if column.allowed:
        rules.append(gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(column.allowed)))
    return rules


def validate_frame(
    frame: pd.DataFrame, contract: Contract, *, source: str = "data"
) -> ValidationReport:
    """Run the contract's suite over a DataFrame and summarise what failed, in suite order."""
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        frame = frame.reset_index(drop=True)  # row numbers in the report count from the top
    suite = build_suite(contract)
    results = _run(suite, frame)
    missing = {column.name for column in contract.columns} - set(frame.columns)
    failures = [_failure(result) for result in results if not result.success]
    mistyped = {f.column for f in failures if f.expectation == TYPE_RULE}
    failures = [
        _with_type_examples(f, frame, contract) if f.expectation == TYPE_RULE else f
        for f in failures
        if not _is_consequence(f, missing, mistyped)
    ]
    order = [(e.expectation_type, getattr(e, "column", None)) for e in suite.expectations]
    failures.sort(key=lambda f: order.index((f.expectation, f.column)))
    return ValidationReport(source, len(frame), len(suite.expectations), failures)


def load_valid(path: Path | str, contract: Contract) -> pd.DataFrame:
    """Read a table for training; refuse it (InvalidDataError, with the report) unless valid."""
    frame = load_table(path, contract)
    report = validate_frame(frame, contract, source=str(path))
    if not report.success:
        raise InvalidDataError(report)
    return frame


def _run(suite: ExpectationSuite, frame: pd.DataFrame) -> list[Any]:
    context = gx.get_context(mode="ephemeral")  # in memory: nothing written to disk
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("contract")
        .add_dataframe_asset("table")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES}
    return batch.validate(suite, result_format=result_format).results


def _failure(result: Any) -> Failure:
    config, details = result.expectation_config, result.result or {}
    column = config.kwargs.get("column")
    if "unexpected_count" not in details:
        rule = _describe(config.type, config.kwargs, details)
        if not details and result.exception_info:
            rule = f"could not be checked: {_first_error(result.exception_info)}"
        return Failure(config.type, column, rule)
    rows = [index + 1 for index in details.get("partial_unexpected_index_list", [])]
    values = [_plain(value) for value in details.get("partial_unexpected_list", [])]
    return Failure(
        expectation=config.type,
        column=column,
        rule=_describe(config.type, config.kwargs, details),
        unexpected=int(details["unexpected_count"]),
        share=float(details.get("unexpected_percent") or 0.0) / 100,
        examples=list(zip(rows, values, strict=False)),
    )


def _describe(kind: str, kwargs: dict[str, Any], details: dict[str, Any]) -> str:
    """A one-line, human statement of the rule that failed."""
    return _RULE_TEXT[kind](kwargs, details)


def _columns_text(kwargs: dict[str, Any], details: dict[str, Any]) -> str:
    mismatch = details.get("details", {}).get("mismatched", {})
    parts = [
        f"{label} columns {sorted(mismatch[key])}"
        for key, label in (("missing", "missing"), ("unexpected", "extra"))
        if mismatch.get(key)
    ]
    return "; ".join(parts) or "columns differ from the contract"


def _type_text(kwargs: dict[str, Any], details: dict[str, Any]) -> str:
    expected = next(kind for kind, names in DTYPES.items() if names == kwargs["type_list"])
    return f"values must be {expected}, the column is {details.get('observed_value')}"


_RULE_TEXT = {
    "expect_table_columns_to_match_set": _columns_text,
    "expect_table_row_count_to_be_between": lambda kwargs, details: (
        f"needs at least {kwargs['min_value']} rows, found {details.get('observed_value')}"
    ),
    "expect_column_values_to_be_unique": lambda kwargs, details: "values must be unique",
    "expect_compound_columns_to_be_unique": lambda kwargs, details: "rows must be unique",
    TYPE_RULE: _type_text,
    "expect_column_values_to_not_be_null": lambda kwargs, details: "values must not be missing",
    "expect_column_values_to_be_between": lambda kwargs, details: (
        f"values must be between {_number(kwargs.get('min_value'))} and "
        f"{_number(kwargs.get('max_value'))}"
    ),
    "expect_column_values_to_be_in_set": lambda kwargs, details: (
        f"values must be one of {', '.join(map(str, kwargs['value_set']))}"
    ),
}


def _is_consequence(failure: Failure, missing: set[str], mistyped: set[str | None]) -> bool:
    """True when a failure only repeats a root cause already reported (missing or mistyped)."""
    if failure.column in missing:
        return True
    unevaluated = failure.unexpected is None and failure.expectation != TYPE_RULE
    return failure.column in mistyped and unevaluated


def _with_type_examples(failure: Failure, frame: pd.DataFrame, contract: Contract) -> Failure:
    """Add the rows whose values do not fit the column's type (GX only reports the dtype)."""
    column = contract.column(failure.column or "")
    values = frame[column.name]
    present = values.notna()
    bad = present & ~_fits(values, column.type)
    rows = [int(i) + 1 for i in bad[bad].index[:EXAMPLES]]
    return Failure(
        expectation=failure.expectation,
        column=failure.column,
        rule=failure.rule,
        unexpected=int(bad.sum()),
        share=float(bad.sum() / max(int(present.sum()), 1)),
        examples=[(row, _plain(values.iloc[row - 1])) for row in rows],
    )


def _fits(values: pd.Series, kind: str) -> pd.Series:
    if kind == "boolean":
        return values.map(lambda value: isinstance(value, bool | np.bool_))
    numbers = pd.to_numeric(values, errors="coerce")
    return numbers.notna() & ((numbers == numbers.round()) if kind == "integer" else True)


def _number(value: float | None) -> str:
    """1.0 reads as 1 and 2.5 as 2.5; no limit reads as "any"."""
    return "any" if value is None else f"{value:g}"


def _first_error(exception_info: dict[str, Any]) -> str:
    for info in exception_info.values():
        if isinstance(info, dict) and info.get("exception_message"):
            return str(info["exception_message"]).splitlines()[0]
    return "unknown error"


def _plain(value: Any) -> Any:
    """Reader- and JSON-friendly values: numpy scalars to Python, NaN to None."""
    if hasattr(value, "item"):
        value = value.item()
    if value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value
