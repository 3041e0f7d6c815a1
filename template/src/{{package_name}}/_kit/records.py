"""The records the kit writes and reads back: a model's metadata, metrics, data and tuning.

``metadata.json`` (registry.py) and the ``tuning`` part of ``params.json`` (params.py) are
these models as JSON. They are frozen, strict (a number is not a string, a flag is not "yes")
and refuse unknown fields, so a hand-edited or truncated file is refused with the first bad
field named (``problem``) instead of failing later on a missing key.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from .tasks import METRICS, TASKS


class Record(BaseModel):
    # NaN and infinity written as JSON's NaN/Infinity (as json.dumps does) read back as floats.
    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, ser_json_inf_nan="constants"
    )


class Metrics(Record):
    """Holdout scores of the model and the baseline, and the verdict on the primary metric."""

    task: str
    primary: str
    higher_is_better: bool
    model: dict[str, float]
    baseline: dict[str, float]
    beats_baseline: bool
    holdout_rows: int
    # Regression: holdout predictions outside the target's contract range, before clipping.
    outside_target_range: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_v0_2(cls, raw: Any) -> Any:
        """v0.2.0 recorded neither the task nor the direction: the primary metric tells both."""
        primary = raw.get("primary") if isinstance(raw, dict) else None
        if isinstance(primary, str) and not {"task", "higher_is_better"} <= set(raw):
            for task, metrics in METRICS.items():
                if primary in metrics:
                    return {"task": task, "higher_is_better": metrics[primary], **raw}
        return raw

    @field_validator("task")
    @classmethod
    def _known_task(cls, task: str) -> str:
        if task not in TASKS:
            raise ValueError(f"must be one of {', '.join(TASKS)}")
        return task

    @model_validator(mode="after")
    def _primary_is_scored(self) -> Metrics:
        if self.primary not in self.model or self.primary not in self.baseline:
            raise ValueError(f"the primary metric {self.primary!r} has no model or baseline score")
        return self

    @property
    def model_score(self) -> float:
        """The model's score on the primary metric."""
        return self.model[self.primary]

    @property
    def baseline_score(self) -> float:
        """The baseline's score on the primary metric."""
        return self.baseline[self.primary]


class DataRecord(Record):
    """A data file as it was used: its path, its SHA-256 and its row count (none in tune's)."""

    path: str
    sha256: str
    rows: int | None = None


class Tuning(Record):
    """The record of the search ``tune`` ran: how, on what, and how well it did."""

    date: str
    sampler: str
    seed: int
    trials: int
    max_trials: int
    timeout_s: float
    elapsed_s: float
    stopped_by: Literal["trials", "timeout"]
    metric: str
    cv_folds: int
    best_score: float
    default_score: float
    search_space: dict[str, str]
    data: DataRecord
    optuna: str
    mlflow_run_id: str | None = None  # the search's parent run, when it was tracked


class TrackedRun(Record):
    """An MLflow run: the store it is in (no credentials), its experiment and its id."""

    uri: str
    experiment_id: str
    run_id: str

    @property
    def url(self) -> str | None:
        """The run's page on a tracking server; None for a local store (browse it with the UI)."""
        if not self.uri.startswith(("http://", "https://")):
            return None
        return f"{self.uri.rstrip('/')}/#/experiments/{self.experiment_id}/runs/{self.run_id}"


class Metadata(Record):
    """Everything needed to trust, reproduce and compare a registered model (metadata.json)."""

    version: str
    created: str
    pickle_sha256: str
    contract_fingerprint: str
    libraries: dict[str, str]
    python: str
    metrics: Metrics
    data: DataRecord
    params: dict[str, Any] = {}
    estimator: str | None = None
    git_commit: str | None = None
    template_version: str | None = None
    tuning: Tuning | None = None
    mlflow: TrackedRun | None = None  # the training run, when it was tracked

    @property
    def beats_baseline(self) -> bool:
        return self.metrics.beats_baseline


class CalibrationBin(Record):
    """Holdout rows whose predicted probability fell in one tenth of [0, 1]."""

    predicted: float  # their mean predicted probability
    observed: float  # how often the event happened among them
    rows: int


class Holdout(Record):
    """A model's holdout predictions, summarised for pictures (``models/vN/holdout.json``)."""

    task: str
    rows: int
    labels: list[str] = []  # classes, in the confusion matrix's order
    confusion: list[list[int]] = []  # rows: the actual class; columns: the predicted one
    calibration: list[CalibrationBin] = []
    calibration_of: str | None = None  # what the probability is of
    actual: list[float] = []
    predicted: list[float] = []


def problem(error: ValidationError, within: str = "") -> str:
    """The first thing wrong with a record, on one line: the field, then what is wrong."""
    errors = error.errors(include_url=False)
    first = errors[0]
    where = ".".join(str(part) for part in (within, *first["loc"]) if part != "") or "the record"
    if first["type"] == "json_invalid":
        return f"not valid JSON ({first['ctx']['error']})"
    if first["type"] == "missing":
        text = f"{where} is missing (written by another kit version, or edited by hand)"
    elif first["type"] == "extra_forbidden":
        text = f"{where} is not a field of this record"
    elif first["type"] == "value_error":  # the record's own rules: the message says it all
        text = f"{where}: {first['msg'].removeprefix('Value error, ')}"
    else:
        shown = repr(first["input"])
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        text = f"{where}: {first['msg']}, got {shown}"
    more = len(errors) - 1
    return text + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")
