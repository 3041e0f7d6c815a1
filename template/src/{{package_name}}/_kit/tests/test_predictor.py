"""The same contract tests for both predictors: in-process from the pickle, and over HTTP.
Then which way a model is scored (``scoring.py``): compiled, or by its pipeline with a warning,
the answers are the pickle's."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import Pipeline

from .. import predictor as predictor_module
from ..contract import Contract, parse_contract
from ..data import conform
from ..evaluate import split_features_target
from ..predictor import (
    HttpPredictor,
    LocalPredictor,
    Prediction,
    PredictionInputError,
    Predictor,
    ServiceError,
    clip_to_target,
)
from ..registry import Registry
from ..schema import row_model
from ..scoring import ATOL, ROW_BY_ROW, RTOL, compile_pipeline
from ..service import create_app
from ..settings import Settings
from ..tasks import CLASSIFICATION
from .conftest import UNKNOWN, invalid_value, request_rows
from .reference import reference_model


@pytest.fixture(scope="module")
def rows(_sample_rows: pd.DataFrame, contract: Contract) -> list[dict[str, Any]]:
    """Fifty sample rows as a caller would send them: plain values, None when missing."""
    return request_rows(_sample_rows.head(50), contract)


@pytest.fixture(params=["local", pytest.param("http", marks=pytest.mark.slow)])  # a real server
def predictor(request: pytest.FixtureRequest, trained_models: Path) -> Iterator[Predictor]:
    if request.param == "local":
        yield LocalPredictor.from_registry(trained_models)
        return
    with HttpPredictor(request.getfixturevalue("service_url"), batch_size=7) as client:
        yield client  # batches of 7: fifty rows take eight requests


def test_predictions_match_the_registered_pipeline(
    predictor: Predictor, rows: list[dict[str, Any]], trained_models: Path, contract: Contract
) -> None:
    pipeline, _ = Registry(trained_models).load()
    frame = conform(pd.DataFrame(rows), contract)
    predictions = predictor.predict(rows)
    assert predictor.model_version == "v1"
    if contract.task == CLASSIFICATION:  # labels as text, whatever their type in the data
        assert [p.value for p in predictions] == [str(v) for v in pipeline.predict(frame)]
        assert all(isinstance(p.value, str) for p in predictions)
        expected = pipeline.predict_proba(frame)
        labels = [str(label) for label in pipeline.classes_]
        assert sorted(labels) == sorted(contract.target.allowed or ("False", "True"))
        for prediction, probabilities in zip(predictions, expected, strict=True):
            assert prediction.probabilities == pytest.approx(
                dict(zip(labels, probabilities, strict=True))
            )
    else:
        assert [p.value for p in predictions] == pytest.approx(list(pipeline.predict(frame)))
        assert all(p.probabilities is None for p in predictions)
        assert all(isinstance(p.value, float) for p in predictions)


def test_invalid_rows_are_refused_naming_row_and_field(
    predictor: Predictor, rows: list[dict[str, Any]], contract: Contract
) -> None:
    first, last = contract.features[0], contract.features[-1]
    bad = [
        rows[0],
        {**rows[1], first.name: invalid_value(first)},
        {**rows[2], last.name: invalid_value(last), UNKNOWN: "red"},
    ]
    with pytest.raises(PredictionInputError) as refused:
        predictor.predict(bad)
    assert [(e["row"], e["field"]) for e in refused.value.errors] == [
        (2, first.name),
        (3, last.name),
        (3, UNKNOWN),
    ]
    with pytest.raises(ValidationError) as direct:  # both predictors pass pydantic's words on
        row_model(contract).model_validate(bad[1])
    message = direct.value.errors()[0]["msg"]
    assert refused.value.errors[0]["message"] == message
    assert f"row 2: {first.name}: {message}" in str(refused.value)
    assert refused.value.errors[2]["message"] == "Extra inputs are not permitted"


def test_no_rows_no_predictions(predictor: Predictor) -> None:
    assert predictor.predict([]) == []


def test_an_unreachable_service_is_a_one_line_error() -> None:
    with (
        HttpPredictor("http://127.0.0.1:9", timeout=1.0) as client,
        pytest.raises(ServiceError, match="cannot reach the service"),
    ):
        client.predict([{UNKNOWN: 1}])


def assert_pickle_answers(
    predictions: list[Prediction], model: Any, rows: list[dict[str, Any]], contract: Contract
) -> None:
    """The labels the pickle's probabilities rank first, and those probabilities (within
    scoring's tolerance); or its numbers, clipped into the target's range."""
    frame = conform(pd.DataFrame(rows, columns=contract.feature_names), contract)
    if contract.task == CLASSIFICATION:
        expected = model.predict_proba(frame)
        labels = [str(label) for label in model.classes_]
        assert [p.value for p in predictions] == [labels[i] for i in expected.argmax(axis=1)]
        got = [[p.probabilities[label] for label in labels] for p in predictions]
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
    else:
        expected = clip_to_target(model.predict(frame), contract)
        np.testing.assert_allclose([p.value for p in predictions], expected, rtol=RTOL, atol=ATOL)


def fitted(estimator: Any, frame: pd.DataFrame, contract: Contract) -> Pipeline:
    model = reference_model(contract).set_params(estimator=estimator)
    return model.fit(*split_features_target(frame, contract))


@pytest.fixture(scope="module")
def forest_models(
    _sample_rows: pd.DataFrame,
    contract: Contract,
    trained_models: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """A registry whose current model is a histogram gradient boosting pipeline."""
    kind = (
        HistGradientBoostingClassifier
        if contract.task == CLASSIFICATION
        else HistGradientBoostingRegressor
    )
    model = fitted(kind(max_iter=30, random_state=0), _sample_rows, contract)
    fields = Registry(trained_models).metadata().model_dump(exclude={"version", "pickle_sha256"})
    registry = Registry(tmp_path_factory.mktemp("forest") / "models")
    registry.register(model, **{**fields, "estimator": type(model[-1]).__name__})
    registry.promote("v1")
    return registry.root


def test_a_tree_ensemble_is_compiled_and_answers_as_its_pickle_here_and_over_http(
    forest_models: Path, rows: list[dict[str, Any]], contract: Contract
) -> None:
    model, _ = Registry(forest_models).load()
    local = LocalPredictor.from_registry(forest_models, contract=contract)
    assert local.scorer is not None
    few = rows[:ROW_BY_ROW]
    assert_pickle_answers([local.predict([row])[0] for row in few], model, few, contract)
    assert_pickle_answers(local.predict(few), model, few, contract)  # one by one
    assert_pickle_answers(local.predict(rows), model, rows, contract)  # more: as an array
    settings = Settings.load(models_dir=forest_models, predictions_log=None)
    with TestClient(create_app(settings)) as client:
        one = [client.post("/predict", json=row).json() for row in few]
        many = client.post("/predict/batch", json={"rows": few}).json()["predictions"]
    for answers in (one, many):
        served = [Prediction(a["prediction"], a.get("probabilities")) for a in answers]
        assert_pickle_answers(served, model, few, contract)


def test_a_model_without_a_compiled_scorer_is_served_by_its_pipeline_with_one_warning(
    sample_rows: pd.DataFrame,
    rows: list[dict[str, Any]],
    contract: Contract,
    caplog: pytest.LogCaptureFixture,
) -> None:
    kind = KNeighborsClassifier if contract.task == CLASSIFICATION else KNeighborsRegressor
    model = fitted(kind(), sample_rows, contract)
    with caplog.at_level(logging.WARNING):
        predictor = LocalPredictor(model, SimpleNamespace(version="v7"), contract)
    [warning] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.startswith("model v7 is scored by its scikit-learn pipeline")
    assert f"{kind.__name__} has no fast scorer" in warning
    assert predictor.scorer is None
    assert_pickle_answers(predictor.predict(rows[:3]), model, rows[:3], contract)


def test_a_compiled_pipeline_that_answers_otherwise_is_not_used(
    sample_rows: pd.DataFrame,
    rows: list[dict[str, Any]],
    contract: Contract,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = reference_model(contract).fit(*split_features_target(sample_rows, contract))

    def off(model: Any, contract: Contract) -> Any:
        scorer = compile_pipeline(model, contract)
        return dataclasses.replace(scorer, head=lambda x: [v / 2 + 1 for v in scorer.head(x)])

    monkeypatch.setattr(predictor_module, "compile_pipeline", off)
    with caplog.at_level(logging.WARNING):
        predictor = LocalPredictor(model, SimpleNamespace(version="v7"), contract)
    [warning] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "compiled, it answered otherwise (row 1 alone: " in warning
    assert predictor.scorer is None
    assert_pickle_answers(predictor.predict(rows[:3]), model, rows[:3], contract)


def test_numbers_are_clipped_into_the_target_range_alike_one_by_one_and_in_batches() -> None:
    contract = parse_contract(
        {
            "columns": {
                "x": {"type": "float"},
                "price": {"type": "float", "role": "target", "min": 0.0, "max": 100.0},
            }
        }
    )
    line = pd.DataFrame({"x": np.linspace(0.0, 1.0, 50), "price": np.linspace(0.0, 100.0, 50)})
    model = reference_model(contract).fit(line[["x"]], line["price"])
    predictor = LocalPredictor(model, SimpleNamespace(version="v1"), contract)
    assert predictor.scorer is not None
    rows = [{"x": 2.0}, {"x": 0.5}, {"x": -1.0}]
    one_by_one = [predictor.predict([row])[0] for row in rows]  # by hand
    batch = predictor.predict(rows * ROW_BY_ROW)[:3]  # as an array, by the estimator
    assert [p.clipped for p in one_by_one] == [p.clipped for p in batch] == [True, False, True]
    assert [p.value for p in one_by_one] == pytest.approx([p.value for p in batch], rel=RTOL)
    assert [one_by_one[0].value, one_by_one[2].value] == [100.0, 0.0]
