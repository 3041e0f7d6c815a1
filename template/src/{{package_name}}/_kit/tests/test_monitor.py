from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from .. import monitor as monitor_module
from ..contract import Column, Contract
from ..monitor import (
    MIN_ROWS,
    PICTURED,
    FeatureDrift,
    MonitorError,
    Window,
    monitor,
    picture_name,
    write_drift_report,
)
from ..prediction_log import PredictionLog
from ..predictor import Prediction
from ..profile import PROFILE_FILE, ProfileError
from ..registry import Registry
from .conftest import outside


def _sample(frame: pd.DataFrame, contract: Contract, rows: int, seed: int) -> list[dict[str, Any]]:
    """Rows drawn from the sample rows, as the service logs them (None when missing)."""
    sample = frame[contract.feature_names].sample(rows, replace=True, random_state=seed)
    return json.loads(sample.to_json(orient="records"))


def _log(
    path: Path,
    rows: list[dict[str, Any]],
    version: str = "v1",
    predictions: list[Prediction] | None = None,
) -> Path:
    log = PredictionLog(path, max_bytes=10**9)
    log.open()
    log.write("test", version, rows, predictions or [Prediction(0.0)] * len(rows))
    log.close()
    return path


@pytest.fixture
def registry(trained_models: Path) -> Registry:
    return Registry(trained_models)


def test_a_fresh_sample_of_the_training_data_passes(
    tmp_path: Path, registry: Registry, contract: Contract, sample_rows: pd.DataFrame
) -> None:
    path = _log(tmp_path / "predictions.jsonl", _sample(sample_rows, contract, 600, seed=1))
    report = monitor(registry, contract, path)
    assert report.success, report.render()
    assert (report.model_version, report.rows, report.other_versions) == ("v1", 600, {})
    assert [item.feature for item in report.drift] == contract.feature_names
    assert all(item.status == "stable" for item in report.drift), report.render()
    assert report.render().endswith("ok: every rule holds and no feature drifted")


def _toward(column: Column, bound: str, value: Any) -> Any:
    """``value`` moved four fifths of the way to the column's bound: still within the contract."""
    if value is None:
        return None
    limit = getattr(column, bound)
    moved = limit - (limit - value) / 5
    return round(moved) if column.type == "integer" else moved


def test_shifted_data_is_reported_as_drift(
    tmp_path: Path,
    registry: Registry,
    contract: Contract,
    sample_rows: pd.DataFrame,
    bounded: tuple[Column, str],
) -> None:
    column, bound = bounded
    name = column.name
    rows = _sample(sample_rows, contract, 500, seed=2)
    shifted = [{**row, name: _toward(column, bound, row[name])} for row in rows]
    report = monitor(registry, contract, _log(tmp_path / "predictions.jsonl", shifted))
    assert not report.success
    assert report.validation.success, "still within the contract's ranges"
    assert report.drifted == [name]
    assert f"{name} drifted" in report.render()
    as_json = json.loads(report.to_json())
    assert as_json["success"] is False
    assert as_json["thresholds"] == {"watch": 0.1, "drift": 0.25}
    drift = {item["feature"]: item for item in as_json["drift"]}
    assert drift[name]["status"] == "drift"
    assert drift[name]["psi"] > as_json["thresholds"]["drift"]


@pytest.mark.slow  # pictures
def test_a_drift_report_shows_each_feature_and_the_shift(
    tmp_path: Path,
    registry: Registry,
    contract: Contract,
    sample_rows: pd.DataFrame,
    bounded: tuple[Column, str],
) -> None:
    column, bound = bounded
    name = column.name
    rows = _sample(sample_rows, contract, 500, seed=2)
    shifted = [{**row, name: _toward(column, bound, row[name])} for row in rows]
    path = tmp_path / "reports" / "drift.md"
    report = monitor(
        registry, contract, _log(tmp_path / "predictions.jsonl", shifted), report_to=path
    )
    assert report.drift_report == str(path)
    assert f"drift report with pictures: {path}" in report.render()
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Drift report: ")
    links = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", text)
    assert links[0] == "drift/psi.png"
    first = text.split("\n### ")[1]
    assert first.startswith(f"`{name}`: PSI"), "the most drifted feature comes first"
    assert f"]({links[1]})" in first
    assert len(links) == min(len(contract.feature_names), PICTURED) + 1
    for link in links:
        picture = path.parent / link
        assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert picture.stat().st_size > 5_000
    drift = {item.feature: item for item in report.drift}
    assert f"| `{name}` | {drift[name].psi:.3f} | drift |" in text
    # What the feature's picture draws: its recent shares moved away from the training ones.
    moved = sum(abs(r - t) for r, t in zip(drift[name].recent, drift[name].training, strict=True))
    assert moved / 2 > 0.3, "at least 30% of the rows changed bins"
    assert len(drift[name].bins) == len(drift[name].recent) == len(drift[name].training)


def test_requests_that_break_the_contract_fail(
    tmp_path: Path,
    registry: Registry,
    contract: Contract,
    sample_rows: pd.DataFrame,
    bounded: tuple[Column, str],
) -> None:
    column, bound = bounded
    rows = _sample(sample_rows, contract, 150, seed=3)
    rows[5][column.name] = outside(column, bound)  # a log written under an older contract, say
    report = monitor(registry, contract, _log(tmp_path / "predictions.jsonl", rows))
    assert not report.success
    assert [failure.column for failure in report.validation.failures] == [column.name]
    assert "requests break the contract" in report.render()


def test_the_window_counts_only_the_monitored_version(
    tmp_path: Path, registry: Registry, contract: Contract, sample_rows: pd.DataFrame
) -> None:
    path = tmp_path / "predictions.jsonl"
    _log(path, _sample(sample_rows, contract, 50, seed=4), version="v0")
    _log(path, _sample(sample_rows, contract, 300, seed=5))
    report = monitor(registry, contract, path, Window(last=250))
    assert (report.rows, report.other_versions) == (250, {"v0": 50})
    assert "not compared: 50 of v0" in report.render()
    old = _log(tmp_path / "old.jsonl", [{}] * 3, version="v0")
    with pytest.raises(MonitorError, match=r"has no predictions of model v1 \(it has v0: 3 rows\)"):
        monitor(registry, contract, old)


def test_too_small_a_window_is_refused(
    tmp_path: Path, registry: Registry, contract: Contract, sample_rows: pd.DataFrame
) -> None:
    path = _log(tmp_path / "predictions.jsonl", _sample(sample_rows, contract, 150, seed=6))
    with pytest.raises(MonitorError, match=f"the window has 20 .* at least {MIN_ROWS}"):
        monitor(registry, contract, path, Window(last=20))
    with pytest.raises(MonitorError, match="the window has 0 predictions"):
        monitor(registry, contract, path, Window(since="2999-01-01"))
    assert monitor(registry, contract, path, Window(since="1999-12-31T23:00Z")).rows == 150
    with pytest.raises(MonitorError, match="'yesterday' is not an ISO date or time"):
        monitor(registry, contract, path, Window(since="yesterday"))


def test_a_model_without_a_training_profile_must_be_retrained(
    tmp_path: Path, trained_models: Path, contract: Contract, sample_rows: pd.DataFrame
) -> None:
    models = shutil.copytree(trained_models, tmp_path / "models")
    (models / "v1" / PROFILE_FILE).unlink()
    path = _log(tmp_path / "predictions.jsonl", _sample(sample_rows, contract, 100, seed=7))
    with pytest.raises(ProfileError, match="retrain it with the train command"):
        monitor(Registry(models), contract, path)


def test_clipped_regression_predictions_are_counted_not_failed(
    tmp_path: Path, registry: Registry, contract: Contract, sample_rows: pd.DataFrame
) -> None:
    rows = _sample(sample_rows, contract, 200, seed=5)
    numbers = [Prediction(1.0, clipped=number % 4 == 0) for number in range(200)]
    report = monitor(registry, contract, _log(tmp_path / "r.jsonl", rows, predictions=numbers))
    assert report.clipped == 50
    assert report.success, report.render()
    assert "target range: 50 of 200 predictions (25.0%) fell outside" in report.render()
    assert json.loads(report.to_json())["clipped"] == 50
    labels = [Prediction("a", {"a": 1.0})] * 200  # a classifier's lines carry no flag
    report = monitor(registry, contract, _log(tmp_path / "c.jsonl", rows, predictions=labels))
    assert report.clipped is None
    assert "target range" not in report.render()


def test_each_feature_gets_a_picture_file_of_its_own_on_any_disk() -> None:
    names = ["region", "mean radius", "mean_radius", "Mean radius", "a/b", "..", "x" * 300, "é"]
    files = [picture_name(name) for name in names]
    assert files[:2] == ["feature-region.png", f"feature-mean_radius-{files[1][-12:-4]}.png"]
    assert len({file.lower() for file in files}) == len(names)
    assert all(re.fullmatch(r"feature-[a-z0-9_.-]{1,60}(-[0-9a-f]{8})?\.png", f) for f in files)


@pytest.mark.slow  # pictures
def test_wide_data_draws_the_most_drifted_features_and_lists_them_all(
    tmp_path: Path,
    registry: Registry,
    contract: Contract,
    sample_rows: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(monitor_module, "PICTURED", 3)  # as with 20 of many more, but quicker
    rows = _sample(sample_rows, contract, 150, seed=3)
    report = monitor(registry, contract, _log(tmp_path / "predictions.jsonl", rows))
    wide = [
        FeatureDrift(f"f{n}", n / 100, "stable", ["low", "high"], [0.5, 0.5], [0.4, 0.6])
        for n in range(5)
    ]
    path = tmp_path / "drift.md"
    write_drift_report(replace(report, drift=wide), path, tmp_path / "profile.json")
    text = path.read_text(encoding="utf-8")
    drawn = re.findall(r"\]\((drift/feature-[^)]+)\)", text)
    assert drawn == ["drift/feature-f4.png", "drift/feature-f3.png", "drift/feature-f2.png"]
    assert all(f"| `f{n}` |" in text for n in range(5)), "the table lists every one"
    assert "## The 3 most drifted of 5 features; the table lists every one" in text
    assert sorted(p.name for p in (tmp_path / "drift").iterdir()) == sorted(
        ["psi.png", *(link.removeprefix("drift/") for link in drawn)]
    )
