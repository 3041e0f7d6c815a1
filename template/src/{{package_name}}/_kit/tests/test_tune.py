from __future__ import annotations

import optuna
import pandas as pd
import pytest

from .. import tune as tune_module
from ..contract import Contract
from ..data import load_table
from ..evaluate import holdout_split
from ..registry import sha256_of
from ..settings import Settings
from ..tune import tune
from ..user import model_spec

pytestmark = pytest.mark.slow  # searches


def _searched(contract: Contract) -> set[str]:
    """The names model.py's search_space draws (each has a default)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
    return set(model_spec(contract).search_space(trial))


def test_the_same_seed_finds_the_same_parameters(settings: Settings, contract: Contract) -> None:
    spec = model_spec(contract)
    first, second = (tune(settings, contract, trials=3) for _ in range(2))
    assert first.values == second.values
    assert set(first.values) == _searched(contract) <= set(spec.defaults)
    record = first.tuning
    assert record is not None
    assert second.tuning is not None
    assert record.best_score == second.tuning.best_score
    assert (record.trials, record.stopped_by, record.seed) == (3, "trials", 42)
    assert record.sampler == "TPESampler"
    assert record.metric == spec.primary_metric
    assert (record.data.sha256, record.data.rows) == (sha256_of(settings.data), None)
    assert set(record.search_space) == _searched(contract)
    # The first trial scores the defaults: the search never ends worse than not tuning.
    gain = record.best_score - record.default_score
    assert gain >= 0 if spec.higher_is_better else gain <= 0


def test_the_timeout_ends_the_search(settings: Settings, contract: Contract) -> None:
    record = tune(settings, contract, trials=100_000, timeout=0.5).tuning
    assert record is not None
    assert record.stopped_by == "timeout"
    assert 1 <= record.trials < 100_000
    assert record.elapsed_s < 0.5 + 2.0, "only the trial under way may run past the timeout"


def test_the_search_never_sees_the_holdout(
    settings: Settings, contract: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[pd.Index] = []
    real_folds = tune_module.cv_folds

    def spy(task: str, features: pd.DataFrame, target: pd.Series, **options: int) -> list:
        assert task == contract.task
        seen.append(features.index)
        return real_folds(task, features, target, **options)

    monkeypatch.setattr(tune_module, "cv_folds", spy)
    tune(settings, contract, trials=1)
    frame = load_table(settings.data, contract)
    _, holdout = holdout_split(frame, contract, test_size=settings.test_size, seed=settings.seed)
    assert len(seen[0]) == len(frame) - len(holdout)
    assert not set(seen[0]) & set(holdout.index)
