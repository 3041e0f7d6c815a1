"""The data contract's suite (``validation.build_suite``) run by Great Expectations on Spark.

The suite is the pandas path's, with one translation: a type rule names Spark's types
(``LongType`` ...) where pandas names dtypes. Great Expectations computes every rule's
statistic as Spark jobs (``_run`` refuses any other engine, and a rule that raised is an
error, never a quiet failure). The report is built as ``validation.validate_frame`` builds it,
with the same words, counts and example rows: for each broken rule, Spark counts the rows that
break it and takes the first few in input order, without collecting the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations import expectations as gxe
from great_expectations.core import ExpectationSuite
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine import SparkDFExecutionEngine
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as sf
from pyspark.sql.types import DataType, FractionalType, NumericType, Row, StringType, StructField

from ..contract import Contract
from ..validation import (
    _RULES,
    EXAMPLES,
    TYPE_RULE,
    Failure,
    ValidationReport,
    _plain,
    _repeats_a_cause,
    _shortened,
    _type_name,
    build_suite,
)
from .session import SparkError
from .tables import NUMBER, POSITION, Table, col, conform, read_table

# The contract's types as Spark names them (pandas' dtypes in validation.DTYPES).
_INTEGERS = ["ByteType", "ShortType", "IntegerType", "LongType"]
SPARK_TYPES = {
    "integer": _INTEGERS,
    "float": ["FloatType", "DoubleType", *_INTEGERS],
    "boolean": ["BooleanType"],
}
# How pandas names the dtype a column of each Spark type would have: the report's words.
_PANDAS_NAMES = {
    "ByteType": "int8",
    "ShortType": "int16",
    "IntegerType": "int32",
    "LongType": "int64",
    "FloatType": "float32",
    "DoubleType": "float64",
    "BooleanType": "bool",
}


@contextmanager
def opened(path: Path | str) -> Iterator[Table]:
    """A table read (and cached) for the length of the block, then released."""
    table = read_table(path)
    try:
        yield table
    finally:
        table.close()


def validate_path(path: Path | str, contract: Contract) -> ValidationReport:
    """``validate --engine spark``: a CSV or Parquet file or folder against the contract, on the
    active session (``spark_session``)."""
    with opened(path) as table:
        return validate_table(table, conform(table, contract), contract)


def validate_table(table: Table, frame: DataFrame, contract: Contract) -> ValidationReport:
    """Check ``frame`` (``table`` conformed, or some of its rows or columns) against the
    contract and report each broken rule, in suite order, as the pandas path does."""
    suite = build_suite(contract)
    failed = {
        (r.expectation_config.type, r.expectation_config.kwargs.get("column")): r
        for r in _run(spark_suite(suite), frame.drop(POSITION))
        if not r.success
    }
    rows = frame.count()
    missing = {column.name for column in contract.columns} - set(frame.columns)
    mistyped = {column for kind, column in failed if kind == TYPE_RULE}
    broken = []
    for expectation in suite.expectations:
        key = (expectation.expectation_type, getattr(expectation, "column", None))
        if key in failed and not _repeats_a_cause(*key, missing, mistyped, empty=rows == 0):
            raised = _raised(failed[key])
            if raised is not None:
                raise SparkError(f"Great Expectations could not check {key[0]} on Spark: {raised}")
            broken.append((expectation.configuration.kwargs, failed[key]))
    failures = _failures(broken, table, frame)
    # A statistic over no values (the minimum of an all-missing column) fails in Great
    # Expectations although no row breaks the rule: only rows count.
    kept = [failure for failure in failures if failure.unexpected != 0]
    return ValidationReport(table.source, rows, len(suite.expectations), kept)


def spark_suite(suite: ExpectationSuite) -> ExpectationSuite:
    """``suite`` with its type rules in Spark's names."""
    expectations = [
        gxe.ExpectColumnValuesToBeInTypeList(
            column=e.column, type_list=SPARK_TYPES[_type_name(list(e.type_list))]
        )
        if e.expectation_type == TYPE_RULE
        else e
        for e in suite.expectations
    ]
    return ExpectationSuite(name=suite.name, expectations=expectations)


def _run(suite: ExpectationSuite, frame: DataFrame) -> list[Any]:
    context = gx.get_context(mode="ephemeral")  # in memory: nothing written to disk
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_spark("contract", persist=False)  # the table is cached already
        .add_dataframe_asset("table")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    engine = batch.data.execution_engine
    if not isinstance(engine, SparkDFExecutionEngine):
        raise SparkError(f"Great Expectations chose {type(engine).__name__}, not Spark")
    return batch.validate(suite, result_format="BASIC").results


def _raised(result: Any) -> str | None:
    """The message of an exception a rule raised (Great Expectations records, not raises)."""
    info = result.exception_info or {}
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            return str(entry.get("exception_message"))
    return None


def _failures(broken: list[tuple[dict, Any]], table: Table, frame: DataFrame) -> list[Failure]:
    """A Failure per broken rule: counts in one pass, then the first examples of each."""
    windows, counted = {}, []
    for index, (kwargs, result) in enumerate(broken):
        kind = result.expectation_config.type
        if _RULES[kind][1] is not None:
            rule = offending(kind, kwargs, frame, text=table.text)
            if rule.window is not None:
                windows[f"__window_{index}"] = rule.window
            counted.append((index, rule))
    frame = frame.withColumns(windows) if windows else frame
    totals = _totals(frame, counted)
    failures = []
    for index, (kwargs, result) in enumerate(broken):
        kind = result.expectation_config.type
        observed = (result.result or {}).get("observed_value")
        if kind == TYPE_RULE:
            observed = _pandas_name(observed, frame.schema[kwargs["column"]], text=table.text)
        text = _RULES[kind][0](kwargs, observed)
        rule = dict(counted).get(index)
        if rule is None:
            failures.append(Failure(kind, kwargs.get("column"), text))
            continue
        unexpected, base = totals[f"unexpected {index}"], totals[f"base {index}"]
        examples = []
        if unexpected:
            shown = (
                frame.filter(rule.condition(index))
                .orderBy(POSITION)
                .limit(EXAMPLES)
                .select(POSITION, rule.values.alias("value"))
                .collect()
            )
            numbers = table.numbers.of([row[0] for row in shown])
            examples = [
                (number, _shortened(_plain(_value(row[1]))))
                for number, row in zip(numbers, shown, strict=True)
            ]
        failures.append(
            Failure(
                expectation=kind,
                column=kwargs.get("column"),
                rule=text,
                unexpected=int(unexpected),
                share=float(unexpected / max(int(base), 1)),
                examples=examples,
            )
        )
    return failures


def _totals(frame: DataFrame, counted: list[tuple[int, Offending]]) -> dict[str, int]:
    if not counted:
        return {}
    columns = []
    for index, rule in counted:
        columns.append(sf.count(sf.when(rule.condition(index), 1)).alias(f"unexpected {index}"))
        columns.append(sf.count(sf.when(rule.base, 1)).alias(f"base {index}"))
    found = frame.agg(*columns).first()
    return found.asDict() if found is not None else {}


class Offending:
    """The rows that break one rule (``condition``), the rows its share counts over (``base``)
    and the values the report shows; ``window``, when set, is a column it needs first."""

    def __init__(
        self,
        condition: Column | None,
        base: Column,
        values: Column,
        window: Column | None = None,
    ) -> None:
        self._condition, self.base, self.values, self.window = condition, base, values, window

    def condition(self, index: int) -> Column:
        if self.window is None:
            assert self._condition is not None
            return self._condition
        repeats = sf.col(f"__window_{index}") > 1
        return repeats if self._condition is None else self._condition & repeats


def offending(kind: str, kwargs: dict[str, Any], frame: DataFrame, *, text: bool) -> Offending:
    """The rows of ``frame`` that break a rule, as ``validation._RULES`` finds them in pandas."""
    everyone = sf.lit(True)
    if kind == "expect_compound_columns_to_be_unique":
        names = kwargs["column_list"]
        window = sf.count(sf.lit(1)).over(Window.partitionBy(*map(col, names)))
        return Offending(None, everyone, sf.struct(*map(col, names)), window)
    values = col(kwargs["column"])
    present = values.isNotNull()
    if kind == "expect_column_proportion_of_unique_values_to_be_between":
        return Offending(
            present, present, values, sf.count(values).over(Window.partitionBy(values))
        )
    if kind == TYPE_RULE:
        data_type = frame.schema[kwargs["column"]].dataType
        fits = _fits(values, data_type, _type_name(list(kwargs["type_list"])), text=text)
        return Offending(present & ~fits, present, values)
    if kind == "expect_column_proportion_of_non_null_values_to_be_between":
        return Offending(values.isNull(), everyone, values)
    if kind in ("expect_column_min_to_be_between", "expect_column_max_to_be_between"):
        number = values.try_cast("double")
        low = kind == "expect_column_min_to_be_between"
        outside = number < kwargs["min_value"] if low else number > kwargs["max_value"]
        return Offending(outside, present, values)
    if kind == "expect_column_distinct_values_to_be_in_set":
        return Offending(present & ~values.isin(*kwargs["value_set"]), present, values)
    raise SparkError(f"no Spark check for rows breaking {kind}")


def _fits(values: Column, data_type: DataType, kind: str, *, text: bool) -> Column:
    """Values of the contract's type in a column that is not, as ``validation._wrong_type``
    sees them: a CSV's numbers among text, whole numbers among decimals."""
    if kind in ("integer", "float") and text and isinstance(data_type, StringType):
        number = values.try_cast("double")
        is_number = values.rlike(NUMBER) & number.isNotNull()
        return is_number & _whole(number) if kind == "integer" else is_number
    if kind == "integer" and isinstance(data_type, FractionalType):
        return _whole(values)
    if kind == "float" and isinstance(data_type, NumericType):
        return sf.lit(True)
    return sf.lit(False)  # text that pandas would not have parsed, or another type altogether


def _whole(number: Column) -> Column:
    return ~sf.isnan(number) & (sf.abs(number) != float("inf")) & (number == sf.floor(number))


def _pandas_name(observed: Any, field: StructField, *, text: bool) -> Any:
    """The dtype name pandas reports for a column like this one (None for mixed values)."""
    if isinstance(field.dataType, StringType):
        kind = pd.Series(["text"]).dtype  # a text column: str under pandas 3, object before
        return None if text or pd.api.types.is_object_dtype(kind) else kind.type.__name__
    name = _PANDAS_NAMES.get(type(field.dataType).__name__)
    return np.dtype(name).type.__name__ if name else observed


def _value(value: Any) -> Any:
    """A collected value as the pandas path holds it: a row of values as a tuple."""
    return tuple(value) if isinstance(value, Row) else value
