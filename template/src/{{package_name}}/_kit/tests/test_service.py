from __future__ import annotations

import json
import logging
import math
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from ..contract import Column, Contract
from ..records import Metadata
from ..registry import Registry
from ..service import ECHO_CHARS, MAX_BODY_BYTES, REQUEST_LOG, create_app, without_paths
from ..settings import Settings
from ..tasks import CLASSIFICATION
from .conftest import (
    UNKNOWN,
    bounded_feature,
    category_feature,
    find_column,
    invalid_value,
    number_feature,
    outside,
    request_rows,
    required_feature,
    unlisted,
)

JSON = {"content-type": "application/json"}


def _settings(models: Path, log: Path | None, **options: float) -> Settings:
    return Settings.load(models_dir=models, predictions_log=log, **options)


@pytest.fixture(scope="module")
def rows(_sample_rows: pd.DataFrame, contract: Contract) -> list[dict[str, Any]]:
    """Two sample rows as a caller sends them."""
    return request_rows(_sample_rows.head(2), contract)


@pytest.fixture
def row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return dict(rows[0])


@pytest.fixture
def other(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return dict(rows[1])


@pytest.fixture
def bad(row: dict[str, Any], contract: Contract) -> dict[str, Any]:
    """``row`` with its first feature breaking the contract."""
    first = contract.features[0]
    return {**row, first.name: invalid_value(first)}


@pytest.fixture(scope="module")
def client(trained_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    log = tmp_path_factory.mktemp("service") / "predictions.jsonl"
    app = create_app(_settings(trained_models, log), max_batch=5)
    with TestClient(app) as client:  # runs start-up: the model loads here
        yield client


def test_health_and_model_metadata_without_server_paths(
    client: TestClient, trained_models: Path
) -> None:
    assert client.get("/health/live").json() == {"status": "alive"}
    assert client.get("/health/ready").json() == {"status": "ready", "model_version": "v1"}
    answer = client.get("/model")
    model = Metadata.model_validate_json(answer.content)
    registered = Registry(trained_models).metadata("v1")
    assert Path(registered.data.path).is_absolute(), "the fixture trains on a temporary file"
    assert model.data.path == Path(registered.data.path).name
    assert model.model_copy(update={"data": registered.data}) == registered
    assert str(Path(registered.data.path).parent) not in answer.text


def test_predict_one_row_and_a_batch(
    client: TestClient, contract: Contract, row: dict[str, Any], other: dict[str, Any]
) -> None:
    one = client.post("/predict", json=row)
    assert one.status_code == 200
    assert one.json()["model_version"] == "v1"
    if contract.task == CLASSIFICATION:
        labels = set(contract.target.allowed or ("False", "True"))
        assert one.json()["prediction"] in labels
        assert set(one.json()["probabilities"]) == labels
    else:
        assert math.isfinite(one.json()["prediction"])
    batch = client.post("/predict/batch", json={"rows": [row, other]})
    assert batch.status_code == 200
    first, alone = batch.json()["predictions"][0], one.json()
    assert set(first) == set(alone) - {"model_version"}
    # A linear model scores one row in plain Python, a batch in NumPy: the same sums, rounded
    # apart.
    assert first == {key: _close(value) for key, value in alone.items() if key != "model_version"}
    assert len(batch.json()["predictions"]) == 2


def _close(value: Any) -> Any:
    """``value`` to compare within 1e-12 (a number, or a mapping of them); others exactly."""
    return pytest.approx(value, rel=0, abs=1e-12) if isinstance(value, float | dict) else value


Payload = tuple[str, Any, list[Any]]  # endpoint, body, location of the first error


def _without(contract: Contract, row: dict[str, Any]) -> Payload:
    name = required_feature(contract).name
    return "/predict", {k: v for k, v in row.items() if k != name}, ["body", name]


def _replaced(column: Column, row: dict[str, Any], value: Any) -> Payload:
    return "/predict", {**row, column.name: value}, ["body", column.name]


def _bad_row_in_a_batch(contract: Contract, row: dict[str, Any]) -> Payload:
    first = contract.features[0]
    bad = {**row, first.name: invalid_value(first)}
    return "/predict/batch", {"rows": [bad]}, ["body", "rows", 0, first.name]


# Each case from the contract and a valid row; the helpers skip a case the contract lacks.
BAD_PAYLOADS: dict[str, Callable[[Contract, dict[str, Any]], Payload]] = {
    "not JSON": lambda contract, row: ("/predict", b"{field: value", ["body", 1]),
    "a list instead of a row": lambda contract, row: ("/predict", [row], ["body"]),
    "missing field": _without,
    "null where required": lambda c, row: _replaced(required_feature(c), row, None),
    "text for a number": lambda c, row: _replaced(number_feature(c), row, "two"),
    "out of range": lambda c, row: _replaced(
        bounded_feature(c)[0], row, outside(*bounded_feature(c))
    ),
    "unknown category": lambda c, row: _replaced(
        category_feature(c), row, unlisted(category_feature(c))
    ),
    "extra field": lambda contract, row: ("/predict", {**row, UNKNOWN: "red"}, ["body", UNKNOWN]),
    "empty batch": lambda contract, row: ("/predict/batch", {"rows": []}, ["body", "rows"]),
    "bad row in a batch": _bad_row_in_a_batch,
    "oversized batch": lambda contract, row: (
        "/predict/batch",
        {"rows": [row] * 6},
        ["body", "rows"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_PAYLOADS))
def test_bad_payloads_get_422_naming_the_field_never_500(
    client: TestClient, contract: Contract, row: dict[str, Any], case: str
) -> None:
    path, body, location = BAD_PAYLOADS[case](contract, row)
    if isinstance(body, bytes):
        response = client.post(path, content=body, headers={"content-type": "application/json"})
    else:
        response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    first = response.json()["detail"][0]
    assert first["loc"] == location
    assert first["msg"]


def test_an_oversized_batch_is_refused_clearly_without_echoing_it(
    client: TestClient, row: dict[str, Any]
) -> None:
    detail = client.post("/predict/batch", json={"rows": [row] * 6}).json()["detail"]
    assert detail[0]["msg"] == "List should have at most 5 items after validation, not 6"
    assert "input" not in detail[0]


def test_one_json_log_line_per_request_with_the_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture, row: dict[str, Any], bad: dict[str, Any]
) -> None:
    with caplog.at_level(logging.INFO, logger=REQUEST_LOG.name):
        response = client.post("/predict", json=row, headers={"X-Request-ID": "req-42"})
        client.post("/predict", json=bad)
    assert response.headers["x-request-id"] == "req-42"
    logged = [record for record in caplog.records if record.name == REQUEST_LOG.name]
    ok, invalid = (json.loads(record.getMessage()) for record in logged)
    assert ok["request_id"] == "req-42"
    assert (ok["path"], ok["status"], ok["outcome"]) == ("/predict", 200, "ok")
    assert ok["model_version"] == "v1"
    assert ok["latency_ms"] > 0
    assert (invalid["status"], invalid["outcome"]) == (422, "invalid")
    assert invalid["request_id"], "a request without an id gets one"


def test_openapi_documents_the_contract_fields(client: TestClient, contract: Contract) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    row = next(schema for name, schema in schemas.items() if name.endswith("Row"))
    assert list(row["properties"]) == contract.feature_names
    assert set(row.get("required", [])) == {c.name for c in contract.features if not c.nullable}
    for column in contract.features:
        if column.type in ("integer", "float") and not column.nullable:
            field = row["properties"][column.name]
            assert (field.get("minimum"), field.get("maximum")) == (column.min, column.max)


def test_every_prediction_is_logged_with_its_inputs_and_request_id(
    trained_models: Path,
    tmp_path: Path,
    row: dict[str, Any],
    other: dict[str, Any],
    bad: dict[str, Any],
) -> None:
    log = tmp_path / "logs" / "predictions.jsonl"
    with TestClient(create_app(_settings(trained_models, log))) as client:
        one = client.post("/predict", json=row, headers={"X-Request-ID": "req-7"}).json()
        client.post("/predict/batch", json={"rows": [row, other, row]})
        client.post("/predict", json=bad)  # refused: nothing predicted
    # Leaving the block shuts the service down, which writes out every buffered line.
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4, "one line per predicted row"
    assert lines[0]["request_id"] == "req-7"
    assert lines[0]["inputs"] == row
    assert lines[0]["model_version"] == "v1"
    assert lines[0]["prediction"] == one["prediction"]
    assert lines[0]["probabilities"] == one.get("probabilities")
    batch_ids = {line["request_id"] for line in lines[1:]}
    assert len(batch_ids) == 1
    assert batch_ids != {"req-7"}
    assert lines[2]["inputs"] == other


def test_the_prediction_log_rotates_and_can_be_turned_off(
    trained_models: Path, tmp_path: Path, row: dict[str, Any]
) -> None:
    log = tmp_path / "predictions.jsonl"
    with TestClient(create_app(_settings(trained_models, log, predictions_log_max_mb=0.001))) as c:
        for _ in range(20):
            c.post("/predict", json=row)
    assert log.with_name("predictions.jsonl.1").is_file()
    with TestClient(create_app(_settings(trained_models, None))) as client:
        assert client.post("/predict", json=row).status_code == 200


def test_without_a_model_the_service_starts_but_is_not_ready(
    tmp_path: Path, row: dict[str, Any]
) -> None:
    with TestClient(create_app(_settings(tmp_path / "empty", None))) as client:
        assert client.get("/health/live").status_code == 200
        ready = client.get("/health/ready")
        predict = client.post("/predict", json=row)
    assert ready.status_code == 503
    assert "no current model" in ready.json()["detail"]
    assert predict.status_code == 503


@pytest.mark.slow  # a new interpreter
def test_the_service_does_not_import_great_expectations() -> None:
    code = (
        f"import sys; from {create_app.__module__} import create_app; create_app(); "
        "print(sorted(name for name in sys.modules if name.startswith('great_expectations')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def _required_number(contract: Contract) -> Column:
    """A number feature that is not nullable (where NaN means missing, which is allowed)."""
    return find_column(
        contract,
        "number feature that is not nullable",
        lambda c: c.role == "feature" and c.type in ("integer", "float") and not c.nullable,
    )


def _refuse_constants(name: str) -> None:
    raise AssertionError(f"the answer is not strict JSON: it contains {name}")


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
@pytest.mark.parametrize("path", ["/predict", "/predict/batch"])
def test_non_finite_numbers_get_422_naming_the_field(
    client: TestClient, contract: Contract, row: dict[str, Any], token: str, path: str
) -> None:
    """Python's JSON reads these as floats; the 422 once echoed them and failed with a 500."""
    name = _required_number(contract).name
    body = {**row, name: "TOKEN"}
    location = ["body", name]
    if path == "/predict/batch":
        body, location = {"rows": [row, body]}, ["body", "rows", 1, name]
    raw = json.dumps(body).replace('"TOKEN"', token)
    response = client.post(path, content=raw, headers=JSON)
    assert response.status_code == 422, response.text
    detail = json.loads(response.text, parse_constant=_refuse_constants)["detail"]
    assert [error["loc"] for error in detail] == [location]
    assert detail[0]["msg"]


@pytest.mark.parametrize("body", ["NaN", '{"rows": Infinity}', "[1e400]"])
def test_non_finite_bodies_get_422_too(client: TestClient, body: str) -> None:
    for path in ("/predict", "/predict/batch"):
        response = client.post(path, content=body, headers=JSON)
        assert response.status_code == 422, response.text
        json.loads(response.text, parse_constant=_refuse_constants)


def test_a_422_never_echoes_long_input(
    client: TestClient, contract: Contract, row: dict[str, Any]
) -> None:
    column = category_feature(contract)
    huge = "x" * 1_000_000
    response = client.post("/predict", json={**row, column.name: huge})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", column.name]
    assert error["input"] == "x" * ECHO_CHARS + "..."
    long_name = "y" * 100_000  # an unknown field's name is echoed in its location
    response = client.post("/predict/batch", json={"rows": [{**row, long_name: 1}]})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "rows", 0, "y" * ECHO_CHARS + "..."]
    assert len(response.content) < 1000
    response = client.post("/predict", content=b'{"\\ud800": 1}', headers=JSON)
    assert response.status_code == 422, "a name JSON allows but UTF-8 cannot encode"
    assert response.json()["detail"][0]["input"] == "\\ud800", "spelt out, not sent as is"


def test_a_body_that_is_not_json_text_gets_400(client: TestClient) -> None:
    for body in (b'{"a": "\xff"}', b"[" * 100_000):  # not UTF-8; nested past Python's limit
        response = client.post("/predict", content=body, headers=JSON)
        assert response.status_code == 400, response.text
        assert response.json() == {"detail": "There was an error parsing the body"}


def test_a_body_over_the_limit_gets_413_before_it_is_read(
    trained_models: Path, row: dict[str, Any]
) -> None:
    body = json.dumps({"rows": [row] * 3}).encode()
    app = create_app(_settings(trained_models, None), max_batch=5, max_body_bytes=len(body) - 1)
    with TestClient(app) as client:
        announced = client.post("/predict/batch", content=body, headers=JSON)
        chunked = client.post("/predict/batch", content=iter([body[:100], body[100:]]))
        under = client.post("/predict/batch", json={"rows": [row] * 2})
    limit = f"the request body is over the limit of {len(body) - 1} bytes"
    assert (announced.status_code, announced.json()) == (413, {"detail": limit})
    assert "content-length" not in chunked.request.headers
    assert (chunked.status_code, chunked.json()) == (413, {"detail": limit})
    assert under.status_code == 200


def test_openapi_lists_every_answer(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/predict", "/predict/batch"):
        answers = paths[path]["post"]["responses"]
        assert set(answers) == {"200", "400", "413", "422", "503"}
        assert f"over {MAX_BODY_BYTES} bytes" in answers["413"]["description"]
        schema = answers["422"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/InvalidRequest"}
    for path in ("/health/ready", "/model"):
        assert set(paths[path]["get"]["responses"]) == {"200", "503"}


def test_a_503_names_the_problem_without_server_paths(
    trained_models: Path, tmp_path: Path, row: dict[str, Any]
) -> None:
    models = tmp_path / "models"
    shutil.copytree(trained_models, models)
    (models / "current").write_text("../../etc\n", encoding="utf-8")
    with TestClient(create_app(_settings(models, None))) as client:
        tampered = client.get("/health/ready")
        predict = client.post("/predict", json=row)
    (models / "current").unlink()
    with TestClient(create_app(_settings(models, None))) as client:
        missing = client.get("/model")
    assert (tampered.status_code, predict.status_code, missing.status_code) == (503, 503, 503)
    assert tampered.json()["detail"] == (
        "no model loaded: models/current names '../../etc', not a model version "
        "(v and a number, such as v3): run the models promote command to repair it"
    )
    assert missing.json()["detail"] == (
        "no model loaded: no current model in models/: run the train command first"
    )
    for answer in (tampered, predict, missing):
        assert str(tmp_path) not in answer.text


def test_without_paths_keeps_the_registry_name_and_the_last_part_of_other_paths() -> None:
    assert without_paths("no model in /srv/app/models/: x") == "no model in models/: x"
    assert without_paths("model v1: /a/b/v1/metadata.json: bad") == "model v1: metadata.json: bad"
    assert without_paths(r"see C:\data\models\v1 and models/v2") == "see v1 and models/v2"
    models = Path("/srv/app/models")
    assert without_paths("model v1: /srv/app/models/v1/metadata.json", models) == (
        "model v1: models/v1/metadata.json"
    )
