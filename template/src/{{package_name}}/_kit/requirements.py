"""What the kit needs installed. ``pyproject.toml`` is yours, so ``copier update`` never edits
its dependencies: when a release of the kit needs a new or newer library, the kit's tests fail
naming the ``uv add`` command that brings it (and the CHANGELOG says so too).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from packaging.requirements import Requirement

REQUIREMENTS = (
    "fastapi>=0.115,<1",
    "great-expectations>=1.3,<2",
    "httpx>=0.27,<1",
    "matplotlib>=3.10,<4",
    "mlflow-skinny>=3.17,<4",
    "numpy>=1.26,<3",
    "optuna>=4,<5",
    "pandas>=2.2,<4",
    "pyarrow>=17,<27",
    "pydantic>=2.7,<3",
    "pydantic-settings>=2.6,<3",
    "scikit-learn>=1.5,<2",
    "uvicorn[standard]>=0.30,<1",
    "tomli>=2,<3; python_version < '3.11'",
)


def unmet(requirements: tuple[str, ...] = REQUIREMENTS) -> list[str]:
    """One line per requirement that is missing or out of range, with the command that fixes it."""
    problems = []
    for line in requirements:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            installed = None
        if installed is None or not requirement.specifier.contains(installed, prereleases=True):
            found = f"{installed} is installed" if installed else "it is not installed"
            problems.append(f"the kit needs {line} but {found}: run uv add '{line}'")
    return problems
