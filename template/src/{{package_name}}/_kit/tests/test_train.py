from __future__ import annotations

import subprocess
from pathlib import Path

import optuna
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from .. import train as train_module
from ..contract import Contract
from ..evaluate import holdout_split, is_better
from ..params import Params, save_params
from ..profile import load_profile
from ..records import Tuning
from ..registry import Registry
from ..settings import Settings
from ..train import git_commit, template_version, train
from ..user import build_baseline, build_model, model_spec
from ..validation import InvalidDataError
from .conftest import invalid_value
from .reference import reference_model


@pytest.fixture
def reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """train fits the kit's reference pipeline, which beats the baseline on the sample rows."""
    monkeypatch.setattr(
        train_module, "build_model", lambda contract, params=None: reference_model(contract)
    )


def _split(frame: pd.DataFrame, contract: Contract, settings: Settings) -> tuple[pd.DataFrame, ...]:
    return holdout_split(frame, contract, test_size=settings.test_size, seed=settings.seed)


def test_training_registers_your_model_with_its_holdout_metrics(
    settings: Settings, contract: Contract, sample_rows: pd.DataFrame
) -> None:
    metadata, current = train(settings, contract)
    registry = Registry(settings.models_dir)
    assert registry.versions() == [metadata.version] == ["v1"]
    assert current is metadata.beats_baseline, "current exactly when it beats the baseline"
    assert registry.current() == ("v1" if current else None)
    metrics = metadata.metrics
    spec = model_spec(contract)
    assert (metrics.task, metrics.primary) == (contract.task, spec.primary_metric)
    assert metrics.higher_is_better is spec.higher_is_better
    assert metrics.beats_baseline is is_better(
        metrics.model_score, metrics.baseline_score, higher_is_better=spec.higher_is_better
    )
    assert metrics.holdout_rows == len(_split(sample_rows, contract, settings)[1])
    assert set(metrics.model) == set(metrics.baseline)
    assert metrics.model_score == metrics.model[spec.primary_metric]
    assert metadata.contract_fingerprint == contract.fingerprint()
    assert metadata.data.rows == len(sample_rows)
    assert len(metadata.data.sha256) == 64
    assert {"scikit-learn", "numpy", "pandas"} <= set(metadata.libraries)
    expected = type(build_model(contract).named_steps["estimator"]).__name__
    assert metadata.estimator == expected, "the estimator model.py builds for the task"


def test_a_model_that_beats_the_baseline_becomes_current(
    settings: Settings, contract: Contract, reference: None
) -> None:
    metadata, current = train(settings, contract)
    assert (metadata.beats_baseline, current) == (True, True)
    assert Registry(settings.models_dir).current() == "v1"


def test_a_model_no_better_than_the_baseline_is_registered_but_not_current(
    settings: Settings, contract: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    def the_baseline(contract: Contract, params: object = None) -> Pipeline:
        return Pipeline([("features", "passthrough"), ("estimator", build_baseline(contract))])

    monkeypatch.setattr(train_module, "build_model", the_baseline)
    metadata, current = train(settings, contract)
    assert (metadata.beats_baseline, current) == (False, False), "a tie is not better"
    registry = Registry(settings.models_dir)
    assert (registry.versions(), registry.current()) == (["v1"], None)


def test_without_promotion_the_current_model_stays(
    settings: Settings, contract: Contract, reference: None
) -> None:
    train(settings, contract)
    metadata, current = train(settings, contract, promote=False)
    assert (metadata.version, current) == ("v2", False)
    assert Registry(settings.models_dir).current() == "v1"


def test_parameters_and_their_tuning_record_come_from_the_params_file(
    settings: Settings, contract: Contract, tuning: Tuning
) -> None:
    spec = model_spec(contract)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1)).ask()
    drawn = spec.search_space(trial)  # values your model takes, as tune would choose them
    save_params(settings.params, Params(drawn, tuning))
    metadata, _ = train(settings, contract)
    assert metadata.params == {**spec.defaults, **drawn}, "tuned values over the defaults"
    assert metadata.tuning == tuning
    registry = Registry(settings.models_dir)
    assert registry.metadata(metadata.version).tuning == tuning
    fitted = registry.load(metadata.version)[0].named_steps["estimator"].get_params()
    assert {name: fitted[name] for name in metadata.params} == metadata.params, "fitted with them"


def test_the_training_rows_profile_is_stored_with_the_model(
    settings: Settings, contract: Contract, sample_rows: pd.DataFrame
) -> None:
    metadata, _ = train(settings, contract)
    assert metadata.tuning is None, "no params.json: default parameters, no search"
    profile = load_profile(Registry(settings.models_dir), metadata.version)
    train_rows, _ = _split(sample_rows, contract, settings)
    assert profile.rows == len(train_rows), "the training split, not the holdout"
    assert [feature.name for feature in profile.features] == contract.feature_names


def test_invalid_training_data_registers_nothing(
    tmp_path: Path, settings: Settings, contract: Contract, sample_rows: pd.DataFrame
) -> None:
    column = contract.features[0]
    broken = sample_rows.astype({column.name: object})
    broken.loc[0, column.name] = invalid_value(column)
    path = tmp_path / "broken.csv"
    broken.to_csv(path, index=False)
    with pytest.raises(InvalidDataError, match=column.name):
        train(settings.model_copy(update={"data": path}), contract)
    assert Registry(settings.models_dir).versions() == []


def test_provenance_from_git_and_the_copier_answers(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None, "outside a git checkout there is nothing to record"
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "a.txt").write_text("a\n", encoding="utf-8")
    subprocess.run(["git", "add", "a.txt"], cwd=tmp_path, check=True)
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", *identity, "commit", "-qm", "a"], cwd=tmp_path, check=True)
    commit = git_commit(tmp_path)
    assert commit is not None
    assert len(commit) == 40
    (tmp_path / "a.txt").write_text("b\n", encoding="utf-8")
    assert git_commit(tmp_path) == commit + "-dirty"

    answers = tmp_path / ".copier-answers.yml"
    assert template_version(answers) is None
    answers.write_text("_commit: v0.1.0\n_src_path: gh:org/proto-to-mvp\n", encoding="utf-8")
    assert template_version(answers) == "v0.1.0"
