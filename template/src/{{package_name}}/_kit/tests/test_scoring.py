from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

from ..contract import Contract
from ..evaluate import split_features_target
from ..scoring import compile_pipeline
from ..tasks import CLASSIFICATION
from ..user import build_model


@pytest.fixture(scope="module")
def fitted(_example_rows: pd.DataFrame, contract: Contract) -> Pipeline:
    return build_model(contract).fit(*split_features_target(_example_rows, contract))


def _rows(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """The example features plus the awkward cases: missing values and an unseen category."""
    features = split_features_target(frame, contract)[0].head(200).reset_index(drop=True)
    features.loc[0, "courier_rating"] = np.nan
    features["region"] = features["region"].cat.add_categories("atlantis")
    features.loc[1, "region"] = "atlantis"
    return features


def test_compiled_scoring_matches_the_pipeline(
    fitted: Pipeline, example_frame: pd.DataFrame, contract: Contract
) -> None:
    rows = _rows(example_frame, contract)
    compiled = compile_pipeline(fitted)
    assert compiled is not None
    values, probabilities = compiled.score({name: rows[name] for name in rows.columns})
    if contract.task == CLASSIFICATION:
        np.testing.assert_allclose(probabilities, fitted.predict_proba(rows), rtol=0, atol=1e-9)
        assert list(values) == list(fitted.predict(rows))
    else:
        assert probabilities is None
        np.testing.assert_allclose(values, fitted.predict(rows), rtol=0, atol=1e-9)


def test_one_row_at_a_time_scores_as_the_whole_table(
    fitted: Pipeline, example_frame: pd.DataFrame, contract: Contract
) -> None:
    rows = _rows(example_frame, contract).head(50)
    compiled = compile_pipeline(fitted)
    assert compiled is not None
    values, probabilities = compiled.score({name: rows[name] for name in rows.columns})
    for index in range(len(rows)):
        value, probability = compiled.score({name: [rows[name][index]] for name in rows.columns})
        if contract.task == CLASSIFICATION:
            assert value.tolist() == [values[index]]
            np.testing.assert_allclose(probability, probabilities[[index]], rtol=0, atol=1e-12)
        else:
            assert value.tolist() == pytest.approx([values[index]], rel=0, abs=1e-9)
            assert (probability, probabilities) == (None, None)
    far = {**{name: [rows[name][2]] for name in rows.columns}, "distance_km": [1e12]}
    value, probability = compiled.score(far)  # a huge score: no overflow
    if contract.task == CLASSIFICATION:
        assert probability.sum() == pytest.approx(1.0)
        assert probability.min() >= 0.0
    else:
        assert np.isfinite(value).all()


def test_compiled_scoring_takes_rows_as_python_lists(fitted: Pipeline, contract: Contract) -> None:
    compiled = compile_pipeline(fitted)
    assert compiled is not None
    one = {
        "region": ["north"],
        "distance_km": [3.2],
        "items": [2],
        "hour": [12],
        "courier_rating": [None],
    }
    values, _ = compiled.score(one)
    frame = pd.DataFrame({name: pd.Series(v, dtype=object) for name, v in one.items()})
    frame["courier_rating"] = frame["courier_rating"].astype(float)
    if contract.task == CLASSIFICATION:
        assert list(values) == list(fitted.predict(frame))
    else:
        assert list(values) == pytest.approx(list(fitted.predict(frame)), rel=0, abs=1e-9)


def test_other_pipelines_are_left_to_scikit_learn(
    example_frame: pd.DataFrame, contract: Contract
) -> None:
    """Your features with another estimator: scored by scikit-learn, not compiled."""
    kind = (
        HistGradientBoostingClassifier
        if contract.task == CLASSIFICATION
        else HistGradientBoostingRegressor
    )
    other = build_model(contract).set_params(estimator=kind(max_iter=5))
    assert compile_pipeline(other.fit(*split_features_target(example_frame, contract))) is None
    assert compile_pipeline("not a pipeline") is None
