from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ..contract import Contract
from ..profile import (
    DRIFT,
    PROFILE_FILE,
    WATCH,
    ProfileError,
    build_profile,
    load_profile,
    status,
)
from ..registry import Registry


def test_each_feature_has_bins_that_share_out_every_row(
    example_frame: pd.DataFrame, contract: Contract
) -> None:
    profile = build_profile(example_frame, contract)
    assert profile.rows == 1000
    by_name = {feature.name: feature for feature in profile.features}
    assert list(by_name) == contract.feature_names
    for feature in profile.features:
        assert sum(feature.shares) == pytest.approx(1.0)
    region = by_name["region"]
    assert (region.kind, region.bins) == ("categorical", list(contract.column("region").allowed))
    distance = by_name["distance_km"]
    assert distance.kind == "numeric"
    assert distance.bins == sorted(distance.bins)
    assert len(distance.shares) == len(distance.bins) + 2, "bins, past the last edge, missing"
    assert by_name["courier_rating"].shares[-1] == pytest.approx(
        example_frame["courier_rating"].isna().mean()
    ), "missing values have a bin of their own"


def test_psi_is_zero_for_the_same_data_and_large_for_shifted_data(
    example_frame: pd.DataFrame, contract: Contract
) -> None:
    profile = build_profile(example_frame, contract)
    distance = next(feature for feature in profile.features if feature.name == "distance_km")
    assert distance.psi(example_frame["distance_km"]) == pytest.approx(0.0, abs=1e-3)
    assert distance.psi(example_frame["distance_km"] * 2) > DRIFT
    region = next(feature for feature in profile.features if feature.name == "region")
    only_north = pd.Series(["north"] * 100, dtype="category")
    assert region.psi(only_north) > DRIFT
    unknown = pd.Series(["atlantis"] * 100)
    assert region.counts(unknown)[-2] == 100, "values outside the contract have a bin"


def test_status_by_threshold() -> None:
    assert [status(psi) for psi in (0.0, WATCH, DRIFT, np.inf)] == [
        "stable",
        "watch",
        "drift",
        "drift",
    ]


def test_profile_round_trips_through_the_registry(
    tmp_path: Path, example_frame: pd.DataFrame, contract: Contract
) -> None:
    profile = build_profile(example_frame, contract)
    registry = Registry(tmp_path / "models")
    (registry.root / "v1").mkdir(parents=True)
    (registry.root / "v1" / PROFILE_FILE).write_text(profile.to_json(), encoding="utf-8")
    assert load_profile(registry, "v1") == profile


def test_a_model_without_a_profile_is_retrained(tmp_path: Path, trained_models: Path) -> None:
    models = shutil.copytree(trained_models, tmp_path / "models")
    (models / "v1" / PROFILE_FILE).unlink()
    with pytest.raises(ProfileError, match="registered before training profiles existed; retrain"):
        load_profile(Registry(models), "v1")


@pytest.mark.parametrize("text", ["{", '{"rows": 3}', '{"rows": 3, "features": [1]}'])
def test_a_broken_profile_is_refused(tmp_path: Path, trained_models: Path, text: str) -> None:
    models = shutil.copytree(trained_models, tmp_path / "models")
    (models / "v1" / PROFILE_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError, match=r"profile\.json: .* retrain it"):
        load_profile(Registry(models), "v1")
