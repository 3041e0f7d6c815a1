"""The holdout record train keeps beside the model agrees with the metrics it registered."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from ..holdout import HOLDOUT_FILE, MAX_PAIRS, HoldoutError, load_holdout
from ..registry import Registry
from ..tasks import CLASSIFICATION


@pytest.fixture
def registry(trained_models: Path) -> Registry:
    return Registry(trained_models)


def test_the_record_matches_the_registered_metrics(registry: Registry) -> None:
    metrics = registry.metadata("v1").metrics
    holdout = load_holdout(registry, "v1")
    assert holdout is not None
    assert (holdout.task, holdout.rows) == (metrics.task, metrics.holdout_rows)
    if holdout.task == CLASSIFICATION:
        confusion = np.asarray(holdout.confusion)
        assert confusion.shape == (len(holdout.labels), len(holdout.labels))
        assert confusion.sum() == holdout.rows
        assert np.trace(confusion) / holdout.rows == pytest.approx(metrics.model["accuracy"])
        if holdout.calibration:  # the model gives probabilities
            assert sum(b.rows for b in holdout.calibration) == holdout.rows
            assert all(0.0 <= b.predicted <= 1.0 for b in holdout.calibration)
    else:
        assert len(holdout.actual) == len(holdout.predicted) == min(holdout.rows, MAX_PAIRS)
        if holdout.rows <= MAX_PAIRS:  # every row: the pairs give the registered error
            errors = np.abs(np.asarray(holdout.actual) - np.asarray(holdout.predicted))
            assert errors.mean() == pytest.approx(metrics.model["mae"])


def test_a_model_trained_before_holdout_records_has_none(
    tmp_path: Path, trained_models: Path
) -> None:
    registry = Registry(shutil.copytree(trained_models, tmp_path / "models"))
    (registry.root / "v1" / HOLDOUT_FILE).unlink()
    assert load_holdout(registry, "v1") is None


def test_a_broken_record_is_a_one_line_error(tmp_path: Path, trained_models: Path) -> None:
    registry = Registry(shutil.copytree(trained_models, tmp_path / "models"))
    (registry.root / "v1" / HOLDOUT_FILE).write_text('{"task": "classification"}', "utf-8")
    with pytest.raises(HoldoutError, match="rows is missing"):
        load_holdout(registry, "v1")
