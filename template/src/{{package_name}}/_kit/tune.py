"""Hyperparameter search: Optuna over `model.py`'s `search_space`, timeboxed, seeded, repeatable.

Each trial scores one set of parameters by cross-validation on the training rows: the same
split (settings' seed and holdout size) that ``train`` fits on, so the holdout that judges the
model is never seen here. The first trial scores the defaults, so the result is never worse on
cross-validation than not tuning. The search stops after ``trials`` trials or once ``timeout``
seconds have passed (Optuna checks between trials, so the last one may run past it). With the
same data, seed and trial count it finds the same parameters, unless the timeout stopped it.

Given a tracker (the command line's), the search is one MLflow run and each trial a child run
of it (``tracking.py``), all tagged with the fingerprints of the data and the contract.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import optuna
import pandas as pd

from .contract import Contract
from .evaluate import cv_folds, holdout_split, score, split_features_target
from .params import Params, params_json
from .records import DataRecord, Tuning
from .registry import sha256_of
from .settings import Settings
from .tracking import Tracker
from .user import ModelSpec, build_model, model_spec
from .validation import load_valid

DEFAULT_TRIALS, DEFAULT_TIMEOUT, FOLDS = 20, 60.0, 5
SEARCH_PARAMS = ("sampler", "seed", "max_trials", "timeout_s", "metric", "cv_folds")
log = logging.getLogger(__name__)


def tune(
    settings: Settings,
    contract: Contract,
    *,
    trials: int = DEFAULT_TRIALS,
    timeout: float = DEFAULT_TIMEOUT,
    tracker: Tracker | None = None,
) -> Params:
    """The best parameters found, with the record of the search for the model's metadata.

    With a tracker, the search and its trials are logged to MLflow; a failing store never
    stops the search.
    """
    data = DataRecord(path=str(settings.data), sha256=sha256_of(settings.data))
    if tracker is None:
        return _search(settings, contract, (trials, timeout), data, None)
    tags = {"contract_fingerprint": contract.fingerprint(), "data_sha256": data.sha256}
    with tracker.run("tune", kind="search", **tags) as run:
        metric = model_spec(contract).primary_metric
        on_trial = None if run is None else _trial_runs(tracker, run, tags, metric)
        params = _search(settings, contract, (trials, timeout), data, on_trial)
        if run is None or params.tuning is None:
            return params
        record = params.tuning.model_copy(update={"mlflow_run_id": run})
        tracker.log(
            run,
            params={
                **params.values,
                **{f"search.{key}": getattr(record, key) for key in SEARCH_PARAMS},
            },
            metrics={
                f"cv_{metric}": record.best_score,
                f"default_cv_{metric}": record.default_score,
                "trials": float(record.trials),
                "elapsed_s": record.elapsed_s,
            },
            tags={"stopped_by": record.stopped_by, "data_path": data.path},
        )
        params = Params(params.values, record)
        tracker.text(run, params_json(params), "params.json")
        return params


def _search(
    settings: Settings,
    contract: Contract,
    budget: tuple[int, float],
    data: DataRecord,
    on_trial: Callable[[optuna.Study, optuna.trial.FrozenTrial], None] | None,
) -> Params:
    """The Optuna search: at most ``budget`` trials and seconds; ``on_trial`` after each."""
    trials, timeout = budget
    frame = load_valid(settings.data, contract)
    train_rows, _ = holdout_split(frame, contract, test_size=settings.test_size, seed=settings.seed)
    features, target = split_features_target(train_rows, contract)
    spec = model_spec(contract)
    folds = cv_folds(spec.task, features, target, folds=FOLDS, seed=settings.seed)

    def objective(trial: optuna.Trial) -> float:
        return cross_validate(contract, spec, spec.search_space(trial), (features, target), folds)

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # this module logs each trial instead
    sampler = optuna.samplers.TPESampler(seed=settings.seed)
    study = optuna.create_study(
        direction="maximize" if spec.higher_is_better else "minimize", sampler=sampler
    )
    study.enqueue_trial(spec.defaults, skip_if_exists=True)
    log.info("tuning on %d training rows, %d-fold cross-validation", len(train_rows), FOLDS)
    callbacks = [_log_trial] + ([on_trial] if on_trial else [])
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials, timeout=timeout, callbacks=callbacks)
    elapsed = time.perf_counter() - start
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    record = Tuning(
        date=datetime.now().astimezone().isoformat(timespec="seconds"),
        sampler=type(sampler).__name__,
        seed=settings.seed,
        trials=len(done),
        max_trials=trials,
        timeout_s=timeout,
        elapsed_s=round(elapsed, 2),
        stopped_by="trials" if len(done) >= trials else "timeout",
        metric=spec.primary_metric,
        cv_folds=FOLDS,
        best_score=study.best_value,
        default_score=done[0].value,
        search_space=_space(study.best_trial.distributions),
        data=data,
        optuna=optuna.__version__,
    )
    return Params(study.best_params, record)


def cross_validate(
    contract: Contract,
    spec: ModelSpec,
    params: dict[str, Any],
    rows: tuple[pd.DataFrame, pd.Series],
    folds: list[tuple[np.ndarray, np.ndarray]],
) -> float:
    """The mean primary metric of the model with ``params`` over the folds."""
    features, target = rows
    scores = []
    for fit_rows, score_rows in folds:
        model = build_model(contract, params).fit(features.iloc[fit_rows], target.iloc[fit_rows])
        predicted = model.predict(features.iloc[score_rows])
        scores.append(score(spec.task, target.iloc[score_rows], predicted)[spec.primary_metric])
    return float(np.mean(scores))


def _log_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
    log.debug("trial %d: %.4f with %s", trial.number, trial.value, trial.params)


def _trial_runs(
    tracker: Tracker, parent: str, tags: dict[str, str], metric: str
) -> Callable[[optuna.Study, optuna.trial.FrozenTrial], None]:
    """An Optuna callback that logs each finished trial as a child run of the search's."""

    def log_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        started, ended = trial.datetime_start, trial.datetime_complete
        begin = started.timestamp() if started else None
        end = ended.timestamp() if ended else None
        child = tracker.start(
            f"trial {trial.number}",
            tags={**tags, "kind": "trial", "trial": trial.number},
            parent=parent,
            started=begin,
        )
        scores = {} if trial.value is None else {f"cv_{metric}": trial.value}
        if begin is not None and end is not None:
            scores["duration_s"] = round(end - begin, 3)
        tracker.log(child, params=trial.params, metrics=scores)
        complete = trial.state == optuna.trial.TrialState.COMPLETE
        tracker.end(child, failed=not complete, ended=end)

    return log_trial


def _space(distributions: dict[str, Any]) -> dict[str, str]:
    """The searched ranges and choices, in words."""
    described = {}
    for name, distribution in distributions.items():
        if isinstance(distribution, optuna.distributions.CategoricalDistribution):
            described[name] = "one of " + ", ".join(map(repr, distribution.choices))
        else:
            scale = "log-uniform" if distribution.log else "uniform"
            described[name] = f"{scale} {distribution.low:g} to {distribution.high:g}"
    return described
