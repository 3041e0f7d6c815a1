"""Tables for Spark: a CSV or Parquet file or folder, read as ``data.py`` reads a file.

A CSV is read with every cell as text, then ``conform`` types each contract column the way
pandas would have read it: the values pandas takes for missing (``NA``, ``null``, empty ...)
are missing, a number column becomes numbers only if every cell is one (otherwise it stays
text, for validation to report), whole numbers in an integer column become integers. Parquet
keeps its types. ``POSITION`` records each row's place in the input, from which
``RowNumbers`` counts rows from 1 as the pandas path does (a folder's files in the order
Spark reads them).
"""

from __future__ import annotations

import csv
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from py4j.protocol import Py4JJavaError
from pyspark.errors import AnalysisException, PySparkException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql.types import BooleanType, DataType, DoubleType, FloatType, FractionalType

from ..contract import Column as ContractColumn
from ..contract import Contract
from ..data import SUFFIXES, DataError
from .session import active, is_local

POSITION = "__proto_to_mvp_position"  # a column name no data uses
_PARTITION_BITS = 33  # monotonically_increasing_id: partition << 33 | row within the partition
# What pandas.read_csv reads as missing by default (pandas._libs.parsers.STR_NA_VALUES).
NA_VALUES = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip
# Text pandas parses as a number (pandas.to_numeric), and as a whole number.
NUMBER = r"^(\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*|[+-]?(?i:inf|infinity))$"
WHOLE = r"^\s*[+-]?\d+\s*$"
TRUE, FALSE = ("True", "TRUE", "true"), ("False", "FALSE", "false")  # pandas.read_csv's
# Error classes of files Spark cannot parse, deepest cause first.
_UNREADABLE = ("MALFORMED_CSV_RECORD", "MALFORMED_RECORD_IN_PARSING", "FAILED_READ_FILE")
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+:/")


@dataclass
class Table:
    """A file or folder as Spark read it: its columns, plus ``POSITION``; kept in memory (or on
    local disk) while the command runs, since validation passes over it many times."""

    source: str
    text: bool  # a CSV: every cell read as text, typed by ``conform``
    frame: DataFrame
    numbers: RowNumbers = field(init=False)

    def __post_init__(self) -> None:
        self.numbers = RowNumbers(self.frame)

    def close(self) -> None:
        self.frame.unpersist()


def is_uri(path: str) -> bool:
    """``s3a://bucket/x``, ``hdfs:///x``, ``file:/x``: a place Spark reads, not a local path."""
    return bool(_URI.match(path))


def on_this_machine(spark: SparkSession) -> bool:
    """Whether Spark runs here (``local[...]``), so plain paths are this machine's files. On a
    cluster or through Spark Connect, Spark resolves them on its own file system instead."""
    connect = type(spark).__module__.startswith("pyspark.sql.connect")
    return not connect and is_local(spark.conf.get("spark.master", ""))


def data_format(path: str, *, local: bool = True) -> str:
    """``csv`` or ``parquet``, from the name of the file or folder (or a local folder's files)."""
    suffix = Path(path.rstrip("/")).suffix.lower()
    if suffix in SUFFIXES:
        return "csv" if suffix == ".csv" else "parquet"
    if not local:
        raise DataError(f"{path}: name the format: a path ending in .csv or .parquet")
    folder = Path(path)
    if not folder.exists():
        raise DataError(f"{path}: no such file or folder")
    if folder.is_file():
        raise DataError(f"{path}: unsupported file type {suffix!r}; use .csv or .parquet")
    found = {
        file.suffix.lower()
        for file in folder.rglob("*")
        if file.is_file() and not file.name.startswith((".", "_"))
    }
    kinds = {"csv" if s == ".csv" else "parquet" for s in found if s in SUFFIXES}
    if len(kinds) != 1 or found - set(SUFFIXES):
        listed = ", ".join(sorted(found)) or "no files"
        raise DataError(f"{path}: a folder needs .csv or .parquet files of one kind ({listed})")
    return kinds.pop()


def read_table(path: Path | str) -> Table:
    """Read a CSV or Parquet file or folder (here, or anywhere the cluster reads)."""
    spark, path = active(), str(path)
    local = on_this_machine(spark) and not is_uri(path)
    kind = data_format(path, local=local)
    if local:
        if not Path(path).exists():
            raise DataError(f"{path}: no such file or folder")
        if Path(path).is_file() and Path(path).stat().st_size == 0:
            raise DataError(f"{path}: the file is empty")
    try:
        frame = _read_csv(spark, path) if kind == "csv" else spark.read.parquet(path)
        frame.columns  # noqa: B018 - the schema: unreadable files fail here
    except AnalysisException as exc:
        raise DataError(f"{path}: cannot read it as {kind} ({_first_line(exc)})") from exc
    if not frame.columns:
        raise DataError(f"{path}: no header row: the file has no columns")
    frame = frame.withColumn(POSITION, sf.monotonically_increasing_id()).persist()
    try:
        frame.count()  # reads every file once, into the cache: a malformed one fails here
    except (Py4JJavaError, PySparkException) as exc:
        frame.unpersist()
        reason = unreadable(exc)
        if reason is None:
            raise
        raise DataError(f"{path}: cannot read it ({reason})") from exc
    return Table(path, kind == "csv", frame)


def _read_csv(spark: SparkSession, path: str) -> DataFrame:
    reader = spark.read.options(header=True, mode="FAILFAST", encoding="UTF-8", escape='"')
    frame = reader.csv(path)  # every column text: inferSchema is off
    lines = spark.read.text(path).limit(1).collect()
    header = next(csv.reader([lines[0][0]]), []) if lines else []
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataError(f"{path}: the header repeats the columns {repeated}; names must be unique")
    return frame


def col(name: str) -> Column:
    """A column by its exact name (dots and spaces included)."""
    return sf.col("`" + name.replace("`", "``") + "`")


def conform(table: Table, contract: Contract, where: Column | None = None) -> DataFrame:
    """The table with the contract's types, decided over the rows ``where`` holds (all rows by
    default), as ``data.conform`` decides over a pandas frame; other columns as they are."""
    return table.frame.select(*typed_columns(table.frame, contract, text=table.text, where=where))


def typed_columns(
    frame: DataFrame, contract: Contract, *, text: bool, where: Column | None = None
) -> list[Column]:
    """``frame``'s columns, each contract column in the type ``conform`` chooses."""
    schema = {field.name: field.dataType for field in frame.schema.fields}
    declared = [column for column in contract.columns if column.name in schema]
    checks: dict[str, Column] = {}
    for column in declared:
        values = _cell(column.name, text, schema[column.name])
        if text and column.type in ("integer", "float"):
            checks[f"number {column.name}"] = _count(~values.rlike(NUMBER), values)
            checks[f"whole {column.name}"] = _count(~values.rlike(WHOLE), values)
            checks[f"fraction {column.name}"] = _count(_fraction(values), values)
        elif text and column.type == "boolean":
            checks[f"boolean {column.name}"] = _count(~values.isin(*TRUE, *FALSE), values)
        elif column.type == "integer" and isinstance(schema[column.name], FractionalType):
            checks[f"fraction {column.name}"] = _count(_fraction(values), values)
    counts: dict[str, Any] = {}
    if checks:
        rows = frame if where is None else frame.filter(where)
        found = rows.agg(*(check.alias(name) for name, check in checks.items())).first()
        counts = found.asDict() if found is not None else {}
    typed = {
        column.name: _typed(
            column, _cell(column.name, text, schema[column.name]), schema[column.name], counts
        )
        for column in declared
    }
    return [typed[name].alias(name) if name in typed else col(name) for name in frame.columns]


def _cell(name: str, text: bool, data_type: DataType) -> Column:
    """A column's values with what pandas reads as missing made missing: NA and such in a CSV,
    NaN in a Parquet column of numbers."""
    values = col(name)
    if text:
        return sf.when(values.isin(*NA_VALUES), None).otherwise(values)
    if isinstance(data_type, (FloatType, DoubleType)):
        return sf.when(sf.isnan(values), None).otherwise(values)
    return values


def _count(condition: Column, values: Column) -> Column:
    return sf.count(sf.when(values.isNotNull() & condition, 1))


def _fraction(values: Column) -> Column:
    """Numbers that are not whole (infinity included), as Spark parses them."""
    number = values.try_cast("double")
    whole = (sf.abs(number) != float("inf")) & (number == sf.floor(number))
    return number.isNotNull() & (sf.isnan(number) | ~whole)


def _typed(
    column: ContractColumn, values: Column, data_type: DataType, counts: dict[str, Any]
) -> Column:
    """One column in the type ``conform`` chose for it from ``counts``."""
    name = column.name
    if f"number {name}" in counts:  # a CSV column of numbers, or of text
        return _text_number(column.type == "integer", values, counts, name)
    if f"boolean {name}" in counts:  # a CSV column of booleans, or of text (kept, as pandas does)
        booleans = sf.when(values.isin(*TRUE), True).when(values.isin(*FALSE), False)
        return values if counts[f"boolean {name}"] else booleans
    if f"fraction {name}" in counts and not counts[f"fraction {name}"]:
        return values.cast("long")  # whole floats in an integer column, as pandas makes Int64
    if column.type in ("category", "string") and isinstance(data_type, BooleanType):
        return sf.when(values, "True").when(~values, "False")  # as Python writes them
    return values.cast("string") if column.type in ("category", "string") else values


def _text_number(integer: bool, values: Column, counts: dict[str, Any], name: str) -> Column:
    if counts[f"number {name}"]:
        return values  # some cells are not numbers: text, for validation to report
    if integer and not counts[f"whole {name}"]:
        return values.try_cast("long")
    number = values.try_cast("double")
    return number.cast("long") if integer and not counts[f"fraction {name}"] else number


class RowNumbers:
    """Each row's number in the input (from 1), from its ``POSITION``: one count per partition,
    made the first time a number is asked for."""

    def __init__(self, frame: DataFrame) -> None:
        self._frame = frame
        self._offsets: list[int] | None = None

    def offsets(self) -> list[int]:
        """Rows before each partition, by partition index."""
        if self._offsets is None:
            partition = sf.shiftright(col(POSITION), _PARTITION_BITS).alias("partition")
            counts = dict(self._frame.groupBy(partition).count().collect())
            sizes = [counts.get(index, 0) for index in range(max(counts, default=-1) + 1)]
            self._offsets = [0, *itertools.accumulate(sizes)][: len(sizes)]
        return self._offsets

    def of(self, positions: list[int]) -> list[int]:
        offsets, mask = self.offsets(), (1 << _PARTITION_BITS) - 1
        return [offsets[p >> _PARTITION_BITS] + (p & mask) + 1 for p in positions]

    def column(self) -> Column:
        """The row numbers as a column (for output files)."""
        offsets = sf.array(*(sf.lit(offset) for offset in self.offsets() or [0]))
        partition = sf.shiftright(col(POSITION), _PARTITION_BITS)
        within = col(POSITION).bitwiseAND((1 << _PARTITION_BITS) - 1)
        return sf.element_at(offsets, (partition + 1).cast("int")) + within + 1


def unreadable(error: Exception) -> str | None:
    """What Spark found wrong in a file it read (a malformed CSV row ...), or None."""
    lines = str(error).splitlines()
    for mark in _UNREADABLE:
        for line in lines:
            if mark in line:
                return line.split("]", 1)[-1].split(" SQLSTATE")[0].strip()
    return None


def _first_line(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
