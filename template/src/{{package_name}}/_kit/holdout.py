"""What ``train`` saw on the holdout, kept beside the model for the model card's pictures.

``models/vN/holdout.json``, written with the model: for a classifier the confusion matrix and,
when the model gives probabilities, a calibration table (binary: the predicted probability of
the second class against how often it was the answer; more classes: the confidence in the
predicted class against how often it was right); for a regressor the actual and predicted
(clipped) values of up to ``MAX_PAIRS`` holdout rows, drawn at random (always the same ones).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from .errors import ProjectError
from .records import CalibrationBin, Holdout, problem
from .registry import Registry
from .tasks import CLASSIFICATION

HOLDOUT_FILE = "holdout.json"
MAX_PAIRS, SAMPLE_SEED = 2000, 0
CALIBRATION_BINS = 10


class HoldoutError(ProjectError):
    """A model's holdout record is unreadable; the message says how to fix it."""


def holdout_record(
    task: str, model: Any, features: pd.DataFrame, actual: pd.Series, predicted: Any
) -> Holdout:
    """The record of ``model``'s holdout predictions (``predicted``, as scored)."""
    if task != CLASSIFICATION:
        pairs = np.random.default_rng(SAMPLE_SEED).permutation(len(actual))[:MAX_PAIRS]
        pairs.sort()
        return Holdout(
            task=task,
            rows=len(actual),
            actual=[float(v) for v in np.asarray(actual, dtype=float)[pairs]],
            predicted=[float(v) for v in np.asarray(predicted, dtype=float)[pairs]],
        )
    truth, guess = _labels(actual), _labels(predicted)
    labels = sorted(set(truth) | set(guess))
    index = {label: i for i, label in enumerate(labels)}
    confusion = np.zeros((len(labels), len(labels)), dtype=int)
    np.add.at(confusion, ([index[v] for v in truth], [index[v] for v in guess]), 1)
    calibration, of = _calibration(model, features, truth)
    return Holdout(
        task=task,
        rows=len(actual),
        labels=labels,
        confusion=confusion.tolist(),
        calibration=calibration,
        calibration_of=of,
    )


def load_holdout(registry: Registry, version: str) -> Holdout | None:
    """A registered model's holdout record; None for a model trained before there were any."""
    path = registry.path(version, HOLDOUT_FILE)
    if not path.is_file():
        return None
    try:
        return Holdout.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise HoldoutError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except ValidationError as exc:
        raise HoldoutError(f"{path}: {problem(exc)}; retrain the model") from exc


def _labels(values: Any) -> list[str]:
    return [str(value) for value in pd.Series(np.asarray(values)).tolist()]


def _calibration(
    model: Any, features: pd.DataFrame, truth: list[str]
) -> tuple[list[CalibrationBin], str | None]:
    """Calibration bins, and what their probability is of; none without probabilities."""
    try:
        probabilities = np.asarray(model.predict_proba(features), dtype=float)
        classes = [str(label) for label in model.classes_]
    except (AttributeError, NotImplementedError):  # an estimator without probabilities
        return [], None
    if len(classes) == 2:
        predicted = probabilities[:, 1]
        happened = np.array([label == classes[1] for label in truth])
        of = classes[1]
    else:
        predicted = probabilities.max(axis=1)
        best = [classes[i] for i in probabilities.argmax(axis=1)]
        happened = np.array([guess == label for guess, label in zip(best, truth, strict=True)])
        of = "the predicted class (confidence)"
    which = np.minimum((predicted * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    bins = [
        CalibrationBin(
            predicted=float(predicted[which == i].mean()),
            observed=float(happened[which == i].mean()),
            rows=int((which == i).sum()),
        )
        for i in range(CALIBRATION_BINS)
        if (which == i).any()
    ]
    return bins, of
