"""Score rows with a fitted pipeline's parameters in NumPy: the fast path for serving.

A scikit-learn pipeline spends milliseconds checking its input on every call, however few the
rows: that, not the arithmetic, is what a single-row request pays. ``compile_pipeline`` reads
the fitted parameters of the pipeline ``model.py`` builds (imputers, scaler, one-hot encoder,
linear model) into arrays. A row's score is then its scaled numbers times their weights, plus,
for each category column, the weight of the row's category (what a one-hot column times its
weight adds up to). Any other pipeline gets None and is scored by scikit-learn itself: slower,
same answers. A single row (a request) is scored in plain Python: on arrays of one row, each
NumPy call costs more than the arithmetic. ``tests/test_scoring.py`` checks all paths agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

Columns = Mapping[str, Sequence[Any] | pd.Series]


@dataclass(frozen=True)
class CompiledPipeline:
    """What a fitted linear pipeline computes, as arrays (``outputs`` is 1 unless multiclass)."""

    numeric: list[str]
    medians: np.ndarray  # missing numbers become these
    means: np.ndarray
    scales: np.ndarray
    numeric_weights: np.ndarray  # (outputs, numeric columns)
    categorical: list[str]
    modes: list[Any]  # missing categories become these
    category_weights: list[dict[Any, np.ndarray]]  # per column: category -> (outputs,)
    intercept: np.ndarray  # (outputs,)
    classes: np.ndarray | None  # labels for a classifier, None for a regressor

    def score(self, columns: Columns) -> tuple[np.ndarray, np.ndarray | None]:
        """Predictions, and class probabilities for a classifier (rows x classes)."""
        if len(next(iter(columns.values()))) == 1:
            return self._score_one({name: values[0] for name, values in columns.items()})
        decision = self.decision(columns)
        if self.classes is None:
            return decision[:, 0], None
        if len(self.classes) == 2:  # binary: the logistic function, as scikit-learn does
            positive = 1.0 / (1.0 + np.exp(-decision[:, 0]))
            probabilities = np.column_stack([1.0 - positive, positive])
        else:
            exp = np.exp(decision - decision.max(axis=1, keepdims=True))
            probabilities = exp / exp.sum(axis=1, keepdims=True)
        return self.classes[probabilities.argmax(axis=1)], probabilities

    def decision(self, columns: Columns) -> np.ndarray:
        """The linear model's raw output for each row (rows x outputs)."""
        rows = len(next(iter(columns.values())))
        decision = np.tile(self.intercept, (rows, 1))
        if self.numeric:
            numbers = np.array([_floats(columns[name]) for name in self.numeric]).T
            numbers = np.where(np.isnan(numbers), self.medians, numbers)
            decision += ((numbers - self.means) / self.scales) @ self.numeric_weights.T
        unseen = np.zeros_like(self.intercept)  # an unseen category's one-hot block is all zeros
        for name, mode, weights in zip(
            self.categorical, self.modes, self.category_weights, strict=True
        ):
            values = [mode if _missing(value) else value for value in columns[name]]
            decision += np.array([weights.get(value, unseen) for value in values])
        return decision

    def _score_one(self, row: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
        """``score`` for one row, with the same arithmetic on Python floats."""
        numeric, categorical, intercept = self._as_floats
        decision = list(intercept)
        for name, (median, mean, scale, weights) in zip(self.numeric, numeric, strict=True):
            value = row[name]
            scaled = ((median if _missing(value) else float(value)) - mean) / scale
            decision = [
                total + scaled * weight for total, weight in zip(decision, weights, strict=True)
            ]
        for name, mode, weights in zip(self.categorical, self.modes, categorical, strict=True):
            value = row[name]
            block = weights.get(mode if _missing(value) else value)
            if block is not None:  # an unseen category adds nothing
                decision = [total + weight for total, weight in zip(decision, block, strict=True)]
        if self.classes is None:
            return np.array(decision), None
        if len(self.classes) == 2:
            probabilities = [1.0 - _logistic(decision[0]), _logistic(decision[0])]
        else:
            top = max(decision)
            exp = [math.exp(value - top) for value in decision]
            probabilities = [value / sum(exp) for value in exp]
        best = probabilities.index(max(probabilities))  # the first of equals, as argmax
        return self.classes[[best]], np.array([probabilities])

    @cached_property
    def _as_floats(self) -> tuple[list[tuple], list[dict[Any, list[float]]], list[float]]:
        """The parameters as Python floats, for ``_score_one``."""
        numeric = list(
            zip(
                self.medians.tolist(),
                self.means.tolist(),
                self.scales.tolist(),
                self.numeric_weights.T.tolist(),
                strict=True,
            )
        )
        categorical = [
            {value: block.tolist() for value, block in weights.items()}
            for weights in self.category_weights
        ]
        return numeric, categorical, self.intercept.tolist()


def _logistic(value: float) -> float:
    """1 / (1 + e^-value), without overflow for large negative values."""
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


def compile_pipeline(pipeline: Any) -> CompiledPipeline | None:
    """The fast scorer for a pipeline built by ``model.py``, or None for any other pipeline."""
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        return None
    features, estimator = pipeline.steps[0][1], pipeline.steps[1][1]
    if not isinstance(features, ColumnTransformer) or not _linear(estimator):
        return None
    parts = {name: (steps, list(columns)) for name, steps, columns in features.transformers_}
    numeric = _steps(parts.get("numeric"), SimpleImputer, StandardScaler)
    categorical = _steps(parts.get("categorical"), SimpleImputer, OneHotEncoder)
    if numeric is None or categorical is None or not _only(parts, "numeric", "categorical"):
        return None
    (impute_numbers, scaler), (impute_categories, encoder) = numeric, categorical
    names, categories = parts["numeric"][1], parts["categorical"][1]
    # A transformer given no columns (a contract without numbers, or without categories) is
    # left unfitted by scikit-learn: its columns add nothing.
    if categories and not _plain_encoder(encoder):
        return None
    weights = np.atleast_2d(estimator.coef_)
    count = len(names)
    blocks = encoder.categories_ if categories else []
    offsets = np.cumsum([count] + [len(block) for block in blocks])
    return CompiledPipeline(
        numeric=names,
        medians=impute_numbers.statistics_.astype(float) if count else np.zeros(0),
        means=scaler.mean_ if count and scaler.with_mean else np.zeros(count),
        scales=scaler.scale_ if count and scaler.with_std else np.ones(count),
        numeric_weights=weights[:, :count],
        categorical=categories,
        modes=list(impute_categories.statistics_) if categories else [],
        category_weights=[
            {value: weights[:, start + i] for i, value in enumerate(block)}
            for block, start in zip(blocks, offsets, strict=False)
        ],
        intercept=np.atleast_1d(estimator.intercept_).astype(float),
        classes=getattr(estimator, "classes_", None),
    )


def _linear(estimator: Any) -> bool:
    if isinstance(estimator, LogisticRegression):
        return len(estimator.classes_) == 2 or estimator.coef_.shape[0] > 1
    return isinstance(estimator, Ridge | LinearRegression) and np.ndim(estimator.coef_) == 1


def _steps(part: tuple[Any, list[str]] | None, *kinds: type) -> list[Any] | None:
    """The fitted steps of a sub-pipeline, if it is exactly ``kinds`` in that order."""
    if part is None or not isinstance(part[0], Pipeline):
        return None
    steps = [step for _, step in part[0].steps]
    if len(steps) != len(kinds) or not all(map(isinstance, steps, kinds)):
        return None
    return steps


def _only(parts: dict[str, tuple[Any, list[str]]], *names: str) -> bool:
    """No other transformer, and any remainder dropped (the ColumnTransformer default)."""
    extra = set(parts) - {*names, "remainder"}
    return not extra and parts.get("remainder", ("drop",))[0] == "drop"


def _plain_encoder(encoder: OneHotEncoder) -> bool:
    """One column per category, unknown categories ignored: the encoder ``features.py`` builds."""
    settings = (encoder.drop, encoder.min_frequency, encoder.max_categories)
    return settings == (None, None, None) and encoder.handle_unknown == "ignore"


def _floats(values: Sequence[Any] | pd.Series) -> np.ndarray:
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=float, na_value=np.nan)
    return np.array([np.nan if _missing(value) else value for value in values], dtype=float)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
