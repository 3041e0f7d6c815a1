"""Runs inside a generated project's environment (see serving.py); prints JSON results.

    python serving_worker.py

Fits the kit's reference pipeline with several estimators on the example data and times, for
each, one row's ``LocalPredictor.predict_valid`` (what a single-row request calls) with the
compiled scorer and with the pipeline, and a batch of 1,000 rows (the pipeline's): medians.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from types import SimpleNamespace

from my_ml_project._kit.contract import load_contract
from my_ml_project._kit.data import load_table
from my_ml_project._kit.evaluate import split_features_target
from my_ml_project._kit.predictor import LocalPredictor
from my_ml_project._kit.tests.reference import reference_estimator, reference_model
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)

ROW = {"region": "north", "distance_km": 3.2, "items": 2, "hour": 12, "courier_rating": 4.5}


def median_seconds(call: Callable[[list], object], rows: list, repeat: int) -> float:
    call(rows)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call(rows)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    contract = load_contract()
    features, target = split_features_target(
        load_table("data/example/deliveries.csv", contract), contract
    )
    estimators = {
        "LogisticRegression": reference_estimator(contract.task),
        "HistGradientBoostingClassifier": HistGradientBoostingClassifier(random_state=0),
        "RandomForestClassifier": RandomForestClassifier(random_state=0),
        "GradientBoostingClassifier": GradientBoostingClassifier(random_state=0),
    }
    results = {}
    for name, estimator in estimators.items():
        model = reference_model(contract).set_params(estimator=estimator).fit(features, target)
        start = time.perf_counter()
        predictor = LocalPredictor(model, SimpleNamespace(version=name), contract)
        load_s = time.perf_counter() - start  # compiling and verifying included
        assert predictor.scorer is not None, f"{name} is not compiled"
        row = predictor._row.model_validate(ROW)
        compiled = median_seconds(predictor.predict_valid, [row], 2000)
        batch = median_seconds(predictor.predict_valid, [row] * 1000, 20)
        predictor.scorer = None  # as for a model the kit cannot compile
        pipeline = median_seconds(predictor.predict_valid, [row], 200)
        results[name] = {
            "compiled_us": compiled * 1e6,
            "pipeline_us": pipeline * 1e6,
            "batch_1000_ms": batch * 1e3,
            "load_ms": load_s * 1e3,
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
