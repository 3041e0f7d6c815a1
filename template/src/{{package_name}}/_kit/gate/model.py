"""MVP007, MVP008, MVP010 and MVP014: the current registered model, and what it says of itself.

They read the registry in-process: ``Registry.verify`` checks the pickle's SHA-256, the library
versions and the data contract against the model's metadata (nothing is unpickled), and the
model card is rebuilt from the registry and compared with MODEL_CARD.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ProjectError
from ..records import Metadata
from ..registry import Registry
from .findings import Finding, failed, passed
from .project import Project


@dataclass(frozen=True)
class Current:
    """The current model's metadata once it is verified, or why it is not."""

    metadata: Metadata | None
    problem: str | None = None


def registry(project: Project) -> Registry:
    return Registry(project.settings.models_dir)


def current_model(project: Project) -> Current:
    """The verified current model; verified once per gate run."""
    return project.shared("current model", lambda: _verify(project))


def _verify(project: Project) -> Current:
    fingerprint = project.contract.fingerprint()
    try:
        return Current(registry(project).verify(contract_fingerprint=fingerprint))
    except ProjectError as exc:
        return Current(None, str(exc))


def registered(project: Project) -> Finding:
    """MVP008: a current model whose artifact matches its metadata."""
    model = current_model(project).metadata
    if model is None:
        return failed(str(current_model(project).problem))
    return passed(f"model {model.version}: checksum, library versions and contract match")


def beats_baseline(project: Project) -> Finding:
    """MVP007: the current model beats the baseline on the holdout, on the primary metric."""
    model = current_model(project).metadata
    if model is None:
        return failed("no model to compare: see MVP008")
    metrics = model.metrics
    scores = f"{metrics.primary} {metrics.model_score:.4f}, baseline {metrics.baseline_score:.4f}"
    if model.beats_baseline:
        return passed(f"model {model.version}: {scores}")
    return failed(f"model {model.version} does not beat the baseline: {scores}")


def tuned(project: Project) -> Finding:
    """MVP010: the current model's parameters come from a search on the data it was trained on."""
    model = current_model(project).metadata
    if model is None:
        return failed("no model to check: see MVP008")
    tuning, version = model.tuning, model.version
    if tuning is None:
        return failed(f"model {version} has no tuning record: its parameters were set by hand")
    if tuning.data.sha256 != model.data.sha256:
        return failed(f"model {version} was tuned on other data than it was trained on")
    search = f"{tuning.trials} trials of {tuning.sampler} (seed {tuning.seed})"
    return passed(f"model {version}: parameters from {search} on {tuning.date}")


def model_card(project: Project) -> Finding:
    """MVP014: MODEL_CARD.md is generated for the current model and states what holds now."""
    from ..model_card import build_card, check_card

    if current_model(project).metadata is None:
        return failed("no model to describe: see MVP008")
    card = check_card(build_card(registry(project), project.contract))
    if card.up_to_date:
        return passed(f"{card.path} describes model {card.version}")
    return failed(str(card.problem))
