"""Baselines: rules simple enough to check by hand, fitted like any scikit-learn estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .tasks import CLASSIFICATION, check_task


class GroupBaseline(BaseEstimator):
    """The most frequent label (classification) or the mean (regression) of the target,
    per value of ``group_by``, or overall when ``group_by`` is None.

    Values of ``group_by`` not seen in training get the overall answer.
    """

    def __init__(self, task: str, group_by: str | None = None) -> None:
        self.task = task
        self.group_by = group_by

    def fit(self, features: pd.DataFrame, target: pd.Series) -> GroupBaseline:
        check_task(self.task)
        target = pd.Series(target).reset_index(drop=True)
        self.default_ = self._statistic(target)
        self.by_group_: dict[object, object] = {}
        if self.group_by is not None:
            groups = features[self.group_by].reset_index(drop=True)
            parts = target.groupby(groups, observed=True)
            self.by_group_ = {key: self._statistic(part) for key, part in parts}
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        if self.group_by is None:
            return np.full(len(features), self.default_)
        return np.array([self.by_group_.get(key, self.default_) for key in features[self.group_by]])

    def describe(self) -> str:
        """How it predicts, in words (printed by ``baseline`` and written in the model card)."""
        statistic = "most frequent label" if self.task == CLASSIFICATION else "mean target"
        return f"{statistic} per {self.group_by}" if self.group_by else f"{statistic} overall"

    def _statistic(self, target: pd.Series) -> object:
        if self.task == CLASSIFICATION:
            return target.mode().iloc[0]  # ties go to the label that sorts first: repeatable
        return float(target.mean())
