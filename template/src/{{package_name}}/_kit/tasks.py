"""The two kinds of model the kit trains, decided by the contract's target column at run time."""

from __future__ import annotations

from .errors import ProjectError

CLASSIFICATION, REGRESSION = "classification", "regression"
TASKS = (CLASSIFICATION, REGRESSION)
# Every metric ``evaluate.score`` reports, per task, and whether higher is better.
METRICS: dict[str, dict[str, bool]] = {
    CLASSIFICATION: {"balanced_accuracy": True, "accuracy": True, "f1_macro": True},
    REGRESSION: {"mae": False, "rmse": False, "r2": True},
}


def check_task(task: str) -> str:
    if task not in TASKS:
        raise ProjectError(f"task must be one of {', '.join(TASKS)}, not {task!r}")
    return task
