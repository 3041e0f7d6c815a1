"""The optional Spark engine: validate, score and profile data beyond one machine.

The same contract and the same registered model as the pandas path, run on Spark
(``--engine spark``). Only those commands import this package; its modules import Spark, which
comes with the ``spark`` extra (``uv sync --extra spark``). ``docs/spark.md`` says when to
switch and what a cluster needs.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from packaging.requirements import Requirement

from .session import EXTRA, SparkError, spark_session

# The spark extra of the seeded pyproject.toml, which the template's tests hold it to.
REQUIREMENTS = ("great-expectations[spark]>=1.3,<2", "pyspark[connect]>=4.0,<4.2")
_PUBLIC = {
    "validate_path": ".validation",
    "predict_path": ".batch",
    "profile_path": ".profile",
}
__all__ = ["SparkError", "predict_path", "profile_path", "spark_session", "validate_path"]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    problems = unmet()
    if problems:
        raise SparkError(f"{'; '.join(problems)}: run {EXTRA} (docs/spark.md)")
    return getattr(import_module(_PUBLIC[name], __name__), name)


def unmet() -> list[str]:
    """One line per library of the spark extra that is missing or out of range."""
    problems = []
    for line in REQUIREMENTS:
        requirement = Requirement(line)
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            problems.append(f"the Spark engine needs {requirement.name}, which is not installed")
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            problems.append(f"the Spark engine needs {line}, not {installed}")
    return problems
