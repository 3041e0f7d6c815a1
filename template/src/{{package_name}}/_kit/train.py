"""Training: raw data to a registered model, and the evidence that it beats the baseline.

load and validate (the contract) -> split -> fit the baseline and the model (with the
parameters ``tune`` chose) -> score both on the holdout -> register the model with its metadata
and the profile of its training rows -> make it current if it beats the baseline.
"""

from __future__ import annotations

import logging
import platform
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from .contract import Contract
from .evaluate import holdout_split, is_better, score, split_features_target
from .params import load_params
from .predictor import clip_to_target, outside_target
from .profile import PROFILE_FILE, build_profile
from .records import DataRecord, Metadata, Metrics
from .registry import Registry, library_versions, sha256_of
from .settings import Settings
from .tasks import REGRESSION
from .user import build_baseline, build_model, model_spec
from .validation import load_valid

log = logging.getLogger(__name__)


def train(settings: Settings, contract: Contract, *, promote: bool = True) -> tuple[Metadata, bool]:
    """Train, evaluate and register one model; return its metadata and whether it is current."""
    frame = load_valid(settings.data, contract)
    train_rows, holdout = holdout_split(
        frame, contract, test_size=settings.test_size, seed=settings.seed
    )
    features, target = split_features_target(train_rows, contract)
    holdout_features, holdout_target = split_features_target(holdout, contract)
    spec = model_spec(contract)
    params = load_params(settings.params, spec.defaults)
    log.info(
        "fitting on %d rows, scoring on %d; parameters %s",
        len(train_rows),
        len(holdout),
        params.values or "default",
    )

    baseline = build_baseline(contract).fit(features, target)
    model = build_model(contract, params.values).fit(features, target)
    predicted = model.predict(holdout_features)
    outside = None
    if spec.task == REGRESSION:  # served numbers are clipped into the target's range: score those
        outside = outside_target(predicted, contract)
        predicted = clip_to_target(predicted, contract)
        if outside:
            log.warning(
                "%d of %d holdout predictions fell outside the target's contract range "
                "(clipped when served)",
                outside,
                len(predicted),
            )
    model_scores = score(spec.task, holdout_target, predicted)
    baseline_scores = score(spec.task, holdout_target, baseline.predict(holdout_features))
    primary = spec.primary_metric
    metrics = Metrics(
        task=spec.task,
        primary=primary,
        higher_is_better=spec.higher_is_better,
        model=model_scores,
        baseline=baseline_scores,
        beats_baseline=is_better(
            model_scores[primary], baseline_scores[primary], higher_is_better=spec.higher_is_better
        ),
        holdout_rows=len(holdout),
        outside_target_range=outside,
    )
    estimator = model.named_steps["estimator"]
    registry = Registry(settings.models_dir)
    metadata = registry.register(
        model,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        contract_fingerprint=contract.fingerprint(),
        libraries=library_versions(),
        python=platform.python_version(),
        metrics=metrics,
        data=DataRecord(path=str(settings.data), sha256=sha256_of(settings.data), rows=len(frame)),
        params={**spec.defaults, **params.values},
        estimator=type(estimator).__name__,
        git_commit=git_commit(),
        template_version=template_version(),
        tuning=params.tuning,
        files={PROFILE_FILE: build_profile(features, contract).to_json()},
    )
    promoted = promote and metadata.beats_baseline
    if promoted:
        registry.promote(metadata.version)
    return metadata, promoted


def git_commit(root: Path = Path()) -> str | None:
    """The commit the code was trained from, marked ``-dirty`` with uncommitted changes."""
    try:
        commit = _git(root, "rev-parse", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout, or git is missing: nothing to record
    return commit + ("-dirty" if dirty else "")


def template_version(answers: Path = Path(".copier-answers.yml")) -> str | None:
    """The proto-to-mvp version this project was generated or last updated from."""
    try:
        found = re.search(r"^_commit:\s*(\S+)", answers.read_text(encoding="utf-8"), re.MULTILINE)
    except OSError:
        return None
    return found.group(1) if found else None


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    return result.stdout.strip()
