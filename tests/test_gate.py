"""The MVP gate of generated projects: the phase switch, readiness checks, PR checklist, CI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from helpers import REPO_ROOT, git_commit_all, make_template_repo, render, run, text_files

DOCS = "docs/mvp-checklist.md"
CHECKLIST = ".github/pull_request_template.md"
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
PHASES = ("prototype", "mvp")
CHECK_IDS = tuple(f"MVP{n:03}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14))
ACCEPTANCE = '[[acceptance]]\nby = "Ana Lopez"\ndate = 2026-03-02\nmodel_version = "v1"\n'


@pytest.fixture(scope="module")
def phases(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Default projects rendered in each phase, in new git repositories.

    Not synced: without coverage data the gate needs only the standard library and git, so
    these tests run it with the template's own Python.
    """
    base = tmp_path_factory.mktemp("phases")
    made = {phase: render(template_src, base / phase, phase=phase) for phase in PHASES}
    for project in made.values():
        run(["git", "init", "-q", "-b", "main"], project)
    return made


def _gate(project: Path, *args: str, python: str = sys.executable) -> subprocess.CompletedProcess:
    """``python -m gate ARGS`` in the project; the exit code is the caller's to check."""
    return run([python, "-m", "gate", *args], project, check=False)


def _check_json(project: Path, *only: str, synced: bool = True) -> tuple[int, dict[str, Any]]:
    python = str(project / ".venv/bin/python") if synced else sys.executable
    selection = ("--only", *only) if only else ()
    result = _gate(project, "check", "--format", "json", *selection, python=python)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def _by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["id"]: check for check in report["checks"]}


def _statuses(report: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["status"] for check in report["checks"]}


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _docs_anchors(project: Path) -> set[str]:
    text = (project / DOCS).read_text(encoding="utf-8")
    return {_anchor(heading) for heading in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}


# --- The phase question -------------------------------------------------------------------


def test_phase_changes_only_the_gate_setting_and_the_answers(phases: dict[str, Path]) -> None:
    """So a synced prototype project with the mvp gate/config.toml *is* an mvp project."""
    prototype, mvp = phases["prototype"], phases["mvp"]
    differ = [
        str(path.relative_to(prototype))
        for path in text_files(prototype)
        if path.read_bytes() != (mvp / path.relative_to(prototype)).read_bytes()
    ]
    assert sorted(differ) == [".copier-answers.yml", "gate/config.toml"]
    for phase, project in phases.items():
        answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
        config = tomllib.loads((project / "gate/config.toml").read_text(encoding="utf-8"))
        assert answers["phase"] == config["phase"] == phase
        assert not (project / "ACCEPTANCE.toml").exists(), "the acceptance record is the user's"


# --- Checklist, docs and check ids agree --------------------------------------------------


def test_checklist_items_have_ids_and_links_to_existing_docs_sections(
    phases: dict[str, Path],
) -> None:
    project = phases["prototype"]
    items = re.findall(r"^- \[ \] (.+)$", (project / CHECKLIST).read_text(encoding="utf-8"), re.M)
    ids = [re.search(r"\*\*(MVP\d{3})\*\*", item)[1] for item in items]
    assert ids == [f"MVP{number:03d}" for number in (*range(1, 13), 14)]
    anchors = _docs_anchors(project)
    for check_id, item in zip(ids, items, strict=True):
        (target,) = LINK.findall(item)
        # Relative to https://github.com/OWNER/REPO/pull/N this opens the default branch's file.
        path, anchor = target.split("#")
        assert path == f"../blob/HEAD/{DOCS}", target
        assert anchor in anchors, f"{check_id}: no heading in {DOCS} for #{anchor}"
        assert anchor.startswith(check_id.lower()), (check_id, anchor)


def test_every_check_has_a_docs_section_and_a_one_line_fix(phases: dict[str, Path]) -> None:
    _, report = _check_json(phases["prototype"], synced=False)
    assert [check["id"] for check in report["checks"]] == list(CHECK_IDS)
    anchors = _docs_anchors(phases["prototype"])
    for check in report["checks"]:
        path, anchor = check["docs"].split("#")
        assert path == DOCS
        assert anchor in anchors, f"{check['id']}: no heading in {DOCS} for #{anchor}"
        assert anchor.startswith(check["id"].lower())
        assert check["fix"].strip()
        assert check["title"].strip()
        assert "\n" not in check["fix"] + check["title"]


def test_gate_runs_in_a_new_repository_before_the_first_commit(phases: dict[str, Path]) -> None:
    exit_code, report = _check_json(phases["prototype"], synced=False)
    assert exit_code == 0
    assert _statuses(report) == dict.fromkeys(CHECK_IDS, "pass") | {
        "MVP005": "fail",  # no coverage data yet
        "MVP006": "fail",  # the package is not installed: `uv sync` has not run
        "MVP007": "fail",  # ... and no model is registered
        "MVP008": "fail",
        "MVP010": "fail",
        "MVP012": "fail",  # no acceptance record yet
        "MVP014": "fail",
    }
    assert _by_id(report)["MVP013"]["details"] == ["1 prototype(s) within their timebox"]
    assert _by_id(report)["MVP006"]["details"] == [
        "validate could not run: /usr/bin/python: No module named my_ml_project".replace(
            "/usr/bin/python", sys.executable
        )
    ]


# --- The PR-body check ----------------------------------------------------------------------


def _event(body: str | None) -> dict[str, Any]:
    """A pull_request event payload as GitHub writes it to $GITHUB_EVENT_PATH (trimmed)."""
    return {
        "action": "opened",
        "number": 7,
        "pull_request": {
            "number": 7,
            "title": "Train the first model",
            "body": body,
            "draft": False,
            "head": {"ref": "first-model"},
            "base": {"ref": "main"},
        },
        "repository": {"full_name": "acme/my-ml-project"},
    }


def _ticked(project: Path, *, leave: str = "", drop: str = "") -> str:
    """The checklist with every item ticked, except ``leave`` (unticked) and ``drop`` (gone)."""
    body = (project / CHECKLIST).read_text(encoding="utf-8")
    lines = [line for line in body.splitlines() if not (drop and drop in line)]
    return "\n".join(
        line if leave and leave in line else line.replace("- [ ]", "- [x]") for line in lines
    )


def _pr_body(project: Path, tmp_path: Path, payload: object) -> subprocess.CompletedProcess:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload), encoding="utf-8")
    return _gate(project, "pr-body", "--event", str(event))


def test_pr_body_with_every_item_ticked_passes(phases: dict[str, Path], tmp_path: Path) -> None:
    project = phases["mvp"]
    result = _pr_body(project, tmp_path, _event(_ticked(project)))
    assert result.returncode == 0, result.stdout
    assert "every item is ticked" in result.stdout


@pytest.mark.parametrize(
    ("phase", "exit_code", "verdict"),
    [("mvp", 1, "these block the merge"), ("prototype", 0, "only advises")],
)
def test_pr_body_lists_unticked_and_missing_items(
    phases: dict[str, Path], tmp_path: Path, phase: str, exit_code: int, verdict: str
) -> None:
    project = phases[phase]
    body = _ticked(project, leave="MVP007", drop="MVP012")
    result = _pr_body(project, tmp_path, _event(body))
    assert result.returncode == exit_code
    assert verdict in result.stdout
    assert "MVP007 is not ticked: The model beats the baseline on the holdout." in result.stdout
    assert "MVP012 is missing from the description" in result.stdout
    assert "MVP001" not in result.stdout


@pytest.mark.parametrize("body", [None, "", "  \n"])
def test_pr_body_without_a_description_fails_clearly_in_mvp_phase(
    phases: dict[str, Path], tmp_path: Path, body: str | None
) -> None:
    result = _pr_body(phases["mvp"], tmp_path, _event(body))
    assert result.returncode == 1
    assert f"the pull request has no description: start from {CHECKLIST}" in result.stdout


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"ref": "refs/heads/main", "commits": []}, "not a pull_request event"),
        ([1, 2], "not a pull_request event"),
        ("{not json", "the event payload is not JSON"),
    ],
)
def test_pr_body_refuses_bad_payloads_in_one_line(
    phases: dict[str, Path], tmp_path: Path, payload: object, message: str
) -> None:
    event = tmp_path / "event.json"
    event.write_text(payload if isinstance(payload, str) else json.dumps(payload), "utf-8")
    result = _gate(phases["mvp"], "pr-body", "--event", str(event))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_gate_errors_are_one_line(phases: dict[str, Path], tmp_path: Path) -> None:
    missing = _gate(phases["mvp"], "pr-body", "--event", str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert missing.stderr == (
        f"gate: error: {tmp_path}/nope.json: cannot read the event payload: "
        "No such file or directory\n"
    )
    config = phases["mvp"] / "gate/config.toml"
    original = config.read_text(encoding="utf-8")
    try:
        config.write_text(original.replace('phase = "mvp"', 'phase = "beta"'), encoding="utf-8")
        bad_phase = _gate(phases["mvp"], "check")
    finally:
        config.write_text(original, encoding="utf-8")
    assert bad_phase.returncode == 2
    assert bad_phase.stderr == (
        "gate: error: config.toml: phase must be one of prototype, mvp, not 'beta'\n"
    )


# --- The CI workflow ------------------------------------------------------------------------


def test_workflow_passes_actionlint(phases: dict[str, Path]) -> None:
    workflow = phases["prototype"] / ".github/workflows/ci.yml"
    actionlint = Path(sys.executable).with_name("actionlint")
    result = run([str(actionlint), "-no-color", str(workflow)], REPO_ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_runs_the_gate_and_pins_the_tested_copier(phases: dict[str, Path]) -> None:
    workflow = yaml.safe_load(
        (phases["prototype"] / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    )
    scripts = {
        name: "\n".join(step.get("run", "") for step in job["steps"])
        for name, job in workflow["jobs"].items()
    }
    checks = (
        "ruff check",
        "ruff format --check",
        "pytest",
        "my-ml-project validate",
        "my-ml-project train",
        "gate check",
    )
    for command in checks:
        assert command in scripts["checks"], command
    assert 'python -m gate pr-body --event "$GITHUB_EVENT_PATH"' in scripts["pr-checklist"]
    assert "edited" in workflow[True]["pull_request"]["types"], "YAML reads `on:` as True"
    assert workflow[True]["schedule"], "the template-updates job needs a schedule"
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tested = next(d for d in pyproject["dependency-groups"]["dev"] if d.startswith("copier=="))
    assert (
        f"uvx copier@{tested.removeprefix('copier==')} check-update" in scripts["template-updates"]
    )


# --- Readiness of a real, synced project ------------------------------------------------------


@pytest.fixture
def gate_project(scratch_project: Path) -> Path:
    """The default project without coverage data: tests that need it run pytest themselves."""
    (scratch_project / ".coverage").unlink(missing_ok=True)
    return scratch_project


@pytest.fixture(scope="module")
def mvp_config(phases: dict[str, Path]) -> str:
    return (phases["mvp"] / "gate/config.toml").read_text(encoding="utf-8")


def _pytest(project: Path) -> None:
    run(["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], project, check=False)


def _write(project: Path, relative: str, text: str) -> None:
    path = project / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.mark.slow
def test_fresh_project_in_each_phase(gate_project: Path, mvp_config: str) -> None:
    _pytest(gate_project)
    # As the README and CI run it; the other calls use the same venv's Python directly.
    table = run(["uv", "run", "--no-sync", "python", "-m", "gate", "check"], gate_project)
    assert "MVP readiness, prototype phase" in table.stdout
    assert "nothing blocks" in table.stdout

    # A new project has no registered model, tuning record, acceptance or model card yet.
    unmet = ("MVP007", "MVP008", "MVP010", "MVP012", "MVP014")
    fresh = dict.fromkeys(CHECK_IDS, "pass") | dict.fromkeys(unmet, "fail")
    exit_code, report = _check_json(gate_project)
    assert (exit_code, report["phase"], report["blocked"]) == (0, "prototype", False)
    assert _statuses(report) == fresh
    assert _by_id(report)["MVP008"]["details"] == [
        "no current model in models/: run the train command first"
    ]
    assert _by_id(report)["MVP010"]["details"] == ["no model to check: see MVP008"]
    assert _by_id(report)["MVP012"]["details"] == ["ACCEPTANCE.toml is missing"]
    assert _by_id(report)["MVP014"]["details"] == ["no model to describe: see MVP008"]

    _write(gate_project, "gate/config.toml", mvp_config)
    exit_code, report = _check_json(gate_project)
    assert (exit_code, report["phase"], report["blocked"]) == (1, "mvp", True)
    assert _statuses(report) == fresh
    assert [c["id"] for c in report["checks"] if c["blocks"]] == list(unmet)

    for command in (["tune", "--trials", "3"], ["train"]):
        run(["uv", "run", "--no-sync", "my-ml-project", *command], gate_project)
    _write(gate_project, "ACCEPTANCE.toml", ACCEPTANCE)
    run(["uv", "run", "--no-sync", "my-ml-project", "model-card"], gate_project)
    exit_code, report = _check_json(gate_project)
    assert exit_code == 0
    assert set(_statuses(report).values()) == {"pass"}
    assert _by_id(report)["MVP007"]["details"][0].startswith("model v1: ")
    assert re.fullmatch(
        r"model v1: parameters from 3 trials of TPESampler \(seed 42\) on \S+",
        _by_id(report)["MVP010"]["details"][0],
    )
    assert _by_id(report)["MVP012"]["details"] == ["model v1 accepted by Ana Lopez on 2026-03-02"]
    assert _by_id(report)["MVP014"]["details"] == ["MODEL_CARD.md describes model v1"]

    # An expired prototype is a warning: reported, never blocking, even in the mvp phase.
    _write(gate_project, "scratch/old_idea.py", "# Timebox: until 2020-01-31\nprint(1)\n")
    exit_code, report = _check_json(gate_project)
    assert exit_code == 0
    assert _by_id(report)["MVP013"]["status"] == "warn"
    assert _by_id(report)["MVP013"]["details"] == ["scratch/old_idea.py: timebox ended 2020-01-31"]

    # Retraining makes v2 current: the acceptance of v1 and its card no longer cover it.
    run(["uv", "run", "--no-sync", "my-ml-project", "train"], gate_project)
    exit_code, report = _check_json(gate_project)
    assert exit_code == 1
    assert _by_id(report)["MVP012"]["details"] == [
        "the newest acceptance is for model v1, but the current model is v2"
    ]
    assert _by_id(report)["MVP014"]["details"] == [
        "MODEL_CARD.md describes model v1, the current model is v2: run the model-card command"
    ]
    (gate_project / "ACCEPTANCE.toml").unlink()
    exit_code, report = _check_json(gate_project)
    assert exit_code == 1
    assert _by_id(report)["MVP012"]["blocks"]


def test_unknown_check_ids_are_refused_naming_the_known_ones(phases: dict[str, Path]) -> None:
    result = _gate(phases["prototype"], "check", "--only", "MVP999")
    assert result.returncode == 2
    assert result.stderr.startswith("gate: error: no check MVP999; the checks are MVP001, ")


@pytest.mark.slow
def test_a_tampered_model_artifact_fails_mvp008(gate_project: Path) -> None:
    run(["uv", "run", "--no-sync", "my-ml-project", "train"], gate_project)
    pickle_path = gate_project / "models/v1/model.pkl"
    pickle_path.write_bytes(pickle_path.read_bytes() + b"tampered")
    exit_code, report = _check_json(gate_project, "MVP007", "MVP008")
    assert exit_code == 0, "the prototype phase only advises"
    assert _statuses(report)["MVP008"] == "fail"
    assert _by_id(report)["MVP008"]["details"] == [
        "model v1: model.pkl does not match its recorded SHA-256 (changed or truncated since it"
        " was registered); retrain or restore it"
    ]
    assert _by_id(report)["MVP007"]["details"] == ["no model to compare: see MVP008"]


@pytest.mark.slow
def test_hand_set_parameters_and_a_stale_model_card_fail(gate_project: Path) -> None:
    _write(gate_project, "params.json", '{"params": {"C": 0.5}}\n')
    for command in (["train"], ["model-card"]):
        run(["uv", "run", "--no-sync", "my-ml-project", *command], gate_project)
    _write(gate_project, "ACCEPTANCE.toml", ACCEPTANCE)  # accepted after the card was written
    _, report = _check_json(gate_project, "MVP010", "MVP014")
    assert _statuses(report) == {"MVP010": "fail", "MVP014": "fail"}
    assert _by_id(report)["MVP010"]["details"] == [
        "model v1 has no tuning record: its parameters were set by hand"
    ]
    assert _by_id(report)["MVP014"]["details"] == [
        "MODEL_CARD.md is stale: model v1's facts changed since it was written: "
        "run the model-card command"
    ]


UNTESTED_MODULE = "\n\n".join(
    f"def branch_{n}(x: int) -> int:\n    if x > {n}:\n        return x - {n}\n    return x + {n}\n"
    for n in range(100)
)


@pytest.mark.slow
def test_dropped_coverage_fails_mvp005(gate_project: Path) -> None:
    _write(gate_project, "src/my_ml_project/extra.py", UNTESTED_MODULE)
    _write(gate_project, "tests/unit/test_extra.py", "import my_ml_project.extra  # noqa: F401\n")
    _pytest(gate_project)
    _, report = _check_json(gate_project, "MVP003", "MVP005")
    coverage = _by_id(report)["MVP005"]
    assert coverage["status"] == "fail"
    assert re.fullmatch(r"\d+% covered, threshold 85% \(fail_under\)", coverage["details"][0])
    assert _by_id(report)["MVP003"]["status"] == "pass"


@pytest.mark.slow
def test_missing_coverage_data_says_run_pytest_first(gate_project: Path) -> None:
    _, report = _check_json(gate_project, "MVP005")
    assert _by_id(report)["MVP005"]["details"] == [
        "no coverage data (.coverage): run `uv run pytest` first"
    ]


NOTEBOOK_WITH_OUTPUT = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "0",
            "metadata": {},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["42\n"]}],
            "source": ["print(42)"],
        }
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}
LEAK_TEST = "from my_ml_project import leak\n\n\ndef test_leak() -> None:\n    assert leak\n"
BREAKAGES: dict[str, tuple[dict[str, str], list[str], str, list[str]]] = {
    # name: (files to write, files to delete, check id, details it must report)
    "import scratch in src": (
        {
            "src/my_ml_project/leak.py": "import os\nfrom scratch.helpers import clean\n",
            "tests/unit/test_leak.py": LEAK_TEST,
        },
        [],
        "MVP001",
        ["src/my_ml_project/leak.py:2 imports scratch"],
    ),
    "importlib and sys.path tricks in tests": (
        {
            "tests/unit/test_tricks.py": (
                "import importlib\nimport sys\nfrom pathlib import Path\n\n"
                'sys.path.insert(0, str(Path(__file__).parents[2] / "scratch"))\n'
                'helpers = importlib.import_module("scratch.helpers")\n'
            )
        },
        [],
        "MVP001",
        [f"tests/unit/test_tricks.py:{line} imports scratch" for line in (5, 6)],
    ),
    "notebook with outputs outside scratch": (
        {"notebooks/analysis.ipynb": json.dumps(NOTEBOOK_WITH_OUTPUT)},
        [],
        "MVP002",
        ["notebooks/analysis.ipynb is outside scratch/", "notebooks/analysis.ipynb has outputs"],
    ),
    "deleted test module": (
        {},
        ["tests/unit/test_features.py"],
        "MVP003",
        ["tests/unit/test_features.py is missing (tests src/my_ml_project/features.py)"],
    ),
    "deleted integration test": (
        {},
        ["tests/integration/test_pipeline.py"],
        "MVP004",
        ["no test_* function in tests/integration/test_*.py"],
    ),
    "acceptance record without a model version": (
        {"ACCEPTANCE.toml": '[[acceptance]]\nby = "Ana"\ndate = 2026-03-02\n'},
        [],
        "MVP012",
        [
            "ACCEPTANCE.toml: [[acceptance]] entry 1: `model_version` must name the accepted"
            ' model version, such as "v3"'
        ],
    ),
    "training data that breaks the contract": (
        {"data/example/deliveries.csv": "BROKEN_EXAMPLE"},
        [],
        "MVP006",
        [
            "data/example/deliveries.csv: 1 of 25 checks failed",
            "region: values must be one of centre, north, south, east, west",
        ],
    ),
    "prototype without a timebox": (
        {"scratch/quick.py": "import pandas\n"},
        [],
        "MVP013",
        ["scratch/quick.py records no valid timebox"],
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_gate_names_each_broken_criterion(gate_project: Path, breakage: str) -> None:
    writes, deletes, check_id, details = BREAKAGES[breakage]
    for relative, text in writes.items():
        if text == "BROKEN_EXAMPLE":  # the shipped example data with one region out of the set
            text = (
                (gate_project / relative)
                .read_text(encoding="utf-8")
                .replace(",north,", ",mars,", 1)
            )
        _write(gate_project, relative, text)
    for relative in deletes:
        (gate_project / relative).unlink()
    git_commit_all(gate_project, f"Break the gate: {breakage}")
    exit_code, report = _check_json(gate_project, check_id)
    assert exit_code == 0, "the prototype phase only advises"
    check = _by_id(report)[check_id]
    assert check["status"] == ("warn" if check_id == "MVP013" else "fail")
    assert check["details"] == details


RUFF_BREAKAGES = {
    "BLE removed from select": (('"BLE", ', ""), ["BLE001 is not selected, or is ignored"]),
    "E722 ignored": (
        ("[tool.ruff.lint.mccabe]", 'ignore = ["E722"]\n\n[tool.ruff.lint.mccabe]'),
        ["E722 is not selected, or is ignored"],
    ),
    "S110 off for src/": (
        ('"scratch/**" =', '"src/**" = ["S110"]\n"scratch/**" ='),
        ['per-file-ignores "src/**" turns off S110 in src/ or tests/'],
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("breakage", list(RUFF_BREAKAGES))
def test_gate_notices_protective_ruff_rules_turned_off(gate_project: Path, breakage: str) -> None:
    (old, new), details = RUFF_BREAKAGES[breakage]
    pyproject = gate_project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert old in text
    pyproject.write_text(text.replace(old, new, 1), encoding="utf-8")
    _, report = _check_json(gate_project, "MVP011")
    check = _by_id(report)["MVP011"]
    assert (check["status"], check["details"]) == ("fail", details)


@pytest.mark.slow
def test_relative_timebox_counts_from_the_first_commit(gate_project: Path) -> None:
    _write(gate_project, "scratch/old_idea.py", "# Question: is hour useful?\n# Timebox: 3 days\n")
    run(["git", "add", "scratch/old_idea.py"], gate_project)
    run(
        ["git", "commit", "-q", "--no-verify", "-m", "An old prototype"],
        gate_project,
        env={"GIT_AUTHOR_DATE": "2020-01-01T12:00:00+00:00"},
    )
    _, report = _check_json(gate_project, "MVP013")
    assert _by_id(report)["MVP013"]["details"] == ["scratch/old_idea.py: timebox ended 2020-01-04"]


# --- Switching phase with copier update ---------------------------------------------------------


@pytest.mark.slow
def test_copier_update_switches_a_committed_project_to_mvp(
    template_src: Path, tmp_path: Path
) -> None:
    template = make_template_repo(template_src, tmp_path / "template-repo")
    project = tmp_path / "project"
    copier.run_copy(str(template), project, defaults=True, unsafe=False, quiet=True)
    run(["git", "init", "-q", "-b", "main"], project)
    git_commit_all(project, "Start from proto-to-mvp")
    exit_code, report = _check_json(project, synced=False)
    assert (exit_code, report["phase"]) == (0, "prototype")

    copier.run_update(
        project, data={"phase": "mvp"}, defaults=True, overwrite=True, unsafe=False, quiet=True
    )
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["phase"] == "mvp"
    assert answers["_commit"] == "v0.0.1"
    changed = run(["git", "status", "--porcelain"], project).stdout.splitlines()
    assert sorted(line[3:] for line in changed) == [".copier-answers.yml", "gate/config.toml"]

    exit_code, report = _check_json(project, synced=False)
    assert (exit_code, report["phase"], report["blocked"]) == (1, "mvp", True)
    acceptance = _by_id(report)["MVP012"]
    assert (acceptance["status"], acceptance["blocks"]) == ("fail", True)
    assert acceptance["details"] == ["ACCEPTANCE.toml is missing"]
