"""The one interface between the kit and your code: what the kit reads from your modules.

    contract.toml   the data contract: columns, types, rules, the target (and so the task)
    features.py     build_features(contract) -> a scikit-learn transformer of feature columns
    model.py        PRIMARY_METRIC: {task: metric}; default_params(task) -> dict;
                    search_space(trial, task) -> dict; build_estimator(task, params) -> estimator
    baseline.py     build_baseline(contract, task) -> an estimator the model must beat
    commands.py     register(commands): your own subcommands (optional)

``task`` is "classification" or "regression", decided by the contract's target column. Every
name here is checked when first used, and a missing one is a one-line error naming the file.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .contract import Contract
from .errors import ProjectError
from .tasks import METRICS

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

PACKAGE = __package__.rpartition(".")[0]


class InterfaceError(ProjectError):
    """Your code does not provide what the kit needs; the message names the file and name."""


def _module(name: str) -> ModuleType:
    try:
        return import_module(f"{PACKAGE}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{PACKAGE}.{name}":
            raise  # your module imports something missing: keep the real error
        raise InterfaceError(f"src/{PACKAGE}/{name}.py is missing; see {__name__}") from exc


def _attribute(module: str, name: str) -> Any:
    try:
        return getattr(_module(module), name)
    except AttributeError:
        raise InterfaceError(f"src/{PACKAGE}/{module}.py must define {name}") from None


@dataclass(frozen=True)
class ModelSpec:
    """What ``model.py`` says for one task."""

    task: str
    primary_metric: str
    higher_is_better: bool
    defaults: dict[str, Any]

    def search_space(self, trial: Any) -> dict[str, Any]:
        """One trial's parameters; each must have a default (params.json takes no others)."""
        params = dict(_attribute("model", "search_space")(trial, self.task))
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise InterfaceError(
                f"src/{PACKAGE}/model.py: search_space draws {unknown}, which "
                f"default_params({self.task!r}) lacks; give each a default"
            )
        return params


def model_spec(contract: Contract) -> ModelSpec:
    task = contract.task
    metrics = _attribute("model", "PRIMARY_METRIC")
    metric = metrics.get(task) if isinstance(metrics, Mapping) else None
    if not isinstance(metric, str) or metric not in METRICS[task]:
        allowed = ", ".join(METRICS[task])
        raise InterfaceError(
            f"src/{PACKAGE}/model.py: PRIMARY_METRIC[{task!r}] must be one of {allowed}"
        )
    defaults = dict(_attribute("model", "default_params")(task))
    return ModelSpec(task, metric, METRICS[task][metric], defaults)


def build_model(contract: Contract, params: dict[str, Any] | None = None) -> Pipeline:
    """An unfitted pipeline: your features, then your estimator with ``params`` over defaults."""
    chosen = {**model_spec(contract).defaults, **(params or {})}
    features = _attribute("features", "build_features")(contract)
    estimator = _attribute("model", "build_estimator")(contract.task, chosen)
    from sklearn.pipeline import Pipeline  # here, so the command line starts without sklearn

    return Pipeline([("features", features), ("estimator", estimator)])


def build_baseline(contract: Contract) -> Any:
    return _attribute("baseline", "build_baseline")(contract, contract.task)


def register_commands(commands: argparse._SubParsersAction) -> None:
    """Your subcommands from ``commands.py``, when it exists."""
    try:
        module = _module("commands")
    except InterfaceError:
        return
    register = getattr(module, "register", None)
    if register is None:
        return
    kit = dict(commands.choices)
    clash = f"src/{PACKAGE}/commands.py adds a command the kit already has"
    try:
        register(commands)
    except argparse.ArgumentError as exc:  # Python 3.11+ refuses a name twice
        raise InterfaceError(f"{clash} ({exc.message}): pick another name") from None
    replaced = [name for name, parser in kit.items() if commands.choices[name] is not parser]
    if replaced:  # Python 3.10 replaces the kit's command without a word
        raise InterfaceError(f"{clash} ({', '.join(replaced)}): pick another name")
