"""Every setting of the kit in one object, each default written once (pydantic-settings).

Precedence, highest first: arguments given in code, environment variables
``<PACKAGE>_<NAME>`` (for example ``MY_ML_PROJECT_DATA=/data/orders.parquet``), the
``[tool.proto-to-mvp]`` table of ``pyproject.toml`` in the working directory (your project's
settings, for example ``data = "data/orders.parquet"``), then the defaults below. Paths are
relative to the working directory (the project root) unless absolute.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
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
# Settings whose short name (pyproject.toml key, <PREFIX><NAME> variable) is not the field's.
SHORT_NAMES = {"data_path": "data", "params_path": "params"}


class SettingsError(ProjectError):
    """A setting has a value that cannot be used; the message names it."""


def _short(field: str) -> str:
    return SHORT_NAMES.get(field, field)


class Settings(BaseSettings):
    """Where things live, how runs are seeded, and the service's limits."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        pyproject_toml_table_header=PYPROJECT_TABLE,
    )

    data_path: Path = Field(
        Path("data/example/deliveries.csv"), validation_alias=AliasChoices("data_path", "data")
    )
    models_dir: Path = Path("models")
    params_path: Path = Field(
        Path("params.json"), validation_alias=AliasChoices("params_path", "params")
    )
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

    @field_validator("predictions_log", mode="before")
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
        pyproject = PyprojectTomlConfigSettingsSource(settings_cls)
        return (init_settings, _Environment(settings_cls), pyproject)

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """The settings, or SettingsError naming the first setting that is wrong."""
        # Field names, so an override outranks the environment whichever name it was given by.
        fields = {short: field for field, short in SHORT_NAMES.items()}
        overrides = {fields.get(name, name): value for name, value in overrides.items()}
        try:
            return cls(**overrides)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = _short(".".join(str(part) for part in error["loc"]) or "settings")
            raise SettingsError(
                f"invalid setting {name} ({ENV_PREFIX}{name.upper()} or {name} in "
                f"[tool.proto-to-mvp] of pyproject.toml): {error['msg']}"
            ) from None


class _Environment(PydanticBaseSettingsSource):
    """``<PREFIX><NAME>`` variables, and only those: a bare ``DATA`` in the shell is no setting.

    (pydantic-settings' own source reads a field's aliases unprefixed.)
    """

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every setting at once

    def __call__(self) -> dict[str, Any]:
        found = {}
        for field in self.settings_cls.model_fields:
            variable = f"{ENV_PREFIX}{_short(field).upper()}"
            if variable in os.environ:
                found[field] = os.environ[variable]
        return found
