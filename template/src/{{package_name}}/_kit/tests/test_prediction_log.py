from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ..contract import Contract
from ..prediction_log import (
    KEEP,
    MAX_QUEUED,
    PredictionLog,
    PredictionLogError,
    read_log,
    rotated,
    utc_stamp,
)
from ..predictor import Prediction
from .conftest import find_column, request_rows

PREDICTION = Prediction(1.0)


@pytest.fixture(scope="module")
def rows(_sample_rows: pd.DataFrame, contract: Contract) -> list[dict[str, Any]]:
    """Ten sample rows as the service logs them; the second misses every nullable feature."""
    rows = request_rows(_sample_rows.head(10), contract)
    rows[1].update({column.name: None for column in contract.features if column.nullable})
    return rows


def _write(
    path: Path, batches: list[int], rows: list[dict[str, Any]], *, max_bytes: int = 10**9
) -> None:
    """One request per entry of ``batches``, with that many of ``rows``, each written out at
    once (as if a second passed between requests); request ids r0, r1, ..."""
    log = PredictionLog(path, max_bytes=max_bytes)
    log.open()
    for number, size in enumerate(batches):
        log.write(f"r{number}", "v1", rows[:size], [PREDICTION] * size)
        log.flush()
    log.close()


def _as_sent(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Logged rows as a caller sends them: plain values, None when missing."""
    values = frame.astype(object)
    return values.where(values.notna(), None).to_dict("records")


def test_writing_only_queues_until_the_log_is_flushed(
    tmp_path: Path, rows: list[dict[str, Any]]
) -> None:
    row = rows[0]
    path = tmp_path / "predictions.jsonl"
    log = PredictionLog(path, max_bytes=10**9)
    log.open()
    log.write("r0", "v1", [row], [PREDICTION])
    assert path.read_bytes() == b""
    log.flush()
    assert path.read_bytes().count(b"\n") == 1
    log.write("r1", "v1", [row] * MAX_QUEUED, [PREDICTION] * MAX_QUEUED)
    assert path.read_bytes().count(b"\n") == 1 + MAX_QUEUED, "a full queue writes itself out"
    log.write("r2", "v1", [row], [PREDICTION])
    log.close()
    assert path.read_bytes().count(b"\n") == 2 + MAX_QUEUED, "closing writes out the rest"


def test_one_line_per_row_with_inputs_and_prediction(
    tmp_path: Path, contract: Contract, rows: list[dict[str, Any]]
) -> None:
    path = tmp_path / "logs" / "predictions.jsonl"
    _write(path, [1, 3], rows)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [line["request_id"] for line in lines] == ["r0", "r1", "r1", "r1"]
    assert lines[0]["inputs"] == rows[0]
    assert (lines[0]["model_version"], lines[0]["prediction"]) == ("v1", 1.0)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", lines[0]["time"])

    logged = read_log(path, contract)
    fields = ["time", "request_id", "model_version", "clipped"]
    assert list(logged.columns) == [*fields, *contract.feature_names]
    assert _as_sent(logged[contract.feature_names]) == [rows[0], rows[0], rows[1], rows[2]]


def test_appends_across_restarts(
    tmp_path: Path, contract: Contract, rows: list[dict[str, Any]]
) -> None:
    path = tmp_path / "predictions.jsonl"
    _write(path, [2], rows)
    _write(path, [1], rows)
    assert len(read_log(path, contract)) == 3


def test_rotates_by_size_and_reads_back_oldest_first(
    tmp_path: Path, contract: Contract, rows: list[dict[str, Any]]
) -> None:
    probe = tmp_path / "probe.jsonl"
    _write(probe, [1], rows)
    line = probe.stat().st_size  # one line's bytes, give or take a digit of the request id
    path = tmp_path / "logs" / "predictions.jsonl"
    _write(path, [1] * 40, rows, max_bytes=5 * line)  # about five lines a file
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["predictions.jsonl", *(f"predictions.jsonl.{n}" for n in range(1, KEEP + 1))]
    assert all(rotated(path, n).stat().st_size < 6 * line for n in range(1, KEEP + 1))
    logged = read_log(path, contract)
    numbers = [int(request_id[1:]) for request_id in logged["request_id"]]
    assert numbers == sorted(numbers), "oldest first"
    assert numbers[-1] == 39, "the newest line is kept"
    assert len(logged) < 40, "the oldest files are deleted"


def test_utc_stamp() -> None:
    assert utc_stamp(0.25) == "1970-01-01T00:00:00.250Z"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no prediction log: serve the model and send it requests first"),
        ("", "the prediction log is empty"),
        ('{"time": "2026-01-01T00:00:00.000Z", "model_ver\n', "not a prediction log: JSON parse"),
        ('{"request_id": "a", "method": "GET", "status": 200}\n', "1 line(s) lack a time"),
        ('{"time": "t", "model_version": "v1", "inputs": {"NUMBER": "noon"}}\n', "not a pred"),
    ],
)
def test_unusable_logs_are_refused_in_one_line(
    tmp_path: Path, contract: Contract, content: str | None, message: str
) -> None:
    path = tmp_path / "predictions.jsonl"
    if content is not None and "NUMBER" in content:  # text in a number (or boolean) feature
        typed = find_column(
            contract,
            "number or boolean feature",
            lambda c: c.role == "feature" and c.type in ("integer", "float", "boolean"),
        )
        content = content.replace("NUMBER", typed.name)
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(PredictionLogError, match=re.escape(message)) as refused:
        read_log(path, contract)
    assert str(refused.value).startswith(str(path))
    assert "\n" not in str(refused.value)


def test_an_incomplete_last_line_is_skipped(
    tmp_path: Path, contract: Contract, rows: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "predictions.jsonl"
    _write(path, [2], rows)
    with path.open("a", encoding="utf-8") as log:
        log.write('{"time": "2026-01-01T00:00:00.000Z", "req')
    assert len(read_log(path, contract)) == 2
    assert "skipped an incomplete last line" in caplog.text


def test_a_log_that_cannot_be_opened_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "logs").write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(PredictionLogError, match="cannot open the prediction log"):
        PredictionLog(tmp_path / "logs" / "predictions.jsonl", max_bytes=100).open()
