"""The project the gate inspects: the working directory, its phase and the files git would commit.

The phase is the ``phase`` answer in ``.copier-answers.yml`` (change it with ``copier update``);
every other path is fixed by the template's layout.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

from ..identity import ANSWERS, PACKAGE, answer

if TYPE_CHECKING:
    from ..contract import Contract
    from ..settings import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PHASES = ("prototype", "mvp")
# Relative to the project root, as POSIX paths.
SRC = f"src/{PACKAGE}"
KIT = f"{SRC}/_kit"
TESTS = "tests"
UNIT_TESTS = "tests/unit"
INTEGRATION_TESTS = "tests/integration"
SCRATCH = "scratch"
COVERAGE_DATA = ".coverage"
ACCEPTANCE = "ACCEPTANCE.toml"
CHECKLIST = ".github/pull_request_template.md"
DOCS = "docs/mvp-checklist.md"
SET_PHASE = "copier update --data phase=mvp|prototype"

T = TypeVar("T")


class GateError(Exception):
    """The gate cannot run or cannot read a file; the message says which and why."""


def load_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GateError(f"{path.name}: cannot read: {exc.strerror}") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise GateError(f"{path.name}: not valid TOML: {exc}") from exc


def git(root: Path, *args: str) -> str:
    """Output of a git command run in ``root``; GateError when git is missing or fails."""
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        )
    except FileNotFoundError as exc:
        raise GateError("git is not installed; the gate reads the project through git") from exc
    except subprocess.CalledProcessError as exc:
        raise GateError(f"git {args[0]} failed: {exc.stderr.strip()}") from exc
    return result.stdout


def read_phase(root: Path) -> str:
    """The phase answer; GateError saying how to set it when it is missing or unknown."""
    phase = answer("phase", root / ANSWERS)
    if phase is None:
        raise GateError(f"{ANSWERS} records no phase: run `{SET_PHASE}`")
    if phase not in PHASES:
        raise GateError(f"{ANSWERS}: phase {phase!r} is not prototype or mvp: run `{SET_PHASE}`")
    return phase


class Project:
    """The project in the working directory. File names are POSIX paths relative to its root."""

    def __init__(self) -> None:
        self.root = Path.cwd()
        if not (self.root / "pyproject.toml").is_file():
            raise GateError(f"no pyproject.toml in {self.root}: run the gate from the project root")
        self.phase = read_phase(self.root)
        self.package = PACKAGE
        self._shared: dict[str, Any] = {}

    def shared(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per gate run: checks that need the same answer share it."""
        if key not in self._shared:
            self._shared[key] = compute()
        return self._shared[key]

    @cached_property
    def settings(self) -> Settings:
        """The kit's settings, as the project's commands read them (SettingsError if invalid)."""
        from ..settings import Settings

        return Settings.load()

    @cached_property
    def contract(self) -> Contract:
        """The data contract (ContractError if it is malformed)."""
        from ..contract import load_contract

        return load_contract()

    @cached_property
    def files(self) -> frozenset[str]:
        """Tracked files still on disk and untracked ones that are not ignored."""
        output = git(self.root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        names = output.split("\0")
        return frozenset(name for name in names if name and (self.root / name).is_file())

    def files_under(self, folder: str, suffix: str) -> list[str]:
        """Sorted files below ``folder`` (any depth) whose names end with ``suffix``."""
        return sorted(
            name
            for name in self.files
            if name.endswith(suffix) and PurePosixPath(folder) in PurePosixPath(name).parents
        )

    def read(self, name: str) -> str:
        try:
            return (self.root / name).read_text(encoding="utf-8")
        except OSError as exc:
            raise GateError(f"{name}: cannot read: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise GateError(f"{name}: not UTF-8 text: {exc}") from exc
