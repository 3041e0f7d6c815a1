"""MVP007, MVP008, MVP010 and MVP014: the current registered model, and what it says of itself.

They ask the project's own ``models verify``, which checks the pickle's SHA-256, the library
versions and the data contract against the model's metadata before anything is unpickled, and
``model-card --check``, which compares MODEL_CARD.md with the current model.
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


def tuned(project: Project) -> Finding:
    """MVP010: the current model's parameters come from a search on the data it was trained on."""
    model = current_model(project)
    if not model["verified"]:
        return failed("no model to check: see MVP008")
    tuning, version = model.get("tuning"), model["version"]
    if not tuning:
        return failed(f"model {version} has no tuning record: its parameters were set by hand")
    tuned_on = (tuning.get("data") or {}).get("sha256")
    if tuned_on != model.get("data", {}).get("sha256"):
        return failed(f"model {version} was tuned on other data than it was trained on")
    search = f"{tuning.get('trials')} trials of {tuning.get('sampler')} (seed {tuning.get('seed')})"
    return passed(f"model {version}: parameters from {search} on {tuning.get('date')}")


def model_card(project: Project) -> Finding:
    """MVP014: MODEL_CARD.md is generated for the current model and states what holds now."""
    if not current_model(project)["verified"]:
        return failed("no model to describe: see MVP008")
    card = project.package_json("model-card", "--check", "--format", "json")
    if card["up_to_date"]:
        return passed(f"{card['path']} describes model {card['version']}")
    return failed(card["problem"])
