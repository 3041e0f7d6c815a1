"""The interface to your modules (user.py): what the kit reads from them, and how it says no."""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression, Ridge

from .. import user
from ..cli import EXIT_USAGE, main
from ..contract import Contract, parse_contract
from ..errors import ProjectError
from ..evaluate import split_features_target
from ..identity import PACKAGE
from ..settings import ENV_PREFIX
from ..tasks import CLASSIFICATION, METRICS, REGRESSION, TASKS
from ..user import InterfaceError, build_baseline, build_model, model_spec

PROJECT_ROOT = Path(__file__).resolve().parents[4]


def _yours(name: str) -> ModuleType:
    """Your module ``name`` (features, model, baseline)."""
    return import_module(f"{PACKAGE}.{name}")


def _contract(task: str) -> Contract:
    """Two features and a target of the task's kind."""
    target = {"type": "category", "allowed": ["no", "yes"]} if task == CLASSIFICATION else {}
    return parse_contract(
        {
            "columns": {
                "x": {"type": "float"},
                "kind": {"type": "category", "allowed": ["a", "b"]},
                "y": {"type": "float", "role": "target", **target},
            }
        }
    )


@pytest.fixture
def two_task_model(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Your model.py answering for both tasks as the seed does, whatever yours says.

    Your features pass the columns through, so any contract will do.
    """
    monkeypatch.setattr(_yours("features"), "build_features", lambda contract: "passthrough")
    model = _yours("model")
    defaults = {CLASSIFICATION: {"C": 1.0}, REGRESSION: {"alpha": 1.0}}

    def search_space(trial: Any, task: str) -> dict[str, Any]:
        name = next(iter(defaults[task]))
        return {name: trial.suggest_float(name, 1e-3, 1e2, log=True)}

    def build_estimator(task: str, params: dict[str, Any]) -> BaseEstimator:
        return LogisticRegression(**params) if task == CLASSIFICATION else Ridge(**params)

    metrics = {CLASSIFICATION: "f1_macro", REGRESSION: "mae"}
    monkeypatch.setattr(model, "PRIMARY_METRIC", metrics, raising=False)
    monkeypatch.setattr(model, "default_params", lambda task: dict(defaults[task]), raising=False)
    monkeypatch.setattr(model, "search_space", search_space, raising=False)
    monkeypatch.setattr(model, "build_estimator", build_estimator, raising=False)
    return model


def _trial() -> optuna.Trial:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()


def test_build_model_is_your_features_then_your_estimator(
    sample_rows: pd.DataFrame, contract: Contract
) -> None:
    defaults = model_spec(contract).defaults
    pipeline = build_model(contract)
    assert [name for name, _ in pipeline.steps] == ["features", "estimator"]
    features = _yours("features").build_features(contract)
    assert type(pipeline.named_steps["features"]) is type(features)
    expected = _yours("model").build_estimator(contract.task, defaults)
    estimator = pipeline.named_steps["estimator"]
    assert type(estimator) is type(expected)
    assert {name: estimator.get_params()[name] for name in defaults} == defaults

    rows, target = split_features_target(sample_rows, contract)
    predicted = pipeline.fit(rows, target).predict(rows.head(20))
    assert len(predicted) == 20
    if contract.task == CLASSIFICATION:  # labels as text; a boolean target's are False, True
        assert {str(label) for label in predicted} <= set(
            contract.target.allowed or ("False", "True")
        )
    else:
        assert np.isfinite(predicted.astype(float)).all()


def test_params_override_the_defaults_and_keep_the_rest(contract: Contract) -> None:
    defaults = model_spec(contract).defaults
    name = next(iter(defaults))
    params = build_model(contract, {name: 0.5}).named_steps["estimator"].get_params()
    assert params[name] == 0.5
    assert {other: params[other] for other in defaults if other != name} == {
        other: value for other, value in defaults.items() if other != name
    }


def test_your_search_space_draws_parameters_with_defaults(contract: Contract) -> None:
    spec = model_spec(contract)
    params = spec.search_space(_trial())
    assert params, "model.py's search_space gives tune something to search"
    assert set(params) <= set(spec.defaults)
    build_model(contract, params)  # every value drawn is one the estimator takes


def test_your_model_spec_names_a_metric_of_the_projects_task(contract: Contract) -> None:
    spec = model_spec(contract)
    assert spec.task == contract.task
    assert spec.primary_metric == _yours("model").PRIMARY_METRIC[contract.task]
    assert spec.higher_is_better is METRICS[contract.task][spec.primary_metric]


@pytest.mark.parametrize("task", TASKS)
def test_model_spec_reads_model_py_for_the_contracts_task(
    two_task_model: ModuleType, task: str
) -> None:
    spec = model_spec(_contract(task))
    assert (spec.task, spec.primary_metric) == (task, two_task_model.PRIMARY_METRIC[task])
    assert spec.higher_is_better is (task == CLASSIFICATION), "f1_macro up, mae down"
    assert spec.defaults == two_task_model.default_params(task)
    params = spec.search_space(_trial())
    assert set(params) == set(spec.defaults)
    estimator = build_model(_contract(task), params).named_steps["estimator"]
    assert type(estimator) is (LogisticRegression if task == CLASSIFICATION else Ridge)


@pytest.mark.parametrize(
    "metrics",
    [
        {CLASSIFICATION: "mae", REGRESSION: "accuracy"},  # the other task's metrics
        {CLASSIFICATION: "auc", REGRESSION: "mape"},  # not reported by evaluate.score
        {},  # no entry for the task
        "balanced_accuracy",  # not one per task
    ],
)
@pytest.mark.parametrize("task", TASKS)
def test_a_primary_metric_the_task_does_not_report_is_refused(
    two_task_model: ModuleType, monkeypatch: pytest.MonkeyPatch, task: str, metrics: object
) -> None:
    monkeypatch.setattr(two_task_model, "PRIMARY_METRIC", metrics)
    with pytest.raises(InterfaceError) as refused:
        model_spec(_contract(task))
    message = str(refused.value)
    assert message == (
        f"src/{PACKAGE}/model.py: PRIMARY_METRIC[{task!r}] must be one of "
        + ", ".join(METRICS[task])
    )


def test_a_search_space_parameter_without_a_default_is_refused(
    two_task_model: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        two_task_model, "search_space", lambda trial, task: {"C": 1.0, "l1_ratio": 0.5}
    )
    spec = model_spec(_contract(CLASSIFICATION))
    with pytest.raises(InterfaceError, match=r"search_space draws \['l1_ratio'\], which"):
        spec.search_space(_trial())


@pytest.mark.parametrize(
    ("module", "name", "call"),
    [
        ("model", "PRIMARY_METRIC", model_spec),
        ("model", "default_params", model_spec),
        ("model", "build_estimator", build_model),
        ("features", "build_features", build_model),
        ("baseline", "build_baseline", build_baseline),
    ],
)
def test_a_missing_name_is_a_one_line_error_naming_the_file(
    monkeypatch: pytest.MonkeyPatch, contract: Contract, module: str, name: str, call: Any
) -> None:
    monkeypatch.delattr(_yours(module), name, raising=False)
    with pytest.raises(InterfaceError) as refused:
        call(contract)
    assert str(refused.value) == f"src/{PACKAGE}/{module}.py must define {name}"
    assert isinstance(refused.value, ProjectError), "the CLI reports it without a traceback"


@pytest.mark.parametrize(
    ("module", "call"), [("features", build_model), ("baseline", build_baseline)]
)
def test_a_missing_module_is_a_one_line_error_naming_the_file(
    monkeypatch: pytest.MonkeyPatch, contract: Contract, module: str, call: Any
) -> None:
    monkeypatch.setitem(sys.modules, f"{PACKAGE}.{module}", None)  # as if the file were deleted
    with pytest.raises(InterfaceError, match=rf"^src/{PACKAGE}/{module}\.py is missing") as refused:
        call(contract)
    assert "\n" not in str(refused.value)


def test_your_module_importing_something_missing_keeps_the_real_error(
    monkeypatch: pytest.MonkeyPatch, contract: Contract
) -> None:
    def import_module(name: str) -> ModuleType:
        raise ModuleNotFoundError("No module named 'xgboost'", name="xgboost")

    monkeypatch.setattr(user, "import_module", import_module)
    with pytest.raises(ModuleNotFoundError, match="xgboost"):
        build_model(contract)


def test_your_baseline_gets_the_contract_and_its_task(
    monkeypatch: pytest.MonkeyPatch, contract: Contract
) -> None:
    calls = []
    sentinel = object()

    def build(given: Contract, task: str) -> object:
        calls.append((given, task))
        return sentinel

    monkeypatch.setattr(_yours("baseline"), "build_baseline", build)
    assert build_baseline(contract) is sentinel
    assert calls == [(contract, contract.task)]


def test_the_command_line_reports_an_interface_error_in_one_line(
    monkeypatch: pytest.MonkeyPatch, data_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.setenv(
        f"{ENV_PREFIX}DATA", str(data_path)
    )  # valid rows: the error is the interface
    monkeypatch.delattr(_yours("baseline"), "build_baseline")
    assert main(["baseline"]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        f"error: src/{PACKAGE}/baseline.py must define build_baseline\n"
    )
