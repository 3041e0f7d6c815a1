from __future__ import annotations

import pandas as pd
{%- if problem_type == 'regression' %}
import pytest
{%- endif %}

from ..contract import Contract
from ..evaluate import (
    HIGHER_IS_BETTER,
    PRIMARY_METRIC,
    beats_baseline,
    cv_folds,
    holdout_split,
    score,
)
from ..features import split_features_target
{% if problem_type == 'classification' %}

def test_scores_for_perfect_and_majority_predictions() -> None:
    truth = pd.Series(["late", "on_time", "on_time", "on_time"])
    assert score(truth, truth) == {"balanced_accuracy": 1.0, "accuracy": 1.0, "f1_macro": 1.0}
    majority = score(truth, ["on_time"] * 4)
    assert majority["balanced_accuracy"] == 0.5
    assert majority["accuracy"] == 0.75


def test_holdout_keeps_label_shares(example_frame: pd.DataFrame, contract: Contract) -> None:
    train, holdout = holdout_split(example_frame, contract, test_size=0.2, seed=0)
    target = contract.target.name
    share = example_frame[target].value_counts(normalize=True)
    for part in (train, holdout):
        pd.testing.assert_series_equal(part[target].value_counts(normalize=True), share, atol=0.01)
{%- else %}

def test_scores_for_perfect_and_constant_predictions() -> None:
    truth = pd.Series([10.0, 20.0, 30.0])
    assert score(truth, truth) == {"mae": 0.0, "rmse": 0.0, "r2": 1.0}
    constant = score(truth, [20.0, 20.0, 20.0])
    assert constant["mae"] == pytest.approx(20.0 / 3)
    assert constant["r2"] == pytest.approx(0.0)
{%- endif %}


def test_primary_metric_direction_decides_who_wins() -> None:
    better = 0.9 if HIGHER_IS_BETTER else 0.1
    worse = 0.1 if HIGHER_IS_BETTER else 0.9
    assert beats_baseline({PRIMARY_METRIC: better}, {PRIMARY_METRIC: worse})
    assert not beats_baseline({PRIMARY_METRIC: worse}, {PRIMARY_METRIC: better})
    assert not beats_baseline({PRIMARY_METRIC: better}, {PRIMARY_METRIC: better}), "ties do not win"


def test_holdout_split_is_disjoint_sized_and_seeded(
    example_frame: pd.DataFrame, contract: Contract
) -> None:
    train, holdout = holdout_split(example_frame, contract, test_size=0.25, seed=1)
    assert len(holdout) == len(example_frame) // 4
    assert set(train.index).isdisjoint(holdout.index)
    again, _ = holdout_split(example_frame, contract, test_size=0.25, seed=1)
    assert train.index.equals(again.index)


def test_cross_validation_folds_cover_each_row_once_and_repeat(
    example_frame: pd.DataFrame, contract: Contract
) -> None:
    features, target = split_features_target(example_frame, contract)
    folds = cv_folds(features, target, folds=5, seed=1)
    scored = sorted(row for _, score_rows in folds for row in score_rows)
    assert scored == list(range(len(example_frame)))
    for fit_rows, score_rows in folds:
        assert not set(fit_rows) & set(score_rows)
    again = cv_folds(features, target, folds=5, seed=1)
    assert all((a[1] == b[1]).all() for a, b in zip(folds, again, strict=True))
