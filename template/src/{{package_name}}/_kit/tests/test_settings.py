from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ..settings import ENV_PREFIX, Settings, SettingsError

DEFAULT_DATA = Settings.model_fields["data"].default  # the kit's default, a relative path


@pytest.fixture(autouse=True)
def _nothing_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No <PREFIX>* variables; the working directory is tmp_path, without pyproject.toml."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def _pyproject(folder: Path, table: str) -> None:
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "x"\n\n[tool.proto-to-mvp]\n{table}', encoding="utf-8"
    )


def test_defaults_apply_when_nothing_is_set() -> None:
    settings = Settings.load()
    assert settings.data == DEFAULT_DATA
    assert not DEFAULT_DATA.is_absolute(), "inside the project"
    assert (settings.models_dir, settings.params) == (Path("models"), Path("params.json"))
    assert (settings.seed, settings.test_size) == (42, 0.2)
    assert settings.predictions_log == Path("logs/predictions.jsonl")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.spark_master == "local[*]", "Spark on this machine"


def test_environment_overrides_each_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "DATA": "/data/orders.parquet",
        "MODELS_DIR": "/srv/models",
        "PARAMS": "/srv/params.json",
        "SEED": "7",
        "TEST_SIZE": "0.3",
        "PREDICTIONS_LOG": "/var/log/predictions.jsonl",
        "PREDICTIONS_LOG_MAX_MB": "5",
        "TUNE_TRIALS": "3",
        "TUNE_TIMEOUT": "9.5",
        "MAX_BATCH": "10",
        "HOST": "0.0.0.0",
        "PORT": "9000",
        "SPARK_MASTER": "sc://spark.internal:15002",
        "TRACKING": "require",
        "TRACKING_URI": "http://127.0.0.1:5000",
        "TRACKING_ARTIFACTS": "/srv/mlartifacts",
        "DRIFT_REPORT": "/srv/reports/drift.md",
    }
    for name, value in env.items():
        monkeypatch.setenv(f"{ENV_PREFIX}{name}", value)
    assert Settings.load().model_dump() == {
        "data": Path("/data/orders.parquet"),
        "models_dir": Path("/srv/models"),
        "params": Path("/srv/params.json"),
        "seed": 7,
        "test_size": 0.3,
        "predictions_log": Path("/var/log/predictions.jsonl"),
        "predictions_log_max_mb": 5.0,
        "tune_trials": 3,
        "tune_timeout": 9.5,
        "max_batch": 10,
        "host": "0.0.0.0",
        "port": 9000,
        "spark_master": "sc://spark.internal:15002",
        "tracking": "require",
        "tracking_uri": "http://127.0.0.1:5000",
        "tracking_artifacts": Path("/srv/mlartifacts"),
        "drift_report": Path("/srv/reports/drift.md"),
    }


def test_only_prefixed_variables_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATA", "data", "PARAMS", "DATA_PATH", "SEED", "port"):
        monkeypatch.setenv(name, "7")
    settings = Settings.load()  # a shell's own DATA or SEED is not a setting of ours
    assert (settings.data, settings.params) == (DEFAULT_DATA, Path("params.json"))
    assert (settings.seed, settings.port) == (42, 8000)


def test_the_projects_pyproject_table_sets_values(tmp_path: Path) -> None:
    _pyproject(tmp_path, 'data = "data/orders.csv"\nparams = "tuned.json"\nseed = 3\n')
    settings = Settings.load()
    assert settings.data == Path("data/orders.csv")
    assert settings.params == Path("tuned.json")
    assert (settings.seed, settings.models_dir) == (3, Path("models"))


def test_code_beats_the_environment_which_beats_pyproject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pyproject(tmp_path, 'data = "from/pyproject.csv"\nseed = 3\nport = 8001\n')
    monkeypatch.setenv(f"{ENV_PREFIX}DATA", "from/env.csv")
    monkeypatch.setenv(f"{ENV_PREFIX}SEED", "4")
    settings = Settings.load()
    assert (settings.data, settings.seed, settings.port) == (Path("from/env.csv"), 4, 8001)
    assert Settings.load(data="from/code.csv").data == Path("from/code.csv")


def test_an_empty_predictions_log_setting_turns_the_log_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pyproject(tmp_path, 'predictions_log = ""\ndrift_report = ""\n')
    assert Settings.load().predictions_log is None
    assert Settings.load().drift_report is None
    monkeypatch.setenv(f"{ENV_PREFIX}PREDICTIONS_LOG", "")
    (tmp_path / "pyproject.toml").unlink()
    assert Settings.load().predictions_log is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SEED", "seven", "valid integer"),
        ("TEST_SIZE", "1.5", "less than 1"),
        ("PREDICTIONS_LOG_MAX_MB", "0", "greater than 0"),
        ("TUNE_TRIALS", "-1", "greater than 0"),
        ("PORT", "70000", "less than or equal to 65535"),
        ("TRACKING", "sometimes", "'warn', 'require' or 'off'"),
    ],
)
def test_unusable_environment_values_are_one_line_errors_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}{name}", value)
    with pytest.raises(SettingsError) as refused:
        Settings.load()
    text = str(refused.value)
    assert text.startswith(f"invalid setting {name.lower()} ({ENV_PREFIX}{name} or ")
    assert message in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ("seed = 1.5\n", "setting seed"),
        ("data = 3\n", f"setting data ({ENV_PREFIX}DATA or data in [tool.proto-to-mvp]"),
        ("colour = 'red'\n", "setting colour"),
    ],
)
def test_unusable_pyproject_values_are_one_line_errors_naming_the_setting(
    tmp_path: Path, table: str, named: str
) -> None:
    _pyproject(tmp_path, table)
    with pytest.raises(SettingsError, match=re.escape(f"invalid {named}")) as refused:
        Settings.load()
    assert "\n" not in str(refused.value)


def test_settings_cannot_change_once_loaded() -> None:
    settings = Settings.load()
    with pytest.raises(ValueError, match="frozen"):
        settings.seed = 1  # type: ignore[misc]
