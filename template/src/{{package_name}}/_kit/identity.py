"""Who this project is: its package, distribution and title, read at run time (no templating)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path

PACKAGE = __package__.rpartition(".")[0]
ANSWERS = Path(".copier-answers.yml")


@cache
def distribution() -> str:
    """The distribution (and command) name, for example ``my-ml-project``."""
    names = packages_distributions().get(PACKAGE, [])
    return names[0] if names else PACKAGE.replace("_", "-")


def distribution_version() -> str:
    try:
        return version(distribution())
    except PackageNotFoundError:
        return "0+unknown"


def answer(key: str, answers: Path = ANSWERS) -> str | None:
    """One answer from the Copier answers file (YAML), if the file and the answer are there."""
    import yaml  # PyYAML, through uvicorn[standard]: only the gate and the model card need it

    try:
        found = yaml.safe_load(answers.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    value = found.get(key) if isinstance(found, dict) else None
    return None if value is None else str(value)


def project_title() -> str:
    """The project's name as its people call it (the ``project_name`` answer), else the slug."""
    return answer("project_name") or distribution()
