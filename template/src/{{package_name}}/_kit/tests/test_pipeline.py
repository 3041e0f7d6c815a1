"""Raw data to served predictions, through the same functions and commands users run."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pandas as pd

from ..batch import predict_file
from ..contract import load_contract
from ..evaluate import holdout_split, score, split_features_target
from ..monitor import monitor
from ..predictor import HttpPredictor, LocalPredictor
from ..registry import Registry
from ..settings import Settings
from ..tasks import CLASSIFICATION
from ..train import train
from ..user import build_baseline
from ..validation import load_valid


def test_raw_data_to_scored_baseline(settings: Settings) -> None:
    contract = load_contract()
    frame = load_valid(settings.data, contract)  # refuses data that breaks the contract

    train_rows, holdout = holdout_split(
        frame, contract, test_size=settings.test_size, seed=settings.seed
    )
    baseline = build_baseline(contract).fit(*split_features_target(train_rows, contract))
    features, target = split_features_target(holdout, contract)
    predictions = baseline.predict(features)

    assert len(predictions) == len(holdout) == round(len(frame) * settings.test_size)
    scores = score(contract.task, target, predictions)
    if contract.task == CLASSIFICATION:
        assert set(predictions) <= set(contract.target.allowed or ())
        # On the example data every region's most common label is on_time: chance level.
        assert scores["balanced_accuracy"] == 0.5
    else:
        # Means per region explain part of the variance, never more than the data has.
        assert 0.0 < scores["r2"] < 1.0
        assert scores["mae"] < target.std()


def test_raw_data_to_served_predictions(
    settings: Settings, tmp_path: Path, serve: Callable[[Path], AbstractContextManager[str]]
) -> None:
    """validate -> train -> register -> batch predict from the pickle -> serve -> same answers
    -> the service's prediction log -> monitor."""
    contract = load_contract()
    metadata, current = train(settings, contract)  # validates the data first
    assert current
    assert metadata.beats_baseline
    assert Registry(settings.models_dir).verify().version == metadata.version

    predictions_file = tmp_path / "predictions.csv"
    predict_file(settings.data, predictions_file, contract, settings.models_dir)
    from_pickle = pd.read_csv(predictions_file)["prediction"].tolist()

    rows = load_valid(settings.data, contract)[contract.feature_names].astype(object)
    rows = rows.where(rows.notna(), None).to_dict("records")
    in_process = LocalPredictor.from_registry(settings.models_dir).predict(rows)
    with serve(settings.models_dir) as url, HttpPredictor(url) as client:
        over_http = client.predict(rows)

    assert over_http == in_process
    assert [prediction.value for prediction in in_process] == from_pickle

    # The service logged each prediction, and the training data itself shows no drift.
    report = monitor(Registry(settings.models_dir), contract, tmp_path / "predictions.jsonl")
    assert report.rows == len(rows)
    assert report.success, report.render()
