from __future__ import annotations

import re
from pathlib import Path

import pytest

from ..settings import ENV_PREFIX, Settings, SettingsError


def test_defaults_point_at_the_example_data() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.data_path == Path("data/example/deliveries.csv")


def test_environment_overrides_each_setting() -> None:
    env = {
        f"{ENV_PREFIX}DATA": "/data/orders.parquet",
        f"{ENV_PREFIX}MODELS_DIR": "/srv/models",
        f"{ENV_PREFIX}PARAMS": "/srv/params.json",
        f"{ENV_PREFIX}SEED": "7",
        f"{ENV_PREFIX}TEST_SIZE": "0.3",
        f"{ENV_PREFIX}PREDICTIONS_LOG": "/var/log/predictions.jsonl",
        f"{ENV_PREFIX}PREDICTIONS_LOG_MAX_MB": "5",
    }
    expected = Settings(
        Path("/data/orders.parquet"),
        Path("/srv/models"),
        Path("/srv/params.json"),
        7,
        0.3,
        Path("/var/log/predictions.jsonl"),
        5.0,
    )
    assert Settings.from_env(env) == expected


def test_an_empty_predictions_log_setting_turns_the_log_off() -> None:
    assert Settings().predictions_log == Path("logs/predictions.jsonl")
    assert Settings.from_env({f"{ENV_PREFIX}PREDICTIONS_LOG": ""}).predictions_log is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SEED", "seven", "invalid"),
        ("TEST_SIZE", "1.5", "TEST_SIZE must be in (0, 1)"),
        ("PREDICTIONS_LOG_MAX_MB", "0", "PREDICTIONS_LOG_MAX_MB must be positive"),
    ],
)
def test_unusable_overrides_are_refused(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env({f"{ENV_PREFIX}{name}": value})
