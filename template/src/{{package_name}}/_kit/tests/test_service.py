from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..service import REQUEST_LOG, create_app
from ..settings import Settings

ROW = {"region": "north", "distance_km": 3.2, "items": 2, "hour": 12, "courier_rating": 4.5}


def _settings(models: Path, log: Path | None, **options: float) -> Settings:
    return Settings.load(models_dir=models, predictions_log=log, **options)


@pytest.fixture(scope="module")
def client(trained_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    log = tmp_path_factory.mktemp("service") / "predictions.jsonl"
    app = create_app(_settings(trained_models, log), max_batch=5)
    with TestClient(app) as client:  # runs start-up: the model loads here
        yield client


def test_health_and_model_metadata(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "alive"}
    assert client.get("/health/ready").json() == {"status": "ready", "model_version": "v1"}
    model = client.get("/model").json()
    assert model["version"] == "v1"
    assert model["metrics"]["beats_baseline"] is True


def test_predict_one_row_and_a_batch(client: TestClient) -> None:
    one = client.post("/predict", json=ROW)
    assert one.status_code == 200
    assert one.json()["model_version"] == "v1"
    batch = client.post("/predict/batch", json={"rows": [ROW, {**ROW, "hour": 19}]})
    assert batch.status_code == 200
    first, alone = batch.json()["predictions"][0], one.json()
    assert set(first) == set(alone) - {"model_version"}
    # One row is scored in plain Python, a batch in NumPy: the same sums, rounded apart.
    assert first == {key: _close(value) for key, value in alone.items() if key != "model_version"}
    assert len(batch.json()["predictions"]) == 2


def _close(value: Any) -> Any:
    """``value`` to compare within 1e-12 (a number, or a mapping of them); others exactly."""
    return pytest.approx(value, rel=0, abs=1e-12) if isinstance(value, float | dict) else value


# case: (endpoint, body, location of the first error)
BAD_PAYLOADS: dict[str, tuple[str, Any, list[Any]]] = {
    "not JSON": ("/predict", b"{region: north", ["body", 1]),
    "a list instead of a row": ("/predict", [ROW], ["body"]),
    "missing field": ("/predict", {k: v for k, v in ROW.items() if k != "hour"}, ["body", "hour"]),
    "null where required": ("/predict", {**ROW, "region": None}, ["body", "region"]),
    "text for a number": ("/predict", {**ROW, "items": "two"}, ["body", "items"]),
    "out of range": ("/predict", {**ROW, "hour": 24}, ["body", "hour"]),
    "unknown category": ("/predict", {**ROW, "region": "mars"}, ["body", "region"]),
    "extra field": ("/predict", {**ROW, "colour": "red"}, ["body", "colour"]),
    "empty batch": ("/predict/batch", {"rows": []}, ["body", "rows"]),
    "bad row in a batch": (
        "/predict/batch",
        {"rows": [{**ROW, "hour": -1}]},
        ["body", "rows", 0, "hour"],
    ),
    "oversized batch": ("/predict/batch", {"rows": [ROW] * 6}, ["body", "rows"]),
}


@pytest.mark.parametrize("case", list(BAD_PAYLOADS))
def test_bad_payloads_get_422_naming_the_field_never_500(client: TestClient, case: str) -> None:
    path, body, location = BAD_PAYLOADS[case]
    if isinstance(body, bytes):
        response = client.post(path, content=body, headers={"content-type": "application/json"})
    else:
        response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    first = response.json()["detail"][0]
    assert first["loc"] == location
    assert first["msg"]


def test_an_oversized_batch_is_refused_clearly_without_echoing_it(client: TestClient) -> None:
    detail = client.post("/predict/batch", json={"rows": [ROW] * 6}).json()["detail"]
    assert detail[0]["msg"] == "List should have at most 5 items after validation, not 6"
    assert "input" not in detail[0]


def test_one_json_log_line_per_request_with_the_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=REQUEST_LOG.name):
        response = client.post("/predict", json=ROW, headers={"X-Request-ID": "req-42"})
        client.post("/predict", json={**ROW, "hour": 99})
    assert response.headers["x-request-id"] == "req-42"
    ok, invalid = (json.loads(record.getMessage()) for record in caplog.records)
    assert ok["request_id"] == "req-42"
    assert (ok["path"], ok["status"], ok["outcome"]) == ("/predict", 200, "ok")
    assert ok["model_version"] == "v1"
    assert ok["latency_ms"] > 0
    assert (invalid["status"], invalid["outcome"]) == (422, "invalid")
    assert invalid["request_id"], "a request without an id gets one"


def test_openapi_documents_the_contract_fields(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    row = next(schema for name, schema in schemas.items() if name.endswith("Row"))
    assert list(row["properties"]) == ["region", "distance_km", "items", "hour", "courier_rating"]
    assert row["properties"]["hour"]["maximum"] == 23


def test_every_prediction_is_logged_with_its_inputs_and_request_id(
    trained_models: Path, tmp_path: Path
) -> None:
    log = tmp_path / "logs" / "predictions.jsonl"
    with TestClient(create_app(_settings(trained_models, log))) as client:
        one = client.post("/predict", json=ROW, headers={"X-Request-ID": "req-7"}).json()
        client.post("/predict/batch", json={"rows": [ROW, {**ROW, "hour": 19}, ROW]})
        client.post("/predict", json={**ROW, "hour": 99})  # refused: nothing predicted
    # Leaving the block shuts the service down, which writes out every buffered line.
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4, "one line per predicted row"
    assert lines[0]["request_id"] == "req-7"
    assert lines[0]["inputs"] == ROW
    assert lines[0]["model_version"] == "v1"
    assert lines[0]["prediction"] == one["prediction"]
    assert lines[0]["probabilities"] == one.get("probabilities")
    batch_ids = {line["request_id"] for line in lines[1:]}
    assert len(batch_ids) == 1
    assert batch_ids != {"req-7"}
    assert lines[2]["inputs"]["hour"] == 19


def test_the_prediction_log_rotates_and_can_be_turned_off(
    trained_models: Path, tmp_path: Path
) -> None:
    log = tmp_path / "predictions.jsonl"
    with TestClient(create_app(_settings(trained_models, log, predictions_log_max_mb=0.001))) as c:
        for _ in range(20):
            c.post("/predict", json=ROW)
    assert log.with_name("predictions.jsonl.1").is_file()
    with TestClient(create_app(_settings(trained_models, None))) as client:
        assert client.post("/predict", json=ROW).status_code == 200


def test_without_a_model_the_service_starts_but_is_not_ready(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path / "empty", None))) as client:
        assert client.get("/health/live").status_code == 200
        ready = client.get("/health/ready")
        predict = client.post("/predict", json=ROW)
    assert ready.status_code == 503
    assert "no current model" in ready.json()["detail"]
    assert predict.status_code == 503


def test_the_service_does_not_import_great_expectations() -> None:
    code = (
        f"import sys; from {create_app.__module__} import create_app; create_app(); "
        "print(sorted(name for name in sys.modules if name.startswith('great_expectations')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
