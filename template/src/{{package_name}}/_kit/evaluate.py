"""How models are judged: a holdout split, metrics per task, the comparison with the baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from .contract import Contract
from .tasks import CLASSIFICATION


def score(
    task: str, truth: pd.Series | np.ndarray, predicted: pd.Series | np.ndarray
) -> dict[str, float]:
    """Holdout metrics: for labels (classification) or numbers (regression)."""
    if task == CLASSIFICATION:
        return {
            "balanced_accuracy": float(metrics.balanced_accuracy_score(truth, predicted)),
            "accuracy": float(metrics.accuracy_score(truth, predicted)),
            "f1_macro": float(metrics.f1_score(truth, predicted, average="macro", zero_division=0)),
        }
    return {
        "mae": float(metrics.mean_absolute_error(truth, predicted)),
        "rmse": float(np.sqrt(metrics.mean_squared_error(truth, predicted))),
        "r2": float(metrics.r2_score(truth, predicted)),
    }


def is_better(model: float, baseline: float, *, higher_is_better: bool) -> bool:
    """True when ``model`` is strictly better than ``baseline``."""
    return model > baseline if higher_is_better else model < baseline


def holdout_split(
    frame: pd.DataFrame, contract: Contract, *, test_size: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split rows into train and holdout; for classification, label shares equal in both."""
    stratify = frame[contract.target.name] if contract.task == CLASSIFICATION else None
    return train_test_split(frame, test_size=test_size, random_state=seed, stratify=stratify)


def cv_folds(
    task: str, features: pd.DataFrame, target: pd.Series, *, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cross-validation folds (fit rows, score rows); stratified by label for classification."""
    kind = StratifiedKFold if task == CLASSIFICATION else KFold
    splitter = kind(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(features, target))


def split_features_target(
    frame: pd.DataFrame, contract: Contract
) -> tuple[pd.DataFrame, pd.Series]:
    """The feature columns (in contract order) and the target column."""
    return frame[contract.feature_names], frame[contract.target.name]
