"""The fast path for linear pipelines, checked on the kit's reference pipeline (not your model)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

from ..contract import Contract, parse_contract
from ..data import conform
from ..evaluate import split_features_target
from ..samples import sample_frame
from ..scoring import compile_pipeline
from ..tasks import CLASSIFICATION
from .conftest import unlisted
from .reference import reference_model


@pytest.fixture(scope="module")
def fitted(_sample_rows: pd.DataFrame, contract: Contract) -> Pipeline:
    return reference_model(contract).fit(*split_features_target(_sample_rows, contract))


def _numbers(contract: Contract) -> list[str]:
    return [c.name for c in contract.features if c.type in ("integer", "float")]


def _rows(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """Sample features plus the awkward cases: missing numbers and categories, unseen categories."""
    features = split_features_target(frame, contract)[0].reset_index(drop=True)
    for name in _numbers(contract):
        features[name] = features[name].astype(float)
        features.loc[0, name] = np.nan
    for column in contract.features:
        if column.type == "category":
            unseen = unlisted(column)
            features[column.name] = features[column.name].cat.add_categories(unseen)
            features.loc[1, column.name] = unseen
            features.loc[3, column.name] = np.nan
    return features


def test_compiled_scoring_matches_the_pipeline(
    fitted: Pipeline, sample_rows: pd.DataFrame, contract: Contract
) -> None:
    rows = _rows(sample_rows, contract)
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
    fitted: Pipeline, sample_rows: pd.DataFrame, contract: Contract
) -> None:
    rows = _rows(sample_rows, contract).head(50)
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


def test_a_huge_number_does_not_overflow(fitted: Pipeline, contract: Contract) -> None:
    compiled = compile_pipeline(fitted)
    assert compiled is not None
    numbers = _numbers(contract)
    if not numbers:
        pytest.skip("the contract has no number feature")
    for huge in (1e12, -1e12):
        far = {name: [huge] if name in numbers else [None] for name in contract.feature_names}
        value, probability = compiled.score(far)  # missing values take the medians and modes
        if contract.task == CLASSIFICATION:
            assert probability.sum() == pytest.approx(1.0)
            assert probability.min() >= 0.0
        else:
            assert np.isfinite(value).all()


def test_compiled_scoring_takes_rows_as_python_lists(
    fitted: Pipeline, sample_rows: pd.DataFrame, contract: Contract
) -> None:
    """One row as the service passes it: Python values, and None for missing numbers."""
    compiled = compile_pipeline(fitted)
    assert compiled is not None
    first = sample_rows[contract.feature_names].dropna().head(1).astype(object)
    one = {name: [value] for name, value in first.iloc[0].items()}
    one.update({name: [None] for name in _numbers(contract)[:1]})
    values, _ = compiled.score(one)
    frame = conform(
        pd.DataFrame({name: pd.Series(v, dtype=object) for name, v in one.items()}), contract
    )
    if contract.task == CLASSIFICATION:
        assert list(values) == list(fitted.predict(frame))
    else:
        assert list(values) == pytest.approx(list(fitted.predict(frame)), rel=0, abs=1e-9)


def test_other_pipelines_are_left_to_scikit_learn(
    sample_rows: pd.DataFrame, contract: Contract
) -> None:
    """The same features with another estimator: scored by scikit-learn, not compiled."""
    kind = (
        HistGradientBoostingClassifier
        if contract.task == CLASSIFICATION
        else HistGradientBoostingRegressor
    )
    other = reference_model(contract).set_params(estimator=kind(max_iter=5))
    assert compile_pipeline(other.fit(*split_features_target(sample_rows, contract))) is None
    assert compile_pipeline("not a pipeline") is None


ONE_KIND = {
    "numbers only": {"size": {"type": "float"}, "count": {"type": "integer", "nullable": True}},
    "categories only": {"kind": {"type": "category", "allowed": ["a", "b", "c"]}},
    "categories and a flag": {
        "kind": {"type": "category", "allowed": ["a", "b", "c"]},
        "flag": {"type": "boolean"},
    },
}
TARGETS = {
    "number": {"type": "float"},
    "three labels": {"type": "category", "allowed": ["p", "q", "r"]},
    "boolean": {"type": "boolean"},
}


@pytest.mark.parametrize("target", list(TARGETS))
@pytest.mark.parametrize("features", list(ONE_KIND))
def test_contracts_with_one_kind_of_feature_compile(features: str, target: str) -> None:
    """A transformer given no columns stays unfitted: the compiled scorer does without it."""
    shape = parse_contract(
        {"columns": {**ONE_KIND[features], "y": {"role": "target", **TARGETS[target]}}}
    )
    rows, truth = split_features_target(sample_frame(shape, rows=300, seed=0), shape)
    fitted = reference_model(shape).fit(rows, truth)
    compiled = compile_pipeline(fitted)
    assert compiled is not None
    values, _ = compiled.score({name: rows[name] for name in rows.columns})
    one, _ = compiled.score({name: [rows[name].iloc[0]] for name in rows.columns})
    expected = fitted.predict(rows)
    if shape.task == CLASSIFICATION:
        assert list(values) == list(expected)
        assert one.tolist() == [expected[0]]
    else:
        np.testing.assert_allclose(values, expected, rtol=0, atol=1e-9)
        assert one.tolist() == pytest.approx([expected[0]], rel=0, abs=1e-9)
