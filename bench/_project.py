"""Shared by benchmarks: a generated project, rendered and synced once in a temporary folder."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers import clean_env, render, snapshot_template


def synced_project(**answers: str) -> Path:
    """Render the working tree's template and `uv sync --compile-bytecode` it."""
    work = Path(tempfile.mkdtemp(prefix="bench-project-"))
    project = render(snapshot_template(work / "template"), work / "project", **answers)
    subprocess.run(
        ["uv", "sync", "--quiet", "--compile-bytecode"],
        cwd=project,
        env=clean_env(),
        check=True,
    )
    return project


def run_in(project: Path, script: Path, *args: str) -> str:
    """Run a worker script with the project's own Python; return its stdout."""
    python = project / ".venv/bin/python"
    result = subprocess.run(
        [str(python), str(script), *args],
        cwd=project,
        env=clean_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout
