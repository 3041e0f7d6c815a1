"""The prediction log: every prediction the service makes, with its inputs, one JSON line each.

    {"time": "2026-11-22T09:15:02.481Z", "request_id": "3f9c0a1b2c4d-17", "model_version": "v1",
     "inputs": {"region": "north", "distance_km": 3.2, ...}, "prediction": "late",
     "probabilities": {"late": 0.71, "on_time": 0.29}, "clipped": null}

``time`` is UTC; a batch request writes one line per row, all with its request id. A
regressor's ``probabilities`` are null and ``clipped`` says whether its number was moved into
the target's contract range (a classifier's is null). The service keeps predictions in memory
and writes them out once a second and when it stops, so a clean shutdown loses nothing and a
crash at most the last second. Past its size limit the file is renamed ``predictions.jsonl.1``,
older files move up to ``.5`` and the oldest is deleted. One serving process per file: give
each worker process its own path. ``monitor`` reads the files back, oldest first.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa
from pyarrow import json as pa_json
from pydantic import BaseModel
from pydantic_core import to_json

from .contract import Contract
from .errors import ProjectError
from .predictor import Prediction

KEEP = 5  # rotated files kept beside the current one
MAX_QUEUED = 10_000  # rows queued before a write flushes them itself
_ARROW_TYPES = {"integer": pa.int64(), "float": pa.float64(), "boolean": pa.bool_()}
log = logging.getLogger(__name__)


class PredictionLogError(ProjectError):
    """The prediction log cannot be opened or read; the message names the file and the problem."""


def utc_stamp(seconds: float) -> str:
    """A Unix time as the log writes it: ISO 8601 in UTC, to the millisecond."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{whole}.{int(seconds % 1 * 1000):03d}Z"


class PredictionLog:
    """Appends predictions to ``path``, rotating past ``max_bytes``.

    ``write`` only queues the rows, so a request pays next to nothing; ``flush`` turns the
    queue into JSON lines and writes them to disk, all at once. The service flushes every
    second and when it stops (``close``). Not thread-safe: the service uses it from its event
    loop only.
    """

    def __init__(self, path: Path, *, max_bytes: int) -> None:
        self.path, self.max_bytes = Path(path), max_bytes
        self._file: BinaryIO | None = None
        self._size = 0
        self._queue: list[tuple[float, str, str, Any, Prediction]] = []
        self._second, self._whole = -1, ""  # the time to the second, formatted once a second

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("ab")
        except OSError as exc:
            raise PredictionLogError(f"{self.path}: cannot open the prediction log: {exc}") from exc
        self._size = self._file.tell()

    def write(
        self,
        request_id: str,
        model_version: str,
        inputs: Sequence[Mapping[str, Any] | BaseModel],
        predictions: Sequence[Prediction],
    ) -> None:
        """Queue one line per row: its inputs (dicts, or the request's rows) and prediction."""
        now = time.time()
        rows = zip(inputs, predictions, strict=True)
        self._queue += [(now, request_id, model_version, row, p) for row, p in rows]
        if len(self._queue) >= MAX_QUEUED:
            self.flush()

    def flush(self) -> None:
        """Write the queued rows to disk (call ``open`` first); the queue is emptied even when
        writing fails, so a full disk loses log lines rather than filling the memory."""
        queued, self._queue = self._queue, []
        lines = b"".join(self._line(*entry) for entry in queued)
        self._file.write(lines)
        self._file.flush()
        self._size += len(lines)
        if self._size >= self.max_bytes:
            self._rotate()

    def close(self) -> None:
        """Flush and close; a closed log can be opened again."""
        if self._file is not None:
            self.flush()
            self._file.close()
            self._file = None

    def _line(
        self, now: float, request_id: str, version: str, row: Any, prediction: Prediction
    ) -> bytes:
        record = {
            "time": self._stamp(now),
            "request_id": request_id,
            "model_version": version,
            "inputs": row,
            "prediction": prediction.value,
            "probabilities": prediction.probabilities,
            "clipped": None if prediction.probabilities is not None else prediction.clipped,
        }
        return to_json(record) + b"\n"  # pydantic's encoder: compact, and fast

    def _stamp(self, now: float) -> str:
        """``utc_stamp(now)``, formatting the part to the second once a second."""
        if int(now) != self._second:
            self._second = int(now)
            self._whole = utc_stamp(self._second).removesuffix(".000Z")
        return f"{self._whole}.{int(now % 1 * 1000):03d}Z"

    def _rotate(self) -> None:
        self._file.close()
        for number in range(KEEP, 0, -1):  # .4 replaces .5, ..., the current file becomes .1
            source = rotated(self.path, number - 1)
            if source.exists():
                os.replace(source, rotated(self.path, number))
        self.open()


def rotated(path: Path, number: int) -> Path:
    """The current file for 0, else the ``number``-th newest rotated one."""
    return path.with_name(f"{path.name}.{number}") if number else path


def read_log(path: Path, contract: Contract) -> pd.DataFrame:
    """Every logged prediction, oldest first: time, request_id, model_version, clipped (null
    for classifiers and older logs) and the features.

    The current file and its rotated predecessors are read. An incomplete last line (the
    service was writing, or stopped abruptly) is skipped; anything else unreadable is an error.
    """
    files = [rotated(path, n) for n in range(KEEP, -1, -1) if rotated(path, n).is_file()]
    if not files:
        raise PredictionLogError(
            f"{path}: no prediction log: serve the model and send it requests first"
        )
    schema = _schema(contract)
    tables = [_read_file(file, schema) for file in files]
    table = pa.concat_tables([t for t in tables if t is not None] or [schema.empty_table()])
    if table.num_rows == 0:
        raise PredictionLogError(f"{path}: the prediction log is empty: no predictions yet")
    inputs = table.column("inputs").combine_chunks()
    names = ("time", "request_id", "model_version", "clipped")
    columns = {name: table.column(name) for name in names}
    columns |= {name: inputs.field(name) for name in contract.feature_names}
    return pa.table(columns).to_pandas()


def _schema(contract: Contract) -> pa.Schema:
    features = [(c.name, _ARROW_TYPES.get(c.type, pa.string())) for c in contract.features]
    text = pa.string()
    fields = [("time", text), ("request_id", text), ("model_version", text)]
    return pa.schema([*fields, ("inputs", pa.struct(features)), ("clipped", pa.bool_())])


def _read_file(file: Path, schema: pa.Schema) -> pa.Table | None:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise PredictionLogError(f"{file}: cannot read: {exc.strerror}") from exc
    complete = data[: data.rfind(b"\n") + 1]
    if len(complete) < len(data):
        log.warning("%s: skipped an incomplete last line", file)
    if not complete.strip():
        return None
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        table = pa_json.read_json(pa.BufferReader(complete), parse_options=options)
    except pa.ArrowInvalid as exc:
        raise PredictionLogError(f"{file}: not a prediction log: {exc}") from exc
    incomplete = max(table.column(name).null_count for name in ("time", "model_version", "inputs"))
    if incomplete:
        raise PredictionLogError(
            f"{file}: not a prediction log: {incomplete} line(s) lack a time, model_version "
            "or inputs"
        )
    return table
