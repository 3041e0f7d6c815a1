"""MVP007 and MVP008: the current registered model loads safely and beats the baseline.

Both ask the project's own ``models verify``, which checks the pickle's SHA-256, the library
versions and the data contract against the model's metadata before anything is unpickled.
"""

from __future__ import annotations

from typing import Any

from .findings import Finding, failed, passed
from .project import Project


def current_model(project: Project) -> dict[str, Any]:
    """What ``models verify`` says about the current model."""
    return project.package_json("models", "verify", "--format", "json")


def registered(project: Project) -> Finding:
    """MVP008: a current model whose artifact matches its metadata."""
    model = current_model(project)
    if not model["verified"]:
        return failed(model["problem"])
    return passed(f"model {model['version']}: checksum, library versions and contract match")


def beats_baseline(project: Project) -> Finding:
    """MVP007: the current model beats the baseline on the holdout, on the primary metric."""
    model = current_model(project)
    if not model["verified"]:
        return failed("no model to compare: see MVP008")
    metrics = model["metrics"]
    primary = metrics["primary"]
    ours, baseline = metrics["model"][primary], metrics["baseline"][primary]
    scores = f"{primary} {ours:.4f}, baseline {baseline:.4f}"
    if model["beats_baseline"]:
        return passed(f"model {model['version']}: {scores}")
    return failed(f"model {model['version']} does not beat the baseline: {scores}")
