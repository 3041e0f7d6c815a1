from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ..contract import Contract, parse_contract
from ..evaluate import cv_folds, holdout_split, is_better, score, split_features_target
from ..tasks import CLASSIFICATION, METRICS, REGRESSION


def test_classification_scores_for_perfect_and_majority_predictions() -> None:
    truth = pd.Series(["yes", "no", "no", "no"])
    perfect = score(CLASSIFICATION, truth, truth)
    assert perfect == {"balanced_accuracy": 1.0, "accuracy": 1.0, "f1_macro": 1.0}
    majority = score(CLASSIFICATION, truth, ["no"] * 4)
    assert majority["balanced_accuracy"] == 0.5
    assert majority["accuracy"] == 0.75


def test_regression_scores_for_perfect_and_constant_predictions() -> None:
    truth = pd.Series([10.0, 20.0, 30.0])
    assert score(REGRESSION, truth, truth) == {"mae": 0.0, "rmse": 0.0, "r2": 1.0}
    constant = score(REGRESSION, truth, [20.0, 20.0, 20.0])
    assert constant["mae"] == pytest.approx(20.0 / 3)
    assert constant["rmse"] == pytest.approx(np.sqrt(200.0 / 3))
    assert constant["r2"] == pytest.approx(0.0)


@pytest.mark.parametrize("task", [CLASSIFICATION, REGRESSION])
def test_score_reports_every_metric_of_its_task(task: str) -> None:
    truth = pd.Series(["a", "b", "b"] if task == CLASSIFICATION else [1.0, 2.0, 4.0])
    assert set(score(task, truth, truth)) == set(METRICS[task])


@pytest.mark.parametrize("higher_is_better", [True, False])
def test_metric_direction_decides_who_wins(higher_is_better: bool) -> None:
    better, worse = (0.9, 0.1) if higher_is_better else (0.1, 0.9)
    assert is_better(better, worse, higher_is_better=higher_is_better)
    assert not is_better(worse, better, higher_is_better=higher_is_better)
    assert not is_better(better, better, higher_is_better=higher_is_better), "ties do not win"


def test_holdout_split_is_disjoint_sized_and_seeded(
    sample_rows: pd.DataFrame, contract: Contract
) -> None:
    train, holdout = holdout_split(sample_rows, contract, test_size=0.25, seed=1)
    assert len(holdout) == math.ceil(len(sample_rows) / 4)
    assert set(train.index).isdisjoint(holdout.index)
    again, _ = holdout_split(sample_rows, contract, test_size=0.25, seed=1)
    assert train.index.equals(again.index)
    if contract.task == CLASSIFICATION:  # each label keeps its share in both parts
        target = contract.target.name
        share = sample_rows[target].value_counts(normalize=True).sort_index()
        for part in (train, holdout):
            counts = part[target].value_counts(normalize=True).sort_index()
            pd.testing.assert_series_equal(counts, share, atol=0.01)


def _table(task: str) -> tuple[Contract, pd.DataFrame]:
    """100 rows: a rare label (one row in ten) or 100 distinct numbers, as the target."""
    kind = {"type": "category", "allowed": ["rare", "common"]} if task == CLASSIFICATION else {}
    contract = parse_contract(
        {
            "columns": {
                "x": {"type": "float"},
                "y": {"type": "float", "role": "target", **kind},
            }
        }
    )
    target = ["rare" if i % 10 == 0 else "common" for i in range(100)]
    frame = pd.DataFrame({"x": np.arange(100.0), "y": target if kind else np.arange(100.0)})
    return contract, frame


def test_classification_holdout_and_folds_keep_label_shares() -> None:
    contract, frame = _table(CLASSIFICATION)
    train, holdout = holdout_split(frame, contract, test_size=0.2, seed=0)
    assert (train["y"] == "rare").sum() == 8
    assert (holdout["y"] == "rare").sum() == 2
    features, target = split_features_target(frame, contract)
    for _, score_rows in cv_folds(CLASSIFICATION, features, target, folds=5, seed=0):
        assert (target.iloc[score_rows] == "rare").sum() == 2


def test_regression_holdout_and_folds_do_not_stratify_numbers() -> None:
    """Every number is its own value: stratifying by them would fail."""
    contract, frame = _table(REGRESSION)
    train, holdout = holdout_split(frame, contract, test_size=0.2, seed=0)
    assert (len(train), len(holdout)) == (80, 20)
    features, target = split_features_target(frame, contract)
    folds = cv_folds(REGRESSION, features, target, folds=5, seed=0)
    assert [len(score_rows) for _, score_rows in folds] == [20] * 5


def test_cross_validation_folds_cover_each_row_once_and_repeat(
    sample_rows: pd.DataFrame, contract: Contract
) -> None:
    features, target = split_features_target(sample_rows, contract)
    folds = cv_folds(contract.task, features, target, folds=5, seed=1)
    scored = sorted(row for _, score_rows in folds for row in score_rows)
    assert scored == list(range(len(sample_rows)))
    for fit_rows, score_rows in folds:
        assert not set(fit_rows) & set(score_rows)
    again = cv_folds(contract.task, features, target, folds=5, seed=1)
    assert all((a[1] == b[1]).all() for a, b in zip(folds, again, strict=True))


def test_split_features_target_follows_the_contract(
    sample_rows: pd.DataFrame, contract: Contract
) -> None:
    features, target = split_features_target(sample_rows, contract)
    assert list(features.columns) == contract.feature_names
    assert target.name == contract.target.name
    assert len(features) == len(target) == len(sample_rows)
