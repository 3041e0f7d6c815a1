"""Update replay: a project made from an earlier release, worked on, then brought up to date.

Modelled on Copier's own update tests: version 1 -> tag -> copy -> commit -> user edits ->
version 2 -> tag -> update, then assertions on file contents. Version 1 is a real earlier
release, found from CHANGELOG.md's history (not tags: a fresh clone may lack them); version 2 is
this working tree. Both live in a temporary git repository, tagged.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import copier
import pytest
import yaml
from helpers import (
    git_commit_all,
    releases,
    render,
    run,
    template_at,
    text_files,
    versioned_template,
)

pytestmark = pytest.mark.slow
MARKERS = re.compile(r"^(<<<<<<<|>>>>>>>) ", flags=re.MULTILINE)
OLD_DESCRIPTION = "Predicts an outcome from tabular data, from prototype to MVP."
NEW_DESCRIPTION = "Predicts which deliveries will be late, for the dispatch team."
RUSH = '''"""Rush hours: when deliveries are late more often."""

import pandas as pd

RUSH_HOURS = frozenset({12, 13, 18, 19, 20})


def is_rush_hour(hours: pd.Series) -> pd.Series:
    """True for orders placed during the lunch or dinner rush."""
    return hours.isin(RUSH_HOURS)
'''
RUSH_TEST = """import pandas as pd

from my_ml_project.rush import is_rush_hour


def test_lunch_and_dinner_are_rush_hours() -> None:
    hours = pd.Series([8, 12, 15, 19, 22])
    assert is_rush_hour(hours).tolist() == [False, True, False, True, False]
"""
NOTEBOOK = {
    "cells": [
        {
            "cell_type": "markdown",
            "id": "0",
            "metadata": {},
            "source": ["# Rush hours\n", "\n", "**Timebox:** 2 days"],
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "1",
            "metadata": {},
            "outputs": [],
            "source": [
                "import pandas as pd\n",
                "\n",
                'pd.read_csv("../data/example/deliveries.csv")',
            ],
        },
    ],
    "metadata": {"language_info": {"name": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}
USER_FILES = {
    "src/my_ml_project/rush.py": RUSH,
    "tests/unit/test_rush.py": RUSH_TEST,
    "scratch/rush_hours.ipynb": json.dumps(NOTEBOOK, indent=1, sort_keys=True) + "\n",
}
CONTRACT = "src/my_ml_project/contract.toml"
# (file, old text, new text): the contract gets tighter, and the tests that pin it follow.
USER_EDITS = [
    ("README.md", OLD_DESCRIPTION, NEW_DESCRIPTION),
    (CONTRACT, "max = 100.0", "max = 80.0"),
    ("tests/unit/test_schema.py", "(0.0, 100.0)", "(0.0, 80.0)"),
    (
        "tests/unit/test_validation.py",
        '"values must be at most 100"',
        '"values must be at most 80"',
    ),
]


@dataclass(frozen=True)
class Replay:
    project: Path
    old_tag: str
    new_tag: str
    old_render: Path  # what the old version generates with the same answers
    new_render: Path  # what the new version generates with the new answers


def _previous_release(current: Path, scratch: Path) -> tuple[str, str, Path]:
    """The newest release whose template differs from the working tree (else the newest)."""
    found = releases()
    assert found, "CHANGELOG.md records no release to replay an update from"
    for tag, commit in reversed(found):
        snapshot = template_at(commit, scratch / tag)
        if _contents(snapshot) != _contents(current):
            return tag, commit, snapshot
    tag, commit = found[-1]
    return tag, commit, scratch / tag


def _contents(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _next(tag: str) -> str:
    major, minor, _ = (int(part) for part in tag[1:].split("."))
    return f"v{major}.{minor + 1}.0"


@pytest.fixture(scope="module")
def replay(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Replay:
    base = tmp_path_factory.mktemp("replay")
    old_tag, _, old = _previous_release(template_src, base / "releases")
    new_tag = _next(releases()[-1][0])
    repo = versioned_template(base / "repo", [(old_tag, old), (new_tag, template_src)])

    project = base / "project"
    copier.run_copy(str(repo), project, vcs_ref=old_tag, defaults=True, unsafe=False, quiet=True)
    run(["uv", "sync", "--quiet", "--compile-bytecode"], project)
    run(["git", "init", "-q", "-b", "main"], project)
    git_commit_all(project, "Start from proto-to-mvp")

    # A realistic week of work: a module with tests, a notebook, an edited README and
    # contract, and a trained model (git ignores models/, so it must survive on disk).
    for relative, text in USER_FILES.items():
        (project / relative).write_text(text, encoding="utf-8")
    for relative, old_text, new_text in USER_EDITS:
        _replace(project / relative, old_text, new_text)
    run(["uv", "run", "--no-sync", "my-ml-project", "train"], project)
    git_commit_all(project, "Rush hours, our description, a tighter contract")

    copier.run_update(
        project,
        data={"license": "Apache-2.0"},  # a question answered again, on the way
        defaults=True,
        overwrite=True,
        unsafe=False,
        quiet=True,
    )
    old_render = copier.run_copy(
        str(repo), base / "old-render", vcs_ref=old_tag, defaults=True, quiet=True
    ).dst_path
    new_render = render(template_src, base / "new-render", license="Apache-2.0")
    return Replay(project, old_tag, new_tag, Path(old_render), new_render)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer contains {old!r}: update this test"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_user_changes_survive(replay: Replay) -> None:
    for relative, text in USER_FILES.items():
        assert (replay.project / relative).read_text(encoding="utf-8") == text, relative
    for relative, old_text, new_text in USER_EDITS:
        text = (replay.project / relative).read_text(encoding="utf-8")
        assert new_text in text, relative
        assert old_text not in text, relative
    assert (replay.project / "models/v1/model.pkl").is_file(), "the trained model is still there"


def test_template_changes_arrive(replay: Replay) -> None:
    """Every file the user did not touch is exactly what the new version generates."""
    edited = {relative for relative, _, _ in USER_EDITS}
    touched = {*USER_FILES, *edited, ".copier-answers.yml"}  # the answers are tested below
    new = {p.relative_to(replay.new_render).as_posix(): p for p in text_files(replay.new_render)}
    for relative, rendered in new.items():
        if relative in touched:
            continue
        updated = replay.project / relative
        assert updated.is_file(), f"{relative} did not arrive"
        assert updated.read_bytes() == rendered.read_bytes(), (
            f"{relative} differs from the new version"
        )
    gone = {p.relative_to(replay.old_render).as_posix() for p in text_files(replay.old_render)}
    for relative in gone - set(new) - touched:
        assert not (replay.project / relative).exists(), f"{relative} was removed by the template"
    for relative in edited:  # edited by both sides: the template's new lines merge in
        old = set((replay.old_render / relative).read_text(encoding="utf-8").splitlines())
        merged = (replay.project / relative).read_text(encoding="utf-8").splitlines()
        added = [
            line
            for line in (replay.new_render / relative).read_text().splitlines()
            if line not in old and line.strip()
        ]
        assert not [line for line in added if line not in merged], f"{relative}: lines missing"
    license_text = (replay.project / "LICENSE").read_text(encoding="utf-8")
    assert license_text.lstrip().startswith("Apache License"), "the re-answered question applies"


def test_no_conflicts_and_the_answers_file_advanced(replay: Replay) -> None:
    for path in text_files(replay.project):
        if ".venv" not in path.parts and "models" not in path.parts:
            assert not MARKERS.search(path.read_text(encoding="utf-8")), f"conflict in {path}"
    assert not list(replay.project.rglob("*.rej"))
    answers = yaml.safe_load((replay.project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert (answers["_commit"], answers["license"]) == (replay.new_tag, "Apache-2.0")


def test_updated_project_is_green(replay: Replay) -> None:
    project = replay.project
    run(["uv", "sync", "--quiet", "--compile-bytecode"], project)
    run(["uv", "run", "--no-sync", "ruff", "check", "."], project)
    run(["uv", "run", "--no-sync", "ruff", "format", "--check", "."], project)
    tests = run(["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], project)
    assert "passed" in tests.stdout.splitlines()[-1]
    run(["git", "add", "-A"], project)
    run(["uv", "run", "--no-sync", "pre-commit", "run", "--all-files"], project)
    gate = run(["uv", "run", "--no-sync", "python", "-m", "gate", "check"], project)
    assert "nothing blocks" in gate.stdout


def test_switching_to_mvp_phase_turns_the_gate_on(replay: Replay) -> None:
    project = replay.project
    git_commit_all(project, f"Update to proto-to-mvp {replay.new_tag}")
    copier.run_update(
        project, data={"phase": "mvp"}, defaults=True, overwrite=True, unsafe=False, quiet=True
    )
    changed = run(["git", "status", "--porcelain"], project).stdout.splitlines()
    assert sorted(line[3:] for line in changed) == [".copier-answers.yml", "gate/config.toml"]
    gate = run(["uv", "run", "--no-sync", "python", "-m", "gate", "check"], project, check=False)
    assert gate.returncode == 1, gate.stdout
    assert "MVP readiness, mvp phase" in gate.stdout
    assert "ACCEPTANCE.toml is missing" in gate.stdout


# --- A user edit to a template-owned file, on a line the template changes too --------------

OWNED = ".pre-commit-config.yaml"
TEMPLATE_LINE = "        name: no large files (keep data and models out of git)\n"
THEIR_LINE = "        name: no large files (data and models live outside git)\n"
USER_LINE = "        name: no large files over 1 MB\n"


@pytest.fixture
def conflicted(template_src: Path, tmp_path: Path) -> Path:
    """v1 -> copy -> user edits a hook name -> v2 renames the same hook -> ready to update."""
    newer = Path(shutil.copytree(template_src, tmp_path / "newer"))
    _replace(newer / "template" / OWNED, TEMPLATE_LINE, THEIR_LINE)
    _replace(
        newer / "template/gate/__init__.py", "owned by the template", "maintained by the template"
    )
    repo = versioned_template(tmp_path / "repo", [("v1.0.0", template_src), ("v1.1.0", newer)])
    project = tmp_path / "project"
    copier.run_copy(str(repo), project, defaults=True, unsafe=False, quiet=True, vcs_ref="v1.0.0")
    run(["git", "init", "-q", "-b", "main"], project)
    git_commit_all(project, "Start")
    _replace(project / OWNED, TEMPLATE_LINE, USER_LINE)
    git_commit_all(project, "Our own hook name")
    return project


def test_edited_standards_file_becomes_a_visible_conflict(conflicted: Path) -> None:
    copier.run_update(conflicted, defaults=True, overwrite=True, unsafe=False, quiet=True)
    text = (conflicted / OWNED).read_text(encoding="utf-8")
    assert "<<<<<<< before updating\n" + USER_LINE in text, "the user's line is kept, marked"
    assert THEIR_LINE + ">>>>>>> after updating\n" in text, "the template's line is offered"
    assert "maintained by the template" in (conflicted / "gate/__init__.py").read_text()
    status = run(["git", "status", "--porcelain"], conflicted).stdout
    assert f"UU {OWNED}" in status, "git lists the file as unmerged, so it cannot be missed"


def test_with_rej_files_the_conflict_is_a_file_to_resolve(conflicted: Path) -> None:
    copier.run_update(
        conflicted, defaults=True, overwrite=True, unsafe=False, quiet=True, conflict="rej"
    )
    rejected = conflicted / f"{OWNED}.rej"
    assert rejected.is_file(), "the hunk that did not apply is kept beside the file"
    assert USER_LINE.strip() in rejected.read_text(encoding="utf-8")
    assert f"?? {OWNED}.rej" in run(["git", "status", "--porcelain"], conflicted).stdout
