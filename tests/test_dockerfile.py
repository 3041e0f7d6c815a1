"""The generated Dockerfile: it cannot be built here (no Docker engine), so check what can be."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from helpers import REPO_ROOT, render, run

HADOLINT = Path(sys.executable).with_name("hadolint")


def _copied_sources(dockerfile: str) -> list[str]:
    """Sources of COPY instructions that read the build context (not another stage)."""
    sources = []
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            sources += line.split()[1:-1]
    return sources


def _allowed(dockerignore: str, path: str) -> bool:
    """Whether the allow-list .dockerignore (`*`, then `!entry` lines) lets ``path`` in."""
    entries = [line[1:].rstrip("/") for line in dockerignore.splitlines() if line.startswith("!")]
    return any(path == entry or path.startswith(entry + "/") for entry in entries)


@pytest.mark.parametrize("python_version", ["3.10", "3.11", "3.12", "3.13"])
def test_dockerfile_passes_hadolint(
    template_src: Path, tmp_path: Path, python_version: str
) -> None:
    project = render(template_src, tmp_path / "p", python_version=python_version)
    result = run([str(HADOLINT), "--no-color", "Dockerfile"], project, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.count(f"FROM python:{python_version}-slim") == 2


@pytest.mark.slow
def test_image_gets_what_it_needs_and_nothing_else(project: Path) -> None:
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    dockerignore = (project / ".dockerignore").read_text(encoding="utf-8")
    sources = _copied_sources(dockerfile)
    assert sources, "the Dockerfile copies nothing from the build context"
    for source in sources:
        assert (project / source.rstrip("/")).exists(), f"COPY {source}: missing after uv sync"
        assert _allowed(dockerignore, source.rstrip("/")), (
            f"COPY {source}: .dockerignore keeps it out"
        )
    for kept_out in (
        "scratch/explore_example.ipynb",
        "data/example/deliveries.csv",
        "models/v1",
        ".env",
        ".venv/bin/python",
        "tests/conftest.py",
    ):
        assert not _allowed(dockerignore, kept_out), f"{kept_out} would reach the image"

    scripts = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    command = re.search(r'^CMD \["([^"]+)", "serve"', dockerfile, flags=re.MULTILINE)
    assert command, "the image should start the serve command"
    assert command.group(1) in scripts["scripts"]
    assert re.search(r"^USER \d+$", dockerfile, flags=re.MULTILINE), (
        "run as a numeric non-root user"
    )


def test_dockerfile_pins_the_uv_the_template_is_tested_with() -> None:
    dockerfile = (REPO_ROOT / "template/Dockerfile.jinja").read_text(encoding="utf-8")
    ci = (REPO_ROOT / ".ci/run").read_text(encoding="utf-8")
    pinned = re.search(r"ghcr\.io/astral-sh/uv:(\S+) ", dockerfile)
    assert pinned, "the Dockerfile copies uv from an image with a pinned version"
    assert f'uv=={pinned.group(1)}"' in ci
