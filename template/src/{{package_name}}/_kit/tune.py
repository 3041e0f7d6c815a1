"""Hyperparameter search: Optuna over `model.py`'s `search_space`, timeboxed, seeded, repeatable.

Each trial scores one set of parameters by cross-validation on the training rows: the same
split (settings' seed and holdout size) that ``train`` fits on, so the holdout that judges the
model is never seen here. The first trial scores the defaults, so the result is never worse on
cross-validation than not tuning. The search stops after ``trials`` trials or once ``timeout``
seconds have passed (Optuna checks between trials, so the last one may run past it). With the
same data, seed and trial count it finds the same parameters, unless the timeout stopped it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

import numpy as np
import optuna
import pandas as pd

from .contract import Contract
from .evaluate import cv_folds, holdout_split, score, split_features_target
from .params import Params
from .records import DataRecord, Tuning
from .registry import sha256_of
from .settings import Settings
from .user import ModelSpec, build_model, model_spec
from .validation import load_valid

DEFAULT_TRIALS, DEFAULT_TIMEOUT, FOLDS = 20, 60.0, 5
log = logging.getLogger(__name__)


def tune(
    settings: Settings,
    contract: Contract,
    *,
    trials: int = DEFAULT_TRIALS,
    timeout: float = DEFAULT_TIMEOUT,
) -> Params:
    """The best parameters found, with the record of the search for the model's metadata."""
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
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials, timeout=timeout, callbacks=[_log_trial])
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
        data=DataRecord(path=str(settings.data), sha256=sha256_of(settings.data)),
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
