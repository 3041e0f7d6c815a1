"""The project the gate inspects: its settings (``config.toml``) and the files git would commit."""

from __future__ import annotations

import json
import subprocess
import sys
{%- if python_version != '3.10' %}
import tomllib
{%- endif %}
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any
{%- if python_version == '3.10' %}

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib
{%- endif %}

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("prototype", "mvp")
PATH_KEYS = (
    "tests",
    "unit_tests",
    "integration_tests",
    "scratch",
    "coverage_data",
    "acceptance",
    "checklist",
    "docs",
)


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


@dataclass(frozen=True)
class Config:
    phase: str
    package: str
    paths: dict[str, str]

    @property
    def src(self) -> str:
        return f"src/{self.package}"


def load_config(path: Path) -> Config:
    """Read ``config.toml``; GateError naming the setting that is wrong."""
    raw = load_toml(path)
    phase, package, paths = raw.get("phase"), raw.get("package"), raw.get("paths", {})
    if phase not in PHASES:
        raise GateError(f"{path.name}: phase must be one of {', '.join(PHASES)}, not {phase!r}")
    if not isinstance(package, str) or not package.isidentifier():
        raise GateError(f"{path.name}: package must be the import name, not {package!r}")
    missing = [key for key in PATH_KEYS if not isinstance(paths.get(key), str)]
    if missing:
        raise GateError(f"{path.name}: [paths] needs {', '.join(missing)}")
    return Config(phase=phase, package=package, paths=paths)


class Project:
    """A project root and its gate settings. File names are POSIX paths relative to the root."""

    def __init__(self, root: Path = ROOT) -> None:
        self.root = root
        self.config = load_config(root / "gate" / "config.toml")
        self._answers: dict[tuple[str, ...], subprocess.CompletedProcess[str]] = {}

    def path(self, key: str) -> str:
        return self.config.paths[key]

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

    def run_package(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the project's own command line (``python -m <package> ...``) from the root.

        Each command runs once per gate run: checks that need the same answer share it.
        """
        if args not in self._answers:
            self._answers[args] = subprocess.run(
                [sys.executable, "-m", self.config.package, *args],
                cwd=self.root,
                capture_output=True,
                text=True,
                check=False,
            )
        return self._answers[args]

    def package_json(self, *args: str) -> Any:
        """The JSON a project command prints; GateError with its error when it prints none."""
        result = self.run_package(*args)
        try:
            return json.loads(result.stdout)
        except json.JSONDecodeError:
            lines = result.stderr.strip().splitlines() or [f"exit code {result.returncode}"]
            raise GateError(f"{args[0]} could not run: {lines[-1]}") from None

    def read(self, name: str) -> str:
        try:
            return (self.root / name).read_text(encoding="utf-8")
        except OSError as exc:
            raise GateError(f"{name}: cannot read: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise GateError(f"{name}: not UTF-8 text: {exc}") from exc
