"""The slow layer: drive generated projects the way a developer would, with their own tools."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from helpers import ci_tests, find_python, render, run

if TYPE_CHECKING:
    from conftest import Projects

pytestmark = pytest.mark.slow


def _uv(project: Path, *args: str, check: bool = True):
    return run(["uv", "run", "--no-sync", *args], project, check=check)


def _status(project: Path) -> str:
    return run(["git", "status", "--porcelain"], project).stdout


def test_ruff_check_is_clean(project: Path) -> None:
    _uv(project, "ruff", "check", ".")


def test_ruff_format_changes_nothing(project: Path) -> None:
    _uv(project, "ruff", "format", "--check", "--diff", ".")


def test_ci_runs_the_whole_suite_with_coverage_and_it_passes(
    project: Path, projects: Projects, variant: str
) -> None:
    command = ci_tests(project)
    assert command[:4] == ["uv", "run", "--no-sync", "pytest"], command
    assert {"-m", "", "--cov"} <= set(command), "CI runs the slow tests too, with coverage"
    result = projects.whole_run(variant)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), summary
    # Skips are allowed: a kit test skips, saying why, what the contract cannot exercise.
    assert not re.search(r"failed|error", summary), summary
    assert "Required test coverage of 85" in result.stdout
    assert (project / "uv.lock").is_file(), "uv sync writes a lock file to commit"
    assert _status(project) == "", "running the tests left files that git would commit"


def _collected(project: Path, *args: str) -> tuple[list[str], str]:
    out = _uv(project, "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args).stdout
    return [line for line in out.splitlines() if "::" in line], out


def test_plain_pytest_is_the_fast_loop_and_says_what_it_left_out(project: Path) -> None:
    fast, out = _collected(project)
    slow, _ = _collected(project, "-m", "slow")
    # pytest's summary: "FAST/WHOLE tests collected (LEFT_OUT deselected)". The slow tests are
    # exactly what the fast loop left out: disjoint from it, and together the whole suite.
    summary = re.search(r"^(\d+)/(\d+) tests collected \((\d+) deselected\)", out, re.M)
    assert summary, out
    kept, whole, left_out = map(int, summary.groups())
    assert not set(fast) & set(slow)
    assert (len(fast), len(slow), len(fast) + len(slow)) == (kept, left_out, whole)
    assert any("_kit/tests/test_tracking.py::" in test for test in slow), slow
    assert any(
        "test_predictor.py::test_predictions_match_the_registered_pipeline[http]" in t for t in slow
    )
    assert len(fast) > 3 * len(slow), "the fast loop is most of the suite"
    assert f"the fast loop: {len(slow)} slow tests left out" in out
    assert 'uv run pytest -m "" --cov' in out


def test_hooks_pass_on_a_fresh_project_and_change_nothing(project: Path) -> None:
    result = _uv(project, "pre-commit", "run", "--all-files")
    assert "Failed" not in result.stdout
    assert _status(project) == "", "hooks rewrote files of a fresh project"


def test_console_script_and_every_subcommand_have_help(project: Path) -> None:
    slug = "my-ml-project"
    top = _uv(project, slug, "--help").stdout
    names = re.findall(r"^\s{4}([a-z][\w-]*)\s", top, flags=re.MULTILINE)
    assert "baseline" in names, top
    for name in names:
        help_text = _uv(project, slug, name, "--help").stdout
        assert help_text.startswith(f"usage: {slug} {name}"), help_text


def test_the_package_runs_as_a_module_through_the_kit(project: Path) -> None:
    """The user's __main__.py hands over to the kit's command line."""
    top = _uv(project, "python", "-m", "my_ml_project", "--help").stdout
    assert re.search(r"^\s{4}gate\s", top, flags=re.MULTILINE), top


def test_baseline_command_scores_the_example_data(project: Path) -> None:
    out = _uv(project, "my-ml-project", "baseline").stdout
    rule = r"(most frequent label|mean target) per region"  # classification | regression
    assert re.search(rf"baseline \({rule}\) on 200 holdout rows", out), out


def test_validate_passes_the_example_and_reports_a_broken_copy(project: Path) -> None:
    ok = _uv(project, "my-ml-project", "validate")
    assert "data/example/deliveries.csv: valid (1000 rows" in ok.stdout
    rows = (project / "data/example/deliveries.csv").read_text(encoding="utf-8").splitlines()
    rows[3] = rows[3].replace(rows[3].split(",")[1], "mars", 1)  # region of the third row
    broken = project / "broken.csv"
    broken.write_text("\n".join(rows) + "\n", encoding="utf-8")
    try:
        result = _uv(project, "my-ml-project", "validate", "broken.csv", check=False)
    finally:
        broken.unlink()
    assert result.returncode == 1
    assert "broken.csv: INVALID (1000 rows, 1 of" in result.stdout
    assert "region: values must be one of centre, north, south, east, west" in result.stdout
    assert "1 unexpected (0.1%): row 3 = 'mars'" in result.stdout


def test_oldest_supported_python_project_is_green(template_src: Path, tmp_path: Path) -> None:
    """Python 3.10 resolves older pandas and numpy (2.x): the project must pass on them too."""
    python = find_python("3.10")
    if python is None:
        pytest.skip("no Python 3.10 interpreter on this machine (uv may not download one here)")
    project = render(template_src, tmp_path / "py310", python_version="3.10")
    run(["uv", "sync", "--quiet", "--python", python], project)
    _uv(project, "ruff", "check", ".")
    result = _uv(project, "pytest", "-q", "-p", "no:cacheprovider")
    assert re.search(r"\d+ passed", result.stdout.splitlines()[-1])


def test_example_notebook_runs(project: Path) -> None:
    notebook = json.loads((project / "scratch/explore_example.ipynb").read_text(encoding="utf-8"))
    code = "\n".join(
        "".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"
    )
    run([str(project / ".venv/bin/python"), "-c", code], project / "scratch")


BREAKAGES = {
    "scratch import in src": (
        "src/my_ml_project/leak.py",
        "from scratch.helpers import clean\n\nVALUE = clean\n",
        "TID251",
    ),
    "bare except": (
        "src/my_ml_project/leak.py",
        "def f() -> int:\n    try:\n        return 1\n    except:\n        return 0\n",
        "E722",
    ),
    "blind except and pass": (
        "src/my_ml_project/leak.py",
        "def f() -> None:\n    try:\n        open('x')\n    except Exception:\n        pass\n",
        "BLE001",
    ),
    "print in the package": ("src/my_ml_project/leak.py", "print('debug')\n", "T201"),
    "global state": (
        "src/my_ml_project/leak.py",
        "CACHE = None\n\n\ndef f() -> None:\n    global CACHE\n    CACHE = 1\n",
        "PLW0603",
    ),
    "scratch import in tests": ("tests/unit/test_leak.py", "import scratch\n", "TID251"),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_ruff_refuses_what_breaks_ml_code(scratch_project: Path, breakage: str) -> None:
    relative, source, rule = BREAKAGES[breakage]
    (scratch_project / relative).write_text(source, encoding="utf-8")
    result = _uv(scratch_project, "ruff", "check", "--no-fix", relative, check=False)
    assert result.returncode == 1
    assert rule in result.stdout


def test_scratch_is_lenient(scratch_project: Path) -> None:
    (scratch_project / "scratch/quick.py").write_text(
        "import os\ntry:\n    print(os.getcwd())\nexcept Exception:\n    pass\n", encoding="utf-8"
    )
    _uv(scratch_project, "ruff", "check", "scratch/quick.py")


def test_hooks_refuse_copier_conflict_markers(scratch_project: Path) -> None:
    readme = scratch_project / "README.md"
    readme.write_text(
        readme.read_text(encoding="utf-8")
        + "<<<<<<< before updating\nmine\n=======\ntheirs\n>>>>>>> after updating\n",
        encoding="utf-8",
    )
    run(["git", "add", "-A"], scratch_project)
    result = _uv(scratch_project, "pre-commit", "run", "no-conflict-markers", check=False)
    assert result.returncode == 1
    assert "README.md" in result.stdout


def test_hooks_refuse_rej_files(scratch_project: Path) -> None:
    (scratch_project / "pyproject.toml.rej").write_text("@@ -1 +1 @@\n-a\n+b\n", encoding="utf-8")
    run(["git", "add", "-A"], scratch_project)
    result = _uv(scratch_project, "pre-commit", "run", "no-rej-files", check=False)
    assert result.returncode == 1
    assert "pyproject.toml.rej" in result.stdout


def test_hooks_strip_notebook_outputs(scratch_project: Path) -> None:
    path = scratch_project / "scratch/explore_example.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code_cell = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    code_cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["secret\n"]}]
    code_cell["execution_count"] = 3
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    run(["git", "add", "-A"], scratch_project)
    result = _uv(scratch_project, "pre-commit", "run", "nbstripout", check=False)
    assert result.returncode == 1, "the hook reports that it rewrote the notebook"
    assert "secret" not in path.read_text(encoding="utf-8")


def test_hooks_refuse_private_keys_and_large_files(scratch_project: Path) -> None:
    (scratch_project / "deploy.txt").write_text(
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n", encoding="utf-8"
    )
    (scratch_project / "data/example/big.csv").write_text("x\n" * 600_000, encoding="utf-8")
    run(["git", "add", "-A"], scratch_project)
    keys = _uv(scratch_project, "pre-commit", "run", "no-private-keys", check=False)
    large = _uv(scratch_project, "pre-commit", "run", "no-large-files", check=False)
    assert keys.returncode == 1
    assert "deploy.txt" in keys.stdout
    assert large.returncode == 1
    assert "big.csv" in large.stdout
