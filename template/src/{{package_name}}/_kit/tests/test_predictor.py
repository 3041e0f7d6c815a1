"""The same contract tests for both predictors: in-process from the pickle, and over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pydantic import ValidationError

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
from ..schema import row_model
from ..tasks import CLASSIFICATION
from .conftest import UNKNOWN, invalid_value, request_rows


@pytest.fixture(scope="module")
def rows(_sample_rows: pd.DataFrame, contract: Contract) -> list[dict[str, Any]]:
    """Fifty sample rows as a caller would send them: plain values, None when missing."""
    return request_rows(_sample_rows.head(50), contract)


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
