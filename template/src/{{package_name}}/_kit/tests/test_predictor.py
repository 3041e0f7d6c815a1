"""The same contract tests for both predictors: in-process from the pickle, and over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ..contract import Contract
from ..data import conform
from ..predictor import (
    HttpPredictor,
    LocalPredictor,
    PredictionInputError,
    Predictor,
    ServiceError,
)
from ..registry import Registry
from ..tasks import CLASSIFICATION


@pytest.fixture(scope="module")
def rows(_example_rows: pd.DataFrame, contract: Contract) -> list[dict[str, Any]]:
    """Fifty example rows as a caller would send them: plain values, None when missing."""
    features = _example_rows[contract.feature_names].head(50).astype(object)
    return features.where(features.notna(), None).to_dict("records")


@pytest.fixture(params=["local", "http"])
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
    if contract.task == CLASSIFICATION:
        assert [p.value for p in predictions] == list(pipeline.predict(frame))
        assert all(isinstance(p.value, str) for p in predictions)
        expected = pipeline.predict_proba(frame)
        labels = [str(label) for label in pipeline.classes_]
        assert sorted(labels) == sorted(contract.target.allowed or ())
        for prediction, probabilities in zip(predictions, expected, strict=True):
            assert prediction.probabilities == pytest.approx(
                dict(zip(labels, probabilities, strict=True))
            )
    else:
        assert [p.value for p in predictions] == pytest.approx(list(pipeline.predict(frame)))
        assert all(p.probabilities is None for p in predictions)
        assert all(isinstance(p.value, float) for p in predictions)


def test_invalid_rows_are_refused_naming_row_and_field(
    predictor: Predictor, rows: list[dict[str, Any]]
) -> None:
    bad = [rows[0], {**rows[1], "hour": 25}, {**rows[2], "region": "mars", "colour": "red"}]
    with pytest.raises(PredictionInputError) as refused:
        predictor.predict(bad)
    assert [(e["row"], e["field"]) for e in refused.value.errors] == [
        (2, "hour"),
        (3, "region"),
        (3, "colour"),
    ]
    assert refused.value.errors[0]["message"] == "Input should be less than or equal to 23"
    assert "row 2: hour: Input should be less than or equal to 23" in str(refused.value)


def test_no_rows_no_predictions(predictor: Predictor) -> None:
    assert predictor.predict([]) == []


def test_an_unreachable_service_is_a_one_line_error() -> None:
    with (
        HttpPredictor("http://127.0.0.1:9", timeout=1.0) as client,
        pytest.raises(ServiceError, match="cannot reach the service"),
    ):
        client.predict([{"hour": 1}])
