"""Runs inside a generated project's environment (see monitoring.py); prints JSON results.

    python monitoring_worker.py LOG ROWS

Writes ROWS predictions, resampled from the example data, to LOG with the project's own
PredictionLog (so it rotates as the service's does), then times each step of `monitor` on it.
Also times what logging costs one single-row request in-process, as the service logs: one
`write` per request and a `flush` per 2,000 requests (a second of traffic).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd
from my_ml_project._kit.contract import load_contract
from my_ml_project._kit.data import conform, load_table
from my_ml_project._kit.monitor import Window, monitor
from my_ml_project._kit.prediction_log import PredictionLog, read_log
from my_ml_project._kit.predictor import Prediction
from my_ml_project._kit.profile import load_profile
from my_ml_project._kit.registry import Registry
from my_ml_project._kit.schema import row_model
from my_ml_project._kit.settings import Settings
from my_ml_project._kit.validation import validate_frame

BATCH = 1000


def write_log(path: Path, rows: int, settings: Settings) -> None:
    contract = load_contract()
    example = load_table(settings.data, contract)[contract.feature_names]
    sample = example.sample(BATCH * 10, replace=True, random_state=0)
    records = json.loads(sample.to_json(orient="records"))
    prediction = Prediction("on_time", {"late": 0.3, "on_time": 0.7})
    log = PredictionLog(path, max_bytes=int(settings.predictions_log_max_mb * 1_000_000))
    log.open()
    for start in range(0, rows, BATCH):
        batch = records[start % len(records) :][: min(BATCH, rows - start)]
        log.write(f"bench-{start // BATCH}", "v1", batch, [prediction] * len(batch))
    log.close()


def log_cost_us(path: Path, settings: Settings, requests: int = 20_000) -> float:
    """Microseconds that logging adds to one single-row request, write and flush included."""
    contract = load_contract()
    example = load_table(settings.data, contract)[contract.feature_names].head(1)
    row = row_model(contract).model_validate(json.loads(example.to_json(orient="records"))[0])
    prediction = Prediction("on_time", {"late": 0.3, "on_time": 0.7})
    log = PredictionLog(path, max_bytes=10**12)
    log.open()
    start = time.perf_counter()
    for number in range(requests):
        log.write(str(number), "v1", [row], [prediction])
        if number % 2000 == 1999:
            log.flush()
    log.close()
    seconds = time.perf_counter() - start
    path.unlink()
    return seconds / requests * 1e6


def timed(steps: dict[str, float], name: str, function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    steps[name] = time.perf_counter() - start
    return result


def main() -> None:
    path, rows = Path(sys.argv[1]), int(sys.argv[2])
    settings = Settings.load()
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    start = time.perf_counter()
    write_log(path, rows, settings)
    written = time.perf_counter() - start
    files = sorted(path.parent.glob(path.name + "*"))

    contract, registry, steps = load_contract(), Registry(settings.models_dir), {}
    logged = timed(steps, "read the log", read_log, path, contract)
    requests = contract.for_requests()
    frame = timed(steps, "conform", conform, logged[requests.feature_names], requests)
    timed(steps, "contract suite", validate_frame, frame, requests)
    profile = load_profile(registry, "v1")
    timed(steps, "PSI", lambda: [f.psi(frame[f.name]) for f in profile.features])
    report = timed(steps, "monitor()", monitor, registry, contract, path, Window(last=rows))
    assert report.rows == rows
    cost = min(log_cost_us(path.with_name("cost.jsonl"), settings) for _ in range(3))
    print(
        json.dumps(
            {
                "rows": rows,
                "write_s": written,
                "files": len(files),
                "megabytes": sum(f.stat().st_size for f in files) / 1e6,
                "steps_s": steps,
                "drift": {d.feature: d.psi for d in report.drift},
                "pandas": pd.__version__,
                "log_cost_us": cost,
            }
        )
    )


if __name__ == "__main__":
    main()
