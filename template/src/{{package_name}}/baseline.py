"""Your baseline: the simplest rule that could work, and the bar every model must clear.

The kit fits it next to every model and compares both on the holdout. ``GroupBaseline``
predicts the most frequent label (classification) or the mean (regression) of the training
target, per value of one column, or overall with ``group_by=None``: a rule a domain expert
can check by hand. The column is ``[baseline] group_by`` in contract.toml (none: one overall
answer); ``baseline`` prints the rule it used.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator

from ._kit import Contract, GroupBaseline


def build_baseline(contract: Contract, task: str) -> BaseEstimator:
    """The baseline for this contract; ``task`` is "classification" or "regression"."""
    return GroupBaseline(task, group_by=contract.baseline_group_by)
