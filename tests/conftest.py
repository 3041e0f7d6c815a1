"""Fixtures: one snapshot of the template per session, and synced generated projects."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ci_tests, git_commit_all, render, run, snapshot_template

# The projects the slow layer drives for real (the render matrix covers every answer statically).
PROJECT_VARIANTS: dict[str, dict[str, str]] = {
    "default": {},
    "regression": {"problem_type": "regression", "license": "Apache-2.0"},
}


# Tests that share an expensive fixture run on one pytest-xdist worker (`--dist loadgroup` in
# pyproject.toml), so that each worker builds only the fixtures its tests need, once.
SHARED_FIXTURES = (
    "next_release",
    "migrated",
    "from_last_release",
    "spark_project",
    "rendered",
    "default_project",
    "phases",
)
DEFAULT_PROJECT_FIXTURES = {"projects", "scratch_project", "gate_project", "venv"}


# The longest work (tests, or groups of tests sharing a fixture) by `.ci/run --durations`: it
# starts first, so that no worker is left with a long test at the end while the others idle.
LONGEST_FIRST = (
    "test_quickstart_commands_work_as_written",
    "project-default",
    "project-regression",
    "from_last_release",
    "migrated",
    "spark_project",
    "test_oldest_supported_python_project_is_green",
    "next_release",
    "test_reserved_names_cover_everything_a_synced_project_installs",
)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`--numprocesses=auto`: one worker per core and one more. Workers also wait (servers
    starting, uv linking files, git), and a third worker on two cores fills some of those waits:
    `.ci/run` took 0.56 s of wall time per CPU-second against 0.57-0.58 with two (five runs).
    PYTEST_XDIST_AUTO_NUM_WORKERS still decides when set."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return len(os.sched_getaffinity(0)) + 1 if hasattr(os, "sched_getaffinity") else None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        group = _shared_fixture_group(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=_start_order)  # stable: the rest keep their order


def _start_order(item: pytest.Item) -> int:
    name = _shared_fixture_group(item) or getattr(item, "originalname", item.name)
    return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)


def _shared_fixture_group(item: pytest.Item) -> str | None:
    names = set(getattr(item, "fixturenames", ()))
    if "project" in names:
        return f"project-{item.callspec.params['variant']}"  # type: ignore[attr-defined]
    if names & DEFAULT_PROJECT_FIXTURES:
        return "project-default"
    return next((name for name in SHARED_FIXTURES if name in names), None)


@pytest.fixture(scope="session")
def template_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapshot_template(tmp_path_factory.mktemp("template-src"))


class Projects:
    """Generated projects, rendered, synced with uv and committed once per session."""

    # What a whole run of a project's tests leaves for its gate (MVP005, MVP016).
    EVIDENCE = (".coverage", ".pytest_cache/proto-to-mvp-evidence.json")

    def __init__(self, src: Path, base: Path) -> None:
        self._src, self._base, self._made = src, base, {}
        self._runs: dict[str, tuple[subprocess.CompletedProcess[str], dict[str, bytes]]] = {}

    def whole_run(self, variant: str) -> subprocess.CompletedProcess[str]:
        """The project's CI test command (whole suite, coverage), run once per session."""
        if variant not in self._runs:
            project = self.get(variant)
            result = run([*ci_tests(project), "-q", "-p", "no:cacheprovider"], project, check=False)
            left = {name: (project / name).read_bytes() for name in self.EVIDENCE}
            self._runs[variant] = result, left
        return self._runs[variant][0]

    def restore_whole_run(self, variant: str) -> None:
        """Put back the evidence of the whole run, as if it had just run on the committed tree."""
        self.whole_run(variant)
        for name, content in self._runs[variant][1].items():
            (self.get(variant) / name).write_bytes(content)

    def get(self, variant: str) -> Path:
        if variant not in self._made:
            project = render(self._src, self._base / variant, **PROJECT_VARIANTS[variant])
            run(["uv", "sync", "--quiet"], project)
            run(["git", "init", "-q", "-b", "main"], project)
            git_commit_all(project, "Start from proto-to-mvp")
            self._made[variant] = project
        return self._made[variant]


@pytest.fixture(scope="session")
def projects(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Projects:
    return Projects(template_src, tmp_path_factory.mktemp("projects"))


@pytest.fixture(scope="session", params=list(PROJECT_VARIANTS))
def variant(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def project(variant: str, projects: Projects) -> Path:
    """A synced, committed generated project, once per variant."""
    return projects.get(variant)


@pytest.fixture
def scratch_project(projects: Projects) -> Iterator[Path]:
    """The default project, for tests that break it on purpose; they may commit.

    Afterwards it is reset to the commit it had, untracked files are removed, and so are the
    model registry and the tracking store (git ignores them, so `git clean` would leave them).
    """
    project = projects.get("default")
    start = run(["git", "rev-parse", "HEAD"], project).stdout.strip()
    yield project
    for folder in ("models", "mlartifacts"):
        shutil.rmtree(project / folder, ignore_errors=True)
    (project / "mlruns.db").unlink(missing_ok=True)
    run(["git", "reset", "-q", "--hard", start], project)
    run(["git", "clean", "-q", "-fd"], project)
