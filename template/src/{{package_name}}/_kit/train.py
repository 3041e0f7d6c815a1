"""Training: raw data to a registered model, and the evidence that it beats the baseline.

load and validate (the contract) -> split -> fit the baseline and the model (with the
parameters ``tune`` chose) -> score both on the holdout -> register the model with its metadata,
the profile of its training rows and its holdout record -> make it current if it beats the
baseline. Given a tracker (the command line's), each step is logged to an MLflow run too
(``tracking.py``), whose id the metadata records.
"""

from __future__ import annotations

import contextlib
import json
import logging
import platform
import re
import subprocess
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from .contract import CONTRACT_PATH, Contract, load_contract
from .errors import ProjectError
from .evaluate import holdout_split, is_better, score, split_features_target
from .holdout import HOLDOUT_FILE, holdout_record
from .params import load_params
from .predictor import clip_to_target, outside_target
from .profile import PROFILE_FILE, build_profile
from .records import DataRecord, Metadata, Metrics, TrackedRun
from .registry import (
    METADATA_FILE,
    MODEL_FILE,
    SIGNATURE_FILE,
    Registry,
    library_versions,
    sha256_of,
)
from .settings import Settings
from .tasks import REGRESSION
from .tracking import Tracker
from .user import build_baseline, build_model, model_spec
from .validation import load_valid

log = logging.getLogger(__name__)


def train(
    settings: Settings, contract: Contract, *, promote: bool = True, tracker: Tracker | None = None
) -> tuple[Metadata, bool]:
    """Train, evaluate and register one model; return its metadata and whether it is current.

    With a tracker, the training is an MLflow run, logged once the model is registered, so a
    failing store never costs the model.
    """
    if tracker is None:
        return _train(settings, contract, promote, None)
    with tracker.run("train", kind="training") as run:
        metadata, promoted = _train(settings, contract, promote, tracker.record(run))
        _log_training(tracker, run, Registry(settings.models_dir), metadata, contract)
        return metadata, promoted


def _train(
    settings: Settings, contract: Contract, promote: bool, tracked: TrackedRun | None
) -> tuple[Metadata, bool]:
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
        estimator=type(model.named_steps["estimator"]).__name__,
        git_commit=git_commit(),
        template_version=template_version(),
        tuning=params.tuning,
        mlflow=tracked,
        files={
            PROFILE_FILE: build_profile(features, contract).to_json(),
            HOLDOUT_FILE: holdout_record(
                spec.task, model, holdout_features, holdout_target, predicted
            ).model_dump_json(indent=1),
        },
    )
    promoted = promote and metadata.beats_baseline
    if promoted:
        registry.promote(metadata.version)
    return metadata, promoted


def _log_training(
    tracker: Tracker, run: str | None, registry: Registry, metadata: Metadata, contract: Contract
) -> None:
    """The run: parameters, the model's and the baseline's holdout metrics, the contract, the
    training profile and the registered model's files."""
    metrics = metadata.metrics
    scores = {
        **metrics.model,
        **{f"baseline_{name}": value for name, value in metrics.baseline.items()},
        "beats_baseline": float(metrics.beats_baseline),
        "holdout_rows": float(metrics.holdout_rows),
    }
    if metrics.outside_target_range is not None:
        scores["outside_target_range"] = float(metrics.outside_target_range)
    tags = {
        "contract_fingerprint": metadata.contract_fingerprint,
        "data_sha256": metadata.data.sha256,
        "data_path": metadata.data.path,
        "estimator": metadata.estimator,
        "primary_metric": metrics.primary,
        "registry_version": metadata.version,
        "current": registry.current() == metadata.version,
    }
    if metadata.tuning is not None and metadata.tuning.mlflow_run_id is not None:
        tags["tuning_run_id"] = metadata.tuning.mlflow_run_id
    params = {**metadata.params, "data_rows": metadata.data.rows}
    tracker.log(run, params=params, metrics=scores, tags=tags)
    saved = None
    with contextlib.suppress(ProjectError):
        saved = load_contract()
    if saved is not None and saved.fingerprint() == contract.fingerprint():
        tracker.text(run, CONTRACT_PATH.read_text(encoding="utf-8"), "contract.toml")
    else:  # a contract from elsewhere: its rules as trained with
        tracker.text(run, json.dumps(asdict(contract), indent=2, default=str), "contract.json")
    files = [PROFILE_FILE, HOLDOUT_FILE, MODEL_FILE, SIGNATURE_FILE, METADATA_FILE]
    paths = [registry.path(metadata.version, name) for name in files]
    tracker.files(run, [path for path in paths if path.is_file()], "model")


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
