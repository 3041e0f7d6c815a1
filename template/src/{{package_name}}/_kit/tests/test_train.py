from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ..contract import Contract
from ..params import Params, save_params
from ..profile import load_profile
from ..records import Tuning
from ..registry import Registry
from ..settings import Settings
from ..tasks import CLASSIFICATION
from ..train import git_commit, template_version, train
from ..user import model_spec
from ..validation import InvalidDataError


def test_training_registers_a_model_that_beats_the_baseline(
    settings: Settings, contract: Contract
) -> None:
    metadata, current = train(settings, contract)
    assert current
    assert Registry(settings.models_dir).current() == metadata.version == "v1"
    metrics = metadata.metrics
    spec = model_spec(contract)
    assert (metrics.task, metrics.primary) == (contract.task, spec.primary_metric)
    assert metrics.higher_is_better is spec.higher_is_better
    assert metrics.beats_baseline is True
    assert metrics.holdout_rows == 200
    assert set(metrics.model) == set(metrics.baseline)
    assert metrics.model_score == metrics.model[spec.primary_metric]
    assert metadata.contract_fingerprint == contract.fingerprint()
    assert metadata.data.rows == 1000
    assert len(metadata.data.sha256) == 64
    assert {"scikit-learn", "numpy", "pandas"} <= set(metadata.libraries)


def test_without_promotion_the_current_model_stays(settings: Settings, contract: Contract) -> None:
    train(settings, contract)
    metadata, current = train(settings, contract, promote=False)
    assert (metadata.version, current) == ("v2", False)
    assert Registry(settings.models_dir).current() == "v1"


def test_parameters_and_their_tuning_record_come_from_the_params_file(
    settings: Settings, contract: Contract, tuning: Tuning
) -> None:
    defaults = model_spec(contract).defaults
    name = next(iter(defaults))
    save_params(settings.params, Params({name: 0.125}, tuning))
    metadata, _ = train(settings, contract)
    assert metadata.params == {**defaults, name: 0.125}, "tuned values over the defaults"
    assert metadata.tuning == tuning
    assert Registry(settings.models_dir).metadata(metadata.version).tuning == tuning
    expected = "LogisticRegression" if contract.task == CLASSIFICATION else "Ridge"
    assert metadata.estimator == expected, "the estimator model.py builds for the task"


def test_the_training_rows_profile_is_stored_with_the_model(
    settings: Settings, contract: Contract
) -> None:
    metadata, _ = train(settings, contract)
    assert metadata.tuning is None, "no params.json: default parameters, no search"
    profile = load_profile(Registry(settings.models_dir), metadata.version)
    assert profile.rows == 800, "the training split, not the holdout"
    assert [feature.name for feature in profile.features] == contract.feature_names


def test_invalid_training_data_registers_nothing(
    tmp_path: Path, settings: Settings, contract: Contract
) -> None:
    broken = tmp_path / "broken.csv"
    lines = settings.data.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[1] = "mars"  # the region of the first row
    broken.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    with pytest.raises(InvalidDataError):
        train(settings.model_copy(update={"data": broken}), contract)
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
