"""The template repository keeps its promises: README commands, CI entry point, its own lint."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT, run

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
FIRST_BLOCK = re.search(r"```bash\n(.*?)```", README, flags=re.DOTALL)
assert FIRST_BLOCK, "README.md needs a ```bash block with the two set-up commands"
COMMANDS = [line for line in FIRST_BLOCK.group(1).splitlines() if line.strip()]


def test_readme_gives_exactly_two_setup_commands() -> None:
    assert len(COMMANDS) == 2, COMMANDS
    generate, test = COMMANDS
    assert generate.startswith("uvx copier@")
    assert " copy --defaults " in generate
    assert '"$PWD"' in generate, "an absolute template path keeps `copier update` working"
    assert test == "uv run pytest"


def test_ci_runs_the_readme_test_command() -> None:
    script = (REPO_ROOT / ".ci/run").read_text(encoding="utf-8")
    assert script.rstrip().splitlines()[-1] == COMMANDS[1]
    assert 'pip install --quiet "uv==' in script


def test_repository_code_passes_ruff() -> None:
    subprocess.run(
        [sys.executable, "-m", "ruff", "check", "tests", "bench", "docs"], cwd=REPO_ROOT, check=True
    )
    subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "tests", "bench", "docs"],
        cwd=REPO_ROOT,
        check=True,
    )


@pytest.mark.slow
def test_readme_generate_command_works(tmp_path: Path) -> None:
    """Run the README's first command as written, only with a temporary destination."""
    command = COMMANDS[0].replace("../my-ml-project", str(tmp_path / "my-ml-project"))
    run(["bash", "-c", command], REPO_ROOT)
    assert (tmp_path / "my-ml-project/src/my_ml_project/_kit/cli.py").is_file()


def test_xdist_keeps_a_group_on_one_worker(tmp_path: Path) -> None:
    """tests/conftest.py groups tests that share a built project; pytest 9.2 made pytest-xdist
    ignore groups without a word (pytest-dev/pytest-xdist#1386): pinned pytest must group."""
    (tmp_path / "test_grouped.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.xdist_group('built')\n"
        "@pytest.mark.parametrize('i', range(6))\n"
        "def test_shares(i):\n    pass\n",
        encoding="utf-8",
    )
    args = [
        sys.executable,
        "-m",
        "pytest",
        "-v",
        "-n",
        "2",
        "--dist=loadgroup",
        "-p",
        "no:cacheprovider",
    ]
    result = subprocess.run(
        [*args, "-c", "/dev/null", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    workers = set(re.findall(r"\[(gw\d+)\].* PASSED .*test_shares\[\d\]@built", result.stdout))
    assert len(workers) == 1, result.stdout
