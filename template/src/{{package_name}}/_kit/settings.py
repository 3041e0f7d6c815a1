"""Every setting of the kit in one object, each default written once (pydantic-settings).

Precedence, highest first: arguments given in code, environment variables
``<PACKAGE>_<NAME>`` (for example ``MY_ML_PROJECT_DATA=/data/orders.parquet``), the
``[tool.proto-to-mvp]`` table of ``pyproject.toml`` in the working directory (your project's
settings, for example ``data = "data/orders.parquet"``), then the defaults below. Paths are
relative to the working directory (the project root) unless absolute.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    PyprojectTomlConfigSettingsSource,
    SettingsConfigDict,
)

from .errors import ProjectError
from .identity import PACKAGE

ENV_PREFIX = f"{PACKAGE.upper()}_"
PYPROJECT_TABLE = ("tool", "proto-to-mvp")


class SettingsError(ProjectError):
    """A setting has a value that cannot be used; the message names it."""


class Settings(BaseSettings):
    """Where things live, how runs are seeded, and the service's limits."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        frozen=True,
        extra="forbid",
        pyproject_toml_table_header=PYPROJECT_TABLE,
    )

    data: Path = Path("data/example/deliveries.csv")  # training data, CSV or Parquet
    models_dir: Path = Path("models")
    params: Path = Path("params.json")  # what tune writes and train fits with
    seed: int = 42
    test_size: float = Field(0.2, gt=0.0, lt=1.0)
    # None (an empty value) logs no predictions; the log rotates at predictions_log_max_mb.
    predictions_log: Path | None = Path("logs/predictions.jsonl")
    predictions_log_max_mb: float = Field(100.0, gt=0.0)
    tune_trials: int = Field(20, gt=0)
    tune_timeout: float = Field(60.0, gt=0.0)  # seconds
    max_batch: int = Field(1000, gt=0)  # rows per batch request
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    # Where --engine spark runs (spark/session.py): local[*] on this machine, a cluster's master
    # URL (spark://host:7077, yarn, k8s://...), or a Spark Connect server (sc://host:15002).
    spark_master: str = Field("local[*]", min_length=1)
    # MLflow tracking of tune and train (tracking.py): "warn" when the store cannot be reached,
    # "require" to fail instead, "off" to never track. MLFLOW_TRACKING_URI wins over the URI.
    tracking: Literal["warn", "require", "off"] = "warn"
    tracking_uri: str = "sqlite:///mlruns.db"
    tracking_artifacts: Path = Path("mlartifacts")  # the local store's artifacts
    # monitor's drift report, pictures in the folder beside it (drift/); empty writes none.
    drift_report: Path | None = Path("reports/drift.md")

    @field_validator("predictions_log", "drift_report", mode="before")
    @classmethod
    def _empty_is_off(cls, value: Any) -> Any:
        return None if value == "" else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Code, then the environment, then pyproject.toml; no .env or secrets folder."""
        return (init_settings, env_settings, PyprojectTomlConfigSettingsSource(settings_cls))

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """The settings, or SettingsError naming the first setting that is wrong."""
        try:
            return cls(**overrides)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            raise SettingsError(
                f"invalid setting {name} ({ENV_PREFIX}{name.upper()} or {name} in "
                f"[tool.proto-to-mvp] of pyproject.toml): {error['msg']}"
            ) from None
