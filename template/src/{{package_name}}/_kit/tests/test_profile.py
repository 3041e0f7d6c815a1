from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ..contract import Column, Contract
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
from .conftest import category_feature, number_feature, unlisted


def test_each_feature_has_bins_that_share_out_every_row(
    sample_rows: pd.DataFrame, contract: Contract
) -> None:
    profile = build_profile(sample_rows, contract)
    assert profile.rows == len(sample_rows)
    assert [feature.name for feature in profile.features] == contract.feature_names
    for column, feature in zip(contract.features, profile.features, strict=True):
        assert sum(feature.shares) == pytest.approx(1.0)
        if column.type in ("integer", "float"):
            assert feature.kind == "numeric"
            assert feature.bins == sorted(feature.bins)
            assert len(feature.shares) == len(feature.bins) + 2, "bins, past the last edge, missing"
        else:
            assert feature.kind == "categorical"
            assert feature.bins == list(column.allowed or ("False", "True"))
            assert len(feature.shares) == len(feature.bins) + 2, "values, other values, missing"
        assert len(feature.labels()) == len(feature.shares), "a name for each bin, to draw it"
        assert feature.labels()[-1] == "missing"
        assert feature.shares_of(sample_rows[column.name]) == pytest.approx(feature.shares)


def test_missing_values_have_a_bin_of_their_own(
    sample_rows: pd.DataFrame, contract: Contract, nullable_feature: Column
) -> None:
    profile = build_profile(sample_rows, contract)
    feature = next(f for f in profile.features if f.name == nullable_feature.name)
    missing = sample_rows[nullable_feature.name].isna().mean()
    assert missing > 0, "the sample rows have gaps in nullable columns"
    assert feature.shares[-1] == pytest.approx(missing)


def test_psi_is_zero_for_the_same_data_and_large_for_shifted_data(
    sample_rows: pd.DataFrame, contract: Contract
) -> None:
    profile = build_profile(sample_rows, contract)
    column = number_feature(contract)
    values = sample_rows[column.name]
    feature = next(f for f in profile.features if f.name == column.name)
    assert feature.psi(values) == pytest.approx(0.0, abs=1e-3)
    assert feature.psi(values + (values.max() - values.min())) > DRIFT, "moved by its spread"


def test_an_unseen_mix_of_categories_drifts_and_unknown_values_have_a_bin(
    sample_rows: pd.DataFrame, contract: Contract
) -> None:
    column = category_feature(contract)
    if len(column.allowed or ()) == 1 and not column.nullable:
        pytest.skip(f"{column.name} has one value: its mix cannot change")
    feature = next(
        f for f in build_profile(sample_rows, contract).features if f.name == column.name
    )
    assert feature.psi(sample_rows[column.name]) == pytest.approx(0.0, abs=1e-3)
    rarest = sample_rows[column.name].value_counts().idxmin()
    only_one = pd.Series([rarest] * 100, dtype="category")
    assert feature.psi(only_one) > DRIFT
    unknown = pd.Series([unlisted(column)] * 100)
    assert feature.counts(unknown)[-2] == 100, "values outside the contract have a bin"


def test_status_by_threshold() -> None:
    assert [status(psi) for psi in (0.0, WATCH, DRIFT, np.inf)] == [
        "stable",
        "watch",
        "drift",
        "drift",
    ]


def test_profile_round_trips_through_the_registry(
    tmp_path: Path, sample_rows: pd.DataFrame, contract: Contract
) -> None:
    profile = build_profile(sample_rows, contract)
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
