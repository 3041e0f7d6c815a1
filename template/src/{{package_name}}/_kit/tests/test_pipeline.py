"""Raw data to served predictions, through the same functions and commands users run."""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import pandas as pd

from ..baselines import GroupBaseline
from ..batch import predict_file
from ..contract import load_contract
from ..evaluate import holdout_split, is_better, score, split_features_target
from ..monitor import monitor
from ..predictor import HttpPredictor, LocalPredictor
from ..registry import Registry
from ..settings import Settings
from ..tasks import CLASSIFICATION
from ..train import train
from ..user import build_baseline
from ..validation import load_valid
from .conftest import request_rows
from .reference import reference_model


def test_raw_data_to_scored_baseline(settings: Settings) -> None:
    contract = load_contract()
    frame = load_valid(settings.data, contract)  # refuses data that breaks the contract

    train_rows, holdout = holdout_split(
        frame, contract, test_size=settings.test_size, seed=settings.seed
    )
    fit_on = split_features_target(train_rows, contract)
    features, target = split_features_target(holdout, contract)
    predictions = build_baseline(contract).fit(*fit_on).predict(features)  # your baseline
    assert len(predictions) == len(holdout) == math.ceil(len(frame) * settings.test_size)
    if contract.task == CLASSIFICATION:
        assert set(predictions) <= set(target)
    else:
        assert np.isfinite(np.asarray(predictions, dtype=float)).all()

    # The overall baseline is at chance level; a linear model learns the rows' rule and beats it.
    overall = score(
        contract.task, target, GroupBaseline(contract.task).fit(*fit_on).predict(features)
    )
    learned = score(contract.task, target, reference_model(contract).fit(*fit_on).predict(features))
    if contract.task == CLASSIFICATION:
        assert overall["balanced_accuracy"] == 1 / target.nunique()
        assert is_better(
            learned["balanced_accuracy"], overall["balanced_accuracy"], higher_is_better=True
        )
    else:
        assert overall["r2"] <= 0.0 + 1e-9
        assert overall["mae"] <= overall["rmse"]
        assert is_better(learned["mae"], overall["mae"], higher_is_better=False)
        assert learned["r2"] > 0.5


def test_raw_data_to_served_predictions(
    settings: Settings, tmp_path: Path, serve: Callable[[Path], AbstractContextManager[str]]
) -> None:
    """validate -> train -> register -> batch predict from the pickle -> serve -> same answers
    -> the service's prediction log -> monitor."""
    contract = load_contract()
    metadata, current = train(settings, contract)  # validates the data first
    registry = Registry(settings.models_dir)
    if not current:  # your model need not beat your baseline on made-up rows
        registry.promote(metadata.version)
    assert registry.verify().version == metadata.version

    predictions_file = tmp_path / "predictions.csv"
    predict_file(
        settings.data,
        predictions_file,
        LocalPredictor.from_registry(settings.models_dir, None, contract),
    )
    labels = contract.task == CLASSIFICATION  # labels are text, even "0" and "1"
    written = pd.read_csv(predictions_file, dtype={"prediction": str} if labels else None)
    from_pickle = written["prediction"].tolist()

    rows = request_rows(load_valid(settings.data, contract), contract)
    in_process = LocalPredictor.from_registry(settings.models_dir).predict(rows)
    with serve(settings.models_dir) as url, HttpPredictor(url) as client:
        over_http = client.predict(rows)

    assert over_http == in_process
    assert [prediction.value for prediction in in_process] == from_pickle

    # The service logged each prediction, and the training data itself shows no drift.
    report = monitor(registry, contract, tmp_path / "predictions.jsonl")
    assert report.rows == len(rows)
    assert report.success, report.render()
