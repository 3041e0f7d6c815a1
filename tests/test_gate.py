"""The MVP gate of generated projects: the phase switch, readiness checks, PR checklist, CI.

The gate is a subcommand of the project's command line (``my-ml-project gate``) and lives in the
kit (``src/my_ml_project/_kit/gate/``), so it runs in a synced project. Projects that are only
rendered borrow the synced default project's virtualenv, with their own ``src/`` first on the
path.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import copier
import pytest
import yaml
from helpers import (
    REPO_ROOT,
    ci_tests,
    git_commit_all,
    make_template_repo,
    render,
    run,
    text_files,
)

if TYPE_CHECKING:
    from conftest import Projects

SLUG, PACKAGE = "my-ml-project", "my_ml_project"
KIT = f"src/{PACKAGE}/_kit"
ANSWERS = ".copier-answers.yml"
DOCS = "docs/mvp-checklist.md"
CHECKLIST = ".github/pull_request_template.md"
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
PHASES = ("prototype", "mvp")
CHECK_IDS = tuple(f"MVP{n:03}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16))
ACCEPTANCE = '[[acceptance]]\nby = "Ana Lopez"\ndate = 2026-03-02\nmodel_version = "v1"\n'
SET_PHASE = "run `copier update --data phase=mvp|prototype`"


@pytest.fixture(scope="module")
def phases(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Default projects rendered in each phase, in new git repositories without a commit."""
    base = tmp_path_factory.mktemp("phases")
    made = {phase: render(template_src, base / phase, phase=phase) for phase in PHASES}
    for project in made.values():
        run(["git", "init", "-q", "-b", "main"], project)
    return made


@pytest.fixture(scope="module")
def venv(projects: Projects) -> Path:
    """The synced default project's virtualenv, for projects that are only rendered."""
    return projects.get("default") / ".venv"


def _gate(
    project: Path, *args: str, venv: Path | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """``my-ml-project gate ARGS`` in the project; the exit code is the caller's to check.

    With the project's own .venv, or ``venv`` (another project's) for a project not synced.
    """
    python = (venv or project / ".venv") / "bin" / "python"
    command = [str(python), "-m", PACKAGE, "gate", *args]
    return run(command, cwd or project, check=False, env={"PYTHONPATH": str(project / "src")})


def _check_json(project: Path, *only: str, venv: Path | None = None) -> tuple[int, dict[str, Any]]:
    selection = ("--only", *only) if only else ()
    result = _gate(project, "check", "--format", "json", *selection, venv=venv)
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


def _write(project: Path, relative: str, text: str) -> None:
    path = project / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _set_answer(project: Path, line: str | None) -> None:
    """Replace the ``phase:`` line of the answers file with ``line`` (None: drop it)."""
    answers = project / ANSWERS
    text = answers.read_text(encoding="utf-8")
    assert re.search(r"^phase: ", text, flags=re.MULTILINE), text
    new = re.sub(r"^phase: .*\n", "" if line is None else f"{line}\n", text, flags=re.MULTILINE)
    answers.write_text(new, encoding="utf-8")


# --- The phase question -------------------------------------------------------------------


def test_phase_changes_only_the_answers(phases: dict[str, Path]) -> None:
    """The gate reads the phase from the answers file: the kit is the same in both phases."""
    prototype, mvp = phases["prototype"], phases["mvp"]
    differ = [
        str(path.relative_to(prototype))
        for path in text_files(prototype)
        if path.read_bytes() != (mvp / path.relative_to(prototype)).read_bytes()
    ]
    assert differ == [ANSWERS]
    for phase, project in phases.items():
        answers = yaml.safe_load((project / ANSWERS).read_text(encoding="utf-8"))
        assert answers["phase"] == phase
        assert not (project / "ACCEPTANCE.toml").exists(), "the acceptance record is the user's"
        assert not list(project.rglob("config.toml")), "no gate settings file any more"


@pytest.mark.slow
def test_the_gate_reads_the_phase_from_the_answers_file(
    phases: dict[str, Path], venv: Path
) -> None:
    for phase, project in phases.items():
        exit_code, report = _check_json(project, "MVP012", venv=venv)
        assert (exit_code, report["phase"]) == ((1, "mvp") if phase == "mvp" else (0, phase))
        assert _by_id(report)["MVP012"]["blocks"] is (phase == "mvp")


# --- Checklist, docs and check ids agree --------------------------------------------------


def test_checklist_items_have_ids_and_links_to_existing_docs_sections(
    phases: dict[str, Path],
) -> None:
    project = phases["prototype"]
    items = re.findall(r"^- \[ \] (.+)$", (project / CHECKLIST).read_text(encoding="utf-8"), re.M)
    ids = [re.search(r"\*\*(MVP\d{3})\*\*", item)[1] for item in items]
    assert ids == [f"MVP{number:03d}" for number in (*range(1, 13), 14, 15, 16)]
    anchors = _docs_anchors(project)
    for check_id, item in zip(ids, items, strict=True):
        (target,) = LINK.findall(item)
        # Relative to https://github.com/OWNER/REPO/pull/N this opens the default branch's file.
        path, anchor = target.split("#")
        assert path == f"../blob/HEAD/{DOCS}", target
        assert anchor in anchors, f"{check_id}: no heading in {DOCS} for #{anchor}"
        assert anchor.startswith(check_id.lower()), (check_id, anchor)


def test_docs_and_checklist_name_the_new_commands(phases: dict[str, Path]) -> None:
    project = phases["prototype"]
    docs = (project / DOCS).read_text(encoding="utf-8")
    assert f"uv run {SLUG} gate check" in docs
    for text in (docs, (project / CHECKLIST).read_text(encoding="utf-8")):
        assert "python -m gate" not in text
        assert "config.toml" not in text


@pytest.mark.slow
def test_every_check_has_a_docs_section_and_a_one_line_fix(
    phases: dict[str, Path], venv: Path
) -> None:
    _, report = _check_json(phases["prototype"], venv=venv)
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


@pytest.mark.slow
def test_gate_runs_in_a_new_repository_before_the_first_commit(
    phases: dict[str, Path], venv: Path
) -> None:
    exit_code, report = _check_json(phases["prototype"], venv=venv)
    assert exit_code == 0
    assert _statuses(report) == dict.fromkeys(CHECK_IDS, "pass") | {
        "MVP005": "fail",  # no coverage data yet
        "MVP016": "fail",  # no test run yet
        "MVP007": "fail",  # no model is registered
        "MVP008": "fail",
        "MVP010": "fail",
        "MVP012": "fail",  # no acceptance record yet
        "MVP014": "fail",
    }
    checks = _by_id(report)
    assert checks["MVP006"]["details"] == ["data/example/deliveries.csv: 1000 rows, 25 checks"]
    assert checks["MVP013"]["details"] == ["1 prototype(s) within their timebox"]
    assert re.fullmatch(rf"\d+ files match {KIT}/manifest.txt", checks["MVP015"]["details"][0])


@pytest.mark.slow
def test_mvp006_says_when_the_data_was_made_from_the_contract(
    phases: dict[str, Path], venv: Path, tmp_path: Path
) -> None:
    """CI falls back to `sample-data` without training data: the gate must say so."""
    project, python = phases["prototype"], str(venv / "bin" / "python")
    env = {"PYTHONPATH": str(project / "src"), "MY_ML_PROJECT_DATA": str(tmp_path / "made.csv")}
    run([python, "-m", PACKAGE, "sample-data"], project, env=env)
    command = [python, "-m", PACKAGE, "gate", "check", "--format", "json", "--only", "MVP006"]
    result = run(command, project, check=False, env=env)
    check = _by_id(json.loads(result.stdout))["MVP006"]
    assert check["status"] == "warn", check
    assert "1000 rows made from the contract by `sample-data`, not real data" in check["details"][0]
    data = tmp_path / "made.csv"
    data.write_text(data.read_text(encoding="utf-8").replace(",", ", ", 1), encoding="utf-8")
    result = run(command, project, check=False, env=env)  # edited: no longer the generated file
    assert _by_id(json.loads(result.stdout))["MVP006"]["status"] != "warn"


@pytest.mark.slow
def test_gate_help_reads_as_a_subcommand(phases: dict[str, Path], venv: Path) -> None:
    project = phases["prototype"]
    for args, usage in (
        (["--help"], f"usage: {SLUG} gate [-h] COMMAND ..."),
        (["check", "--help"], f"usage: {SLUG} gate check [-h]"),
    ):
        result = _gate(project, *args, venv=venv)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(usage), result.stdout
    assert "check" in _gate(project, "--help", venv=venv).stdout


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


def _pr_body(
    project: Path, venv: Path, tmp_path: Path, payload: object
) -> subprocess.CompletedProcess:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload), encoding="utf-8")
    return _gate(project, "pr-body", "--event", str(event), venv=venv)


@pytest.mark.slow
def test_pr_body_with_every_item_ticked_passes(
    phases: dict[str, Path], venv: Path, tmp_path: Path
) -> None:
    project = phases["mvp"]
    result = _pr_body(project, venv, tmp_path, _event(_ticked(project)))
    assert result.returncode == 0, result.stdout
    assert "every item is ticked" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("phase", "exit_code", "verdict"),
    [("mvp", 1, "these block the merge"), ("prototype", 0, "only advises")],
)
def test_pr_body_lists_unticked_and_missing_items(
    phases: dict[str, Path],
    venv: Path,
    tmp_path: Path,
    phase: str,
    exit_code: int,
    verdict: str,
) -> None:
    project = phases[phase]
    body = _ticked(project, leave="MVP007", drop="MVP012")
    result = _pr_body(project, venv, tmp_path, _event(body))
    assert result.returncode == exit_code
    assert verdict in result.stdout
    assert "MVP007 is not ticked: The model beats the baseline on the holdout." in result.stdout
    assert "MVP012 is missing from the description" in result.stdout
    assert "MVP001" not in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("body", [None, "", "  \n"])
def test_pr_body_without_a_description_fails_clearly_in_mvp_phase(
    phases: dict[str, Path], venv: Path, tmp_path: Path, body: str | None
) -> None:
    result = _pr_body(phases["mvp"], venv, tmp_path, _event(body))
    assert result.returncode == 1
    assert f"the pull request has no description: start from {CHECKLIST}" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"ref": "refs/heads/main", "commits": []}, "not a pull_request event"),
        ([1, 2], "not a pull_request event"),
        ("{not json", "the event payload is not JSON"),
    ],
)
def test_pr_body_refuses_bad_payloads_in_one_line(
    phases: dict[str, Path], venv: Path, tmp_path: Path, payload: object, message: str
) -> None:
    event = tmp_path / "event.json"
    event.write_text(payload if isinstance(payload, str) else json.dumps(payload), "utf-8")
    result = _gate(phases["mvp"], "pr-body", "--event", str(event), venv=venv)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.slow
def test_gate_errors_are_one_line(phases: dict[str, Path], venv: Path, tmp_path: Path) -> None:
    project = phases["mvp"]
    missing = _gate(project, "pr-body", "--event", str(tmp_path / "nope.json"), venv=venv)
    assert missing.returncode == 2
    assert missing.stderr == (
        f"gate: error: {tmp_path}/nope.json: cannot read the event payload: "
        "No such file or directory\n"
    )
    outside = _gate(project, "check", venv=venv, cwd=project / "docs")
    assert outside.returncode == 2
    assert outside.stderr == (
        f"gate: error: no pyproject.toml in {project / 'docs'}: "
        "run the gate from the project root\n"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("phase: beta", f"{ANSWERS}: phase 'beta' is not prototype or mvp: {SET_PHASE}"),
        (None, f"{ANSWERS} records no phase: {SET_PHASE}"),
    ],
)
def test_a_bad_or_missing_phase_is_a_one_line_error(
    phases: dict[str, Path], venv: Path, line: str | None, message: str
) -> None:
    project = phases["mvp"]
    original = (project / ANSWERS).read_text(encoding="utf-8")
    try:
        _set_answer(project, line)
        result = _gate(project, "check", venv=venv)
    finally:
        (project / ANSWERS).write_text(original, encoding="utf-8")
    assert result.returncode == 2
    assert result.stderr == f"gate: error: {message}\n"


@pytest.mark.slow
def test_unknown_check_ids_are_refused_naming_the_known_ones(
    phases: dict[str, Path], venv: Path
) -> None:
    result = _gate(phases["prototype"], "check", "--only", "MVP999", venv=venv)
    assert result.returncode == 2
    assert result.stderr.startswith("gate: error: no check MVP999; the checks are MVP001, ")


# --- The CI workflow ------------------------------------------------------------------------


def test_workflow_passes_actionlint(phases: dict[str, Path]) -> None:
    workflow = phases["prototype"] / ".github/workflows/ci.yml"
    actionlint = Path(sys.executable).with_name("actionlint")
    result = run([str(actionlint), "-no-color", str(workflow)], REPO_ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_passes_zizmor(phases: dict[str, Path]) -> None:
    """Actions pinned by commit, no credentials left in the checkout, no injectable inputs."""
    workflow = phases["prototype"] / ".github/workflows/ci.yml"
    zizmor = Path(sys.executable).with_name("zizmor")
    result = run([str(zizmor), "--offline", "--no-progress", str(workflow)], REPO_ROOT, check=False)
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
        f"{SLUG} validate",
        f"{SLUG} train",
        f"{SLUG} gate check",
    )
    for command in checks:
        assert command in scripts["checks"], command
    assert f'{SLUG} gate pr-body --event "$GITHUB_EVENT_PATH"' in scripts["pr-checklist"]
    assert "python -m gate" not in "\n".join(scripts.values())
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
    """The default project without coverage data or a record of a test run: tests that need
    them run pytest themselves."""
    (scratch_project / ".coverage").unlink(missing_ok=True)
    (scratch_project / ".pytest_cache" / "proto-to-mvp-evidence.json").unlink(missing_ok=True)
    return scratch_project


def _pytest(project: Path) -> None:
    """The whole suite with coverage, as CI runs it: the evidence the gate trusts."""
    run([*ci_tests(project), "-q", "-p", "no:cacheprovider"], project, check=False)


def _cli(project: Path, *args: str) -> None:
    run(["uv", "run", "--no-sync", SLUG, *args], project)


def _train_untracked(project: Path) -> None:
    """`train` without MLflow (about 3 s less): these tests are about the registry and the
    gate; test_fresh_project_in_each_phase trains as users do, tracking in test_tracking.py."""
    untracked = {f"{PACKAGE.upper()}_TRACKING": "off"}
    run(["uv", "run", "--no-sync", SLUG, "train"], project, env=untracked)


@pytest.mark.slow
def test_fresh_project_in_each_phase(gate_project: Path, projects: Projects) -> None:
    projects.restore_whole_run("default")  # the project's CI test command, run once a session
    # As the README and CI run it; the other calls use the venv's Python directly.
    table = run(["uv", "run", "--no-sync", SLUG, "gate", "check"], gate_project)
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

    _set_answer(gate_project, "phase: mvp")
    exit_code, report = _check_json(gate_project)
    assert (exit_code, report["phase"], report["blocked"]) == (1, "mvp", True)
    assert _statuses(report) == fresh
    assert [c["id"] for c in report["checks"] if c["blocks"]] == list(unmet)

    _cli(gate_project, "tune", "--trials", "3")
    _cli(gate_project, "train")
    _write(gate_project, "ACCEPTANCE.toml", ACCEPTANCE)
    _cli(gate_project, "model-card")
    exit_code, report = _check_json(gate_project)
    assert exit_code == 0
    assert set(_statuses(report).values()) == {"pass"}
    assert _by_id(report)["MVP007"]["details"][0].startswith("model v1: ")
    assert _by_id(report)["MVP008"]["details"] == [
        "model v1: checksum, library versions and contract match"
    ]
    assert re.fullmatch(
        r"model v1: parameters from 3 trials of TPESampler \(seed 42\) on \S+",
        _by_id(report)["MVP010"]["details"][0],
    )
    assert _by_id(report)["MVP012"]["details"] == ["model v1 accepted by Ana Lopez on 2026-03-02"]
    assert _by_id(report)["MVP014"]["details"] == ["MODEL_CARD.md describes model v1"]

    # An expired prototype is a warning: reported, never blocking, even in the mvp phase.
    _write(gate_project, "scratch/old_idea.py", "# Timebox: until 2020-01-31\nprint(1)\n")
    exit_code, report = _check_json(gate_project, "MVP013")
    assert exit_code == 0
    assert _by_id(report)["MVP013"]["status"] == "warn"
    assert _by_id(report)["MVP013"]["details"] == ["scratch/old_idea.py: timebox ended 2020-01-31"]

    # Retraining makes v2 current: the acceptance of v1 and its card no longer cover it.
    _cli(gate_project, "train")
    exit_code, report = _check_json(gate_project, "MVP012", "MVP014")
    assert exit_code == 1
    assert _by_id(report)["MVP012"]["details"] == [
        "the newest acceptance is for model v1, but the current model is v2"
    ]
    assert _by_id(report)["MVP014"]["details"] == [
        "MODEL_CARD.md describes model v1, the current model is v2: run the model-card command"
    ]
    (gate_project / "ACCEPTANCE.toml").unlink()
    exit_code, report = _check_json(gate_project, "MVP012")
    assert exit_code == 1
    assert _by_id(report)["MVP012"]["blocks"]


@pytest.mark.slow
def test_a_tampered_model_artifact_fails_mvp008(gate_project: Path) -> None:
    _train_untracked(gate_project)
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
    _train_untracked(gate_project)
    _cli(gate_project, "model-card")
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


@pytest.mark.slow
def test_a_model_for_another_contract_fails_mvp007_to_mvp014(gate_project: Path) -> None:
    _train_untracked(gate_project)
    contract = gate_project / f"src/{PACKAGE}/contract.toml"
    contract.write_text(
        contract.read_text(encoding="utf-8").replace("min_rows = 100", "min_rows = 101", 1),
        encoding="utf-8",
    )
    _, report = _check_json(gate_project, "MVP007", "MVP008", "MVP010", "MVP014")
    assert _by_id(report)["MVP008"]["details"] == [
        "model v1 was trained for a different data contract; retrain it with the current "
        "contract.toml"
    ]
    assert {_by_id(report)[i]["status"] for i in ("MVP007", "MVP010", "MVP014")} == {"fail"}


UNTESTED_MODULE = "\n\n".join(
    f"def branch_{n}(x: int) -> int:\n    if x > {n}:\n        return x - {n}\n    return x + {n}\n"
    for n in range(100)
)


@pytest.mark.slow
def test_dropped_coverage_fails_mvp005(gate_project: Path) -> None:
    _write(gate_project, f"src/{PACKAGE}/extra.py", UNTESTED_MODULE)
    _write(gate_project, "tests/unit/test_extra.py", f"import {PACKAGE}.extra  # noqa: F401\n")
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
        'no coverage to trust: no record of a whole test run: run `uv run pytest -m "" --cov` first'
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
LEAK_TEST = f"from {PACKAGE} import leak\n\n\ndef test_leak() -> None:\n    assert leak\n"
A_COMMAND = '''"""My commands."""

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add my subcommands."""
    commands.add_parser("hello", help="Say hello.")
'''
BREAKAGES: dict[str, tuple[dict[str, str], list[str], str, list[str]]] = {
    # name: (files to write, files to delete, check id, details it must report)
    "import scratch in src": (
        {
            f"src/{PACKAGE}/leak.py": "import os\nfrom scratch.helpers import clean\n",
            "tests/unit/test_leak.py": LEAK_TEST,
        },
        [],
        "MVP001",
        [f"src/{PACKAGE}/leak.py:2 imports scratch"],
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
        [f"tests/unit/test_features.py is missing (tests src/{PACKAGE}/features.py)"],
    ),
    "a module of yours in a subpackage, untested": (
        {
            f"src/{PACKAGE}/io/__init__.py": "",
            f"src/{PACKAGE}/io/readers.py": "READERS = ()\n",
        },
        [],
        "MVP003",
        [f"tests/unit/io/test_readers.py is missing (tests src/{PACKAGE}/io/readers.py)"],
    ),
    "commands.py with a command, untested": (
        {f"src/{PACKAGE}/commands.py": A_COMMAND},
        [],
        "MVP003",
        [f"tests/unit/test_commands.py is missing (tests src/{PACKAGE}/commands.py)"],
    ),
    "deleted integration test": (
        {},
        ["tests/integration/test_your_data.py"],
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
    "a data setting that points nowhere": (
        {"pyproject.toml": "MISSING_DATA"},
        [],
        "MVP006",
        ["data/nowhere.csv: no such file"],
    ),
    "prototype without a timebox": (
        {"scratch/quick.py": "import pandas\n"},
        [],
        "MVP013",
        ["scratch/quick.py records no valid timebox"],
    ),
    "an edited, a deleted and an added kit file": (
        {f"{KIT}/cli.py": "EDITED", f"{KIT}/mine.py": "MINE = 1\n"},
        [f"{KIT}/monitor.py"],
        "MVP015",
        [f"{KIT}/cli.py was modified", f"{KIT}/mine.py was added", f"{KIT}/monitor.py is missing"],
    ),
}
EDITS = {
    # marker -> (file whose text is edited, old, new)
    "BROKEN_EXAMPLE": ("data/example/deliveries.csv", ",north,", ",mars,"),
    "MISSING_DATA": ("pyproject.toml", '"data/example/deliveries.csv"', '"data/nowhere.csv"'),
    "EDITED": (f"{KIT}/cli.py", "EXIT_USAGE = 0, 1, 2", "EXIT_USAGE = 0, 1, 3"),
}


@pytest.mark.slow
@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_gate_names_each_broken_criterion(gate_project: Path, breakage: str) -> None:
    writes, deletes, check_id, details = BREAKAGES[breakage]
    for relative, text in writes.items():
        if text in EDITS:  # a shipped file with one edit
            _, old, new = EDITS[text]
            text = (gate_project / relative).read_text(encoding="utf-8")
            assert old in text, (relative, old)
            text = text.replace(old, new, 1)
        _write(gate_project, relative, text)
    for relative in deletes:
        (gate_project / relative).unlink()
    git_commit_all(gate_project, f"Break the gate: {breakage}")
    exit_code, report = _check_json(gate_project, check_id)
    assert exit_code == 0, "the prototype phase only advises"
    check = _by_id(report)[check_id]
    assert check["status"] == ("warn" if check_id == "MVP013" else "fail")
    assert check["details"] == details


@pytest.mark.slow
def test_kit_check_passes_on_a_clean_kit_and_names_the_fix(gate_project: Path) -> None:
    _, report = _check_json(gate_project, "MVP015")
    check = _by_id(report)["MVP015"]
    assert check["status"] == "pass", check["details"]
    tasks = gate_project / KIT / "tasks.py"
    tasks.write_text(tasks.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    _, report = _check_json(gate_project, "MVP015")
    check = _by_id(report)["MVP015"]
    assert (check["status"], check["details"]) == ("fail", [f"{KIT}/tasks.py was modified"])
    assert "commands.py" in check["fix"]
    assert "git checkout" in check["fix"]
    assert "copier recopy" in check["fix"]


PROTECTIVE_RULES = ("E722", "BLE001", "S110", "S112", "T201", "TID251", "C901")
PROTECTIVE_RULES += ("PLR0911", "PLR0912", "PLR0913", "PLR0915", "PLW0603")


def _rules_off(*kept: str) -> list[str]:
    """MVP011's details when only ``kept`` of the protective rules are on."""
    return [
        f"{rule} is not selected, or is ignored" for rule in PROTECTIVE_RULES if rule not in kept
    ]


RUFF_BREAKAGES = {
    # name: (text appended to pyproject.toml, details of MVP011)
    "E722 ignored": ('[tool.ruff.lint]\nignore = ["E722"]\n', _rules_off(*PROTECTIVE_RULES[1:])),
    "select starts over": (
        '[tool.ruff.lint]\nselect = ["E", "F", "S110"]\n',
        _rules_off("E722", "S110"),
    ),
    "S110 off for src/": (
        '[tool.ruff.lint.extend-per-file-ignores]\n"src/**" = ["S110"]\n',
        ['per-file-ignores "src/**" turns off S110 in src/ or tests/'],
    ),
    "print allowed in tests": (
        '[tool.ruff.lint.per-file-ignores]\n"test_*.py" = ["T20"]\n',
        ['per-file-ignores "test_*.py" turns off T201 in src/ or tests/'],
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("breakage", [*RUFF_BREAKAGES, "the kit's rules not extended"])
def test_gate_notices_protective_ruff_rules_turned_off(gate_project: Path, breakage: str) -> None:
    pyproject = gate_project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    _, report = _check_json(gate_project, "MVP011")
    assert _by_id(report)["MVP011"]["status"] == "pass"
    if breakage in RUFF_BREAKAGES:
        added, details = RUFF_BREAKAGES[breakage]
        pyproject.write_text(f"{text}\n{added}", encoding="utf-8")
    else:
        extend = f'extend = "src/{PACKAGE}/_kit/ruff.toml"\n'
        assert extend in text
        pyproject.write_text(text.replace(extend, ""), encoding="utf-8")
        # Ruff's defaults (E4, E7, E9, F) keep only E722; nothing bans scratch imports.
        details = _rules_off("E722")
        details.append('[tool.ruff.lint.flake8-tidy-imports.banned-api] lacks "scratch"')
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
    template_src: Path, tmp_path: Path, venv: Path
) -> None:
    template = make_template_repo(template_src, tmp_path / "template-repo")
    project = tmp_path / "project"
    copier.run_copy(str(template), project, defaults=True, unsafe=False, quiet=True)
    run(["git", "init", "-q", "-b", "main"], project)
    git_commit_all(project, "Start from proto-to-mvp")
    # The checks this switch affects; the whole report is test_fresh_project_in_each_phase's.
    exit_code, report = _check_json(project, "MVP012", "MVP015", venv=venv)
    assert (exit_code, report["phase"]) == (0, "prototype")

    copier.run_update(
        project, data={"phase": "mvp"}, defaults=True, overwrite=True, unsafe=False, quiet=True
    )
    answers = yaml.safe_load((project / ANSWERS).read_text(encoding="utf-8"))
    assert answers["phase"] == "mvp"
    assert answers["_commit"] == "v0.0.1"
    changed = run(["git", "status", "--porcelain"], project).stdout.splitlines()
    assert sorted(line[3:] for line in changed) == [ANSWERS]

    exit_code, report = _check_json(project, "MVP012", "MVP015", venv=venv)
    assert (exit_code, report["phase"], report["blocked"]) == (1, "mvp", True)
    acceptance = _by_id(report)["MVP012"]
    assert (acceptance["status"], acceptance["blocks"]) == ("fail", True)
    assert acceptance["details"] == ["ACCEPTANCE.toml is missing"]
    assert _by_id(report)["MVP015"]["status"] == "pass", "the update kept the kit as shipped"
