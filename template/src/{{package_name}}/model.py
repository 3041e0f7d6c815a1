"""Your model: the estimator after ``features.py``, its defaults, tune's search space, the metric.

A linear model is the simple first step after the baseline: quick to train, easy to explain,
fast to serve. Swap in any scikit-learn estimator; ``task`` is "classification" or
"regression", read from the contract's target column. ``tune`` searches ``search_space`` and
``train`` fits ``build_estimator`` with the parameters it chose (``params.json``).
"""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression, Ridge

# The metric that decides "better" (train, tune, the gate), one per task. Choices: for
# classification balanced_accuracy, accuracy, f1_macro; for regression mae, rmse, r2.
# Balanced accuracy is fair to a rare class; mean absolute error reads in the target's unit.
PRIMARY_METRIC = {"classification": "balanced_accuracy", "regression": "mae"}


def default_params(task: str) -> dict[str, Any]:
    """Parameters used until ``tune`` has chosen some."""
    if task == "classification":
        # "balanced" weighs a rare class up, which is what balanced accuracy rewards.
        return {"C": 1.0, "class_weight": "balanced"}
    return {"alpha": 1.0}


def search_space(trial: Any, task: str) -> dict[str, Any]:
    """One value per parameter, drawn by an Optuna trial (``tune``)."""
    if task == "classification":
        return {
            "C": trial.suggest_float("C", 1e-3, 1e2, log=True),
            "class_weight": trial.suggest_categorical("class_weight", [None, "balanced"]),
        }
    return {"alpha": trial.suggest_float("alpha", 1e-3, 1e3, log=True)}


def build_estimator(task: str, params: dict[str, Any]) -> BaseEstimator:
    """An unfitted estimator with ``params`` (defaults overlaid with tuned values)."""
    if task == "classification":
        return LogisticRegression(max_iter=1000, **params)
    return Ridge(**params)
