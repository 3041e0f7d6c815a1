"""Validate whole tables against the data contract with Great Expectations.

The suite is built in code from ``contract.toml`` and run in an ephemeral context: no ``gx/``
folder and no generated files to churn in git. Each rule is checked as a column statistic
(type, share of missing values, minimum, maximum, distinct values, share of unique values),
which keeps a million rows well under a second; when a rule fails, the report finds the rows
that break it. Great Expectations takes seconds to import, so only batch commands (validate,
train) import this module; serving uses ``schema.py``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
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
from .data import is_number, load_table
from .errors import ProjectError

EXAMPLES = 3  # rows shown per broken rule
SHOWN_CHARACTERS = 60  # of a text value shown in the report
log = logging.getLogger(__name__)

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
TYPE_RULE = "expect_column_values_to_be_in_type_list"


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
    names = [column.name for column in contract.columns]
    expectations: list[Any] = [gxe.ExpectTableColumnsToMatchSet(column_set=names, exact_match=True)]
    if contract.min_rows > 1:
        expectations.append(gxe.ExpectTableRowCountToBeBetween(min_value=contract.min_rows))
    if len(contract.unique) == 1:
        expectations.append(
            gxe.ExpectColumnProportionOfUniqueValuesToBeBetween(
                column=contract.unique[0], min_value=1
            )
        )
    elif contract.unique:
        expectations.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(contract.unique)))
    for column in contract.columns:
        expectations += _column_rules(column)
    return ExpectationSuite(name=f"{contract.name}-contract", expectations=expectations)


def _column_rules(column: Column) -> list[Any]:
    name, rules = column.name, []
    if column.type in DTYPES:
        rules.append(
            gxe.ExpectColumnValuesToBeInTypeList(column=name, type_list=DTYPES[column.type])
        )
    if not column.nullable:
        rules.append(gxe.ExpectColumnProportionOfNonNullValuesToBeBetween(column=name, min_value=1))
    if column.min is not None:
        rules.append(gxe.ExpectColumnMinToBeBetween(column=name, min_value=column.min))
    if column.max is not None:
        rules.append(gxe.ExpectColumnMaxToBeBetween(column=name, max_value=column.max))
    if column.allowed:
        rules.append(
            gxe.ExpectColumnDistinctValuesToBeInSet(column=name, value_set=list(column.allowed))
        )
    return rules


def validate_frame(
    frame: pd.DataFrame, contract: Contract, *, source: str = "data"
) -> ValidationReport:
    """Run the contract's suite over a DataFrame and report each broken rule, in suite order."""
    if not frame.index.equals(pd.RangeIndex(len(frame))):
        frame = frame.reset_index(drop=True)  # row numbers in the report count from the top
    suite = build_suite(contract)
    failed = {
        (r.expectation_config.type, r.expectation_config.kwargs.get("column")): r
        for r in _run(suite, frame)
        if not r.success
    }
    missing = {column.name for column in contract.columns} - set(frame.columns)
    mistyped = {column for kind, column in failed if kind == TYPE_RULE}
    failures = []
    for expectation in suite.expectations:
        key = (expectation.expectation_type, getattr(expectation, "column", None))
        if key in failed and not _repeats_a_cause(*key, missing, mistyped, empty=frame.empty):
            failure = _failure(failed[key], frame)
            # A statistic over no values (the minimum of an all-missing column) fails in Great
            # Expectations although no row breaks the rule: only rows count.
            if failure.unexpected != 0:
                failures.append(failure)
    return ValidationReport(source, len(frame), len(suite.expectations), failures)


def broken_rows(report: ValidationReport, frame: pd.DataFrame, contract: Contract) -> pd.Series:
    """Per row of ``frame`` (same index), the rules of ``report`` it breaks, or "".

    Only row rules can be traced to rows: a report with a broken table rule (missing columns,
    too few rows) is refused with ValueError, since no row of such a table can be trusted.
    """
    table_rules = [failure.rule for failure in report.failures if failure.unexpected is None]
    if table_rules:
        raise ValueError(f"table rules are broken: {'; '.join(table_rules)}")
    index, frame = frame.index, frame.reset_index(drop=True)
    rules = {
        (rule.expectation_type, getattr(rule, "column", None)): rule.configuration.kwargs
        for rule in build_suite(contract).expectations
    }
    reasons = np.full(len(frame), "", dtype=object)
    for failure in report.failures:
        offending = _RULES[failure.expectation][1]
        rows = offending(frame, rules[failure.expectation, failure.column]).to_numpy(bool)
        reason = f"{failure.column}: {failure.rule}"
        reasons[rows] = [f"{old}; {reason}" if old else reason for old in reasons[rows]]
    return pd.Series(reasons, index=index, name="reasons")


def load_valid(path: Path | str, contract: Contract) -> pd.DataFrame:
    """Read a table for training; refuse it (InvalidDataError, with the report) unless valid.

    Rows without a value of the target (which a contract may allow) are left out, with a
    warning: there is nothing to learn from them or to score against.
    """
    frame = load_table(path, contract)
    report = validate_frame(frame, contract, source=str(path))
    if not report.success:
        raise InvalidDataError(report)
    return labeled(frame, contract, source=str(path))


def labeled(frame: pd.DataFrame, contract: Contract, source: str) -> pd.DataFrame:
    """The rows of ``frame`` that have a target value; ProjectError when none has one."""
    target = contract.target.name
    unlabeled = frame[target].isna()
    if not unlabeled.any():
        return frame
    if unlabeled.all():
        raise ProjectError(
            f"{source}: no row has a value of the target, {target}: nothing to learn"
        )
    log.warning(
        "%s: %d of %d rows have no %s (the target) and are left out",
        source,
        int(unlabeled.sum()),
        len(frame),
        target,
    )
    return frame[~unlabeled]


def _run(suite: ExpectationSuite, frame: pd.DataFrame) -> list[Any]:
    context = gx.get_context(mode="ephemeral")  # in memory: nothing written to disk
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas("contract")
        .add_dataframe_asset("table")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    return batch.validate(suite, result_format="BASIC").results


def _repeats_a_cause(
    kind: str, column: str | None, missing: set[str], mistyped: set[str], *, empty: bool
) -> bool:
    """A failure that only repeats a root cause already reported: skip it."""
    if column is None:
        return False
    if empty or column in missing:  # an empty table or a missing column breaks every rule
        return True
    return column in mistyped and kind in _VALUE_RULES


def _failure(result: Any, frame: pd.DataFrame) -> Failure:
    config = result.expectation_config
    kwargs, observed = config.kwargs, (result.result or {}).get("observed_value")
    text, offending = _RULES[config.type]
    column = kwargs.get("column")
    if offending is None:
        return Failure(config.type, column, text(kwargs, observed))
    rows = offending(frame, kwargs)
    base = frame[column].notna() if column else pd.Series(True, index=frame.index)
    if config.type == "expect_column_proportion_of_non_null_values_to_be_between":
        base = pd.Series(True, index=frame.index)  # the share of all rows that are missing
    shown = rows[rows].index[:EXAMPLES]
    values = frame[column] if column else frame[kwargs["column_list"]].apply(tuple, axis=1)
    return Failure(
        expectation=config.type,
        column=column,
        rule=text(kwargs, observed),
        unexpected=int(rows.sum()),
        share=float(rows.sum() / max(int(base.sum()), 1)),
        examples=[(int(i) + 1, _shortened(_plain(values.iloc[i]))) for i in shown],
    )


def _numbers(frame: pd.DataFrame, kwargs: dict[str, Any]) -> pd.Series:
    return pd.to_numeric(frame[kwargs["column"]], errors="coerce")


def _wrong_type(frame: pd.DataFrame, kwargs: dict[str, Any]) -> pd.Series:
    """Values that are not of the column's type: text or booleans in a number column, say."""
    values, kind = frame[kwargs["column"]], _type_name(kwargs["type_list"])
    if kind == "boolean":
        fits = values.map(lambda value: isinstance(value, bool | np.bool_))
    elif kind == "integer":
        fits = values.map(lambda value: is_number(value) and float(value).is_integer())
    else:
        fits = values.map(is_number)
    return values.notna() & ~fits


def _type_name(type_list: list[str]) -> str:
    return next(kind for kind, names in DTYPES.items() if names == type_list)


# expectation type -> (the rule in words, the rows that break it or None for table rules)
_RULES: dict[str, tuple[Callable[[dict, Any], str], Callable[..., pd.Series] | None]] = {
    "expect_table_columns_to_match_set": (
        lambda kw, seen: "; ".join(
            f"{label} columns {sorted(names)}"
            for label, names in (
                ("missing", set(kw["column_set"]) - set(seen or [])),
                ("extra", set(seen or []) - set(kw["column_set"])),
            )
            if names
        ),
        None,
    ),
    "expect_table_row_count_to_be_between": (
        lambda kw, seen: f"needs at least {kw['min_value']} rows, found {seen}",
        None,
    ),
    "expect_column_proportion_of_unique_values_to_be_between": (
        lambda kw, seen: "values must be unique",
        lambda frame, kw: frame[kw["column"]].duplicated(keep=False) & frame[kw["column"]].notna(),
    ),
    "expect_compound_columns_to_be_unique": (
        lambda kw, seen: f"rows must be unique by {', '.join(kw['column_list'])}",
        lambda frame, kw: frame.duplicated(subset=kw["column_list"], keep=False),
    ),
    TYPE_RULE: (
        lambda kw, seen: f"values must be {_type_name(kw['type_list'])}, the column is {seen}",
        _wrong_type,
    ),
    "expect_column_proportion_of_non_null_values_to_be_between": (
        lambda kw, seen: "values must not be missing",
        lambda frame, kw: frame[kw["column"]].isna(),
    ),
    "expect_column_min_to_be_between": (
        lambda kw, seen: f"values must be at least {kw['min_value']:g}",
        lambda frame, kw: _numbers(frame, kw) < kw["min_value"],
    ),
    "expect_column_max_to_be_between": (
        lambda kw, seen: f"values must be at most {kw['max_value']:g}",
        lambda frame, kw: _numbers(frame, kw) > kw["max_value"],
    ),
    "expect_column_distinct_values_to_be_in_set": (
        lambda kw, seen: f"values must be one of {', '.join(map(str, kw['value_set']))}",
        lambda frame, kw: frame[kw["column"]].notna() & ~frame[kw["column"]].isin(kw["value_set"]),
    ),
}
# Rules about values that a column of the wrong type cannot answer meaningfully.
_VALUE_RULES = {
    "expect_column_min_to_be_between",
    "expect_column_max_to_be_between",
    "expect_column_distinct_values_to_be_in_set",
}


def _shortened(value: Any) -> Any:
    """Long text cut for the report: a 20 MB cell must not flood the terminal."""
    if isinstance(value, str) and len(value) > SHOWN_CHARACTERS:
        return f"{value[:SHOWN_CHARACTERS]}... ({len(value):,} characters)"
    return value


def _plain(value: Any) -> Any:
    """Reader- and JSON-friendly values: numpy scalars to Python, NaN to None."""
    if isinstance(value, tuple):
        return [_plain(part) for part in value]
    if hasattr(value, "item"):
        value = value.item()
    if value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value
