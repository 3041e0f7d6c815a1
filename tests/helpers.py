"""Helpers shared by the template's tests: render the template, run commands in a project."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import socket
import subprocess
import tarfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import copier
import jinja2
import pathspec
import yaml

# `uv run` exports the path of its own binary; prefer it over a `uv` on PATH, which may be a
# pyenv shim that follows each project's .python-version.
UV = os.environ.get("UV") or shutil.which("uv") or "uv"
REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = REPO_ROOT / "template"
COPIER_YML = REPO_ROOT / "copier.yml"
JUNK = ("__pycache__", "*.py[co]", ".pytest_cache", ".ruff_cache", ".venv", ".DS_Store")
ANSWERS_FILE = ".copier-answers.yml"

# Answers that --defaults gives, spelled out so tests can say what they change.
DEFAULTS: dict[str, str] = {
    "project_name": "My ML Project",
    "project_slug": "my-ml-project",
    "package_name": "my_ml_project",
    "problem_type": "classification",
    "python_version": "3.11",
    "license": "MIT",
}


def copier_config() -> dict[str, Any]:
    return yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))


def questions() -> dict[str, dict[str, Any]]:
    """The questions of copier.yml (settings start with an underscore)."""
    return {key: value for key, value in copier_config().items() if not key.startswith("_")}


def snapshot_template(dst: Path) -> Path:
    """Copy copier.yml and template/ into a plain folder (not a git repo).

    Rendering from the snapshot tests the working tree exactly: from a git checkout Copier would
    render the newest tag, or HEAD plus a warning about uncommitted changes.
    """
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy2(COPIER_YML, dst / "copier.yml")
    shutil.copytree(TEMPLATE_DIR, dst / "template", ignore=shutil.ignore_patterns(*JUNK))
    return dst


def render(src: Path, dst: Path, **answers: str) -> Path:
    """Render the template with defaults overridden by ``answers``; no --trust, ever."""
    copier.run_copy(
        str(src), dst, data=answers, defaults=True, unsafe=False, quiet=True, overwrite=True
    )
    return dst


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for commands run inside a generated project.

    Drops the template's own virtualenv and pytest options (a --basetemp meant for the
    template's run would make the project's pytest delete it), never downloads Python (no GitHub
    here), and gives git an identity so commits work on a bare CI machine. Python caches the
    bytecode of what it imports, as on a developer's machine (this one may set
    PYTHONDONTWRITEBYTECODE): cheaper than compiling a whole environment at sync.
    """
    outer = ("VIRTUAL_ENV", "PYTHONPATH", "PYTEST_ADDOPTS")
    env = {k: v for k, v in os.environ.items() if k not in outer}
    env.update(
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
        PYTHONDONTWRITEBYTECODE="",
        GIT_AUTHOR_NAME="Template Tests",
        GIT_AUTHOR_EMAIL="tests@example.com",
        GIT_COMMITTER_NAME="Template Tests",
        GIT_COMMITTER_EMAIL="tests@example.com",
        PRE_COMMIT_HOME=str(Path(os.environ.get("TMPDIR", "/tmp")) / "proto-to-mvp-pre-commit"),
    )
    env.update(extra or {})
    return env


def run(
    args: Sequence[str], cwd: Path, *, check: bool = True, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing output; on an unexpected exit code, fail showing the output."""
    args = [UV if args[0] == "uv" else args[0], *args[1:]]
    result = subprocess.run(
        args, cwd=cwd, env=clean_env(env), capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"`{' '.join(args)}` exited {result.returncode} in {cwd}\n"
            f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
        )
    return result


def ci_tests(project: Path) -> list[str]:
    """The generated CI workflow's test command (the whole suite with coverage), as arguments."""
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text(encoding="utf-8"))
    (command,) = [
        step["run"]
        for step in workflow["jobs"]["checks"]["steps"]
        if " pytest" in step.get("run", "")
    ]
    return shlex.split(command)


def free_port() -> int:
    """A port nothing listens on at 127.0.0.1, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def find_python(version: str) -> str | None:
    """A working interpreter for `version` (on PATH, or installed by pyenv), or None."""
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(
        str(p) for p in Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}")
    )
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "--version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return candidate
    return None


def git_commit_all(project: Path, message: str) -> None:
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-q", "--no-verify", "-m", message], project)


def make_template_repo(src: Path, dst: Path, tag: str = "v0.0.1") -> Path:
    """A git repository of the template snapshot ``src``, committed and tagged ``tag``.

    ``copier update`` needs the template as a versioned git repository: it re-renders the
    version recorded in the project's answers file (``_commit``) to find the user's changes.
    """
    return versioned_template(dst, [(tag, src)])


def versioned_template(dst: Path, versions: Sequence[tuple[str, Path]]) -> Path:
    """A git repository with each (tag, template snapshot) committed and tagged, in order."""
    dst.mkdir(parents=True)
    run(["git", "init", "-q", "-b", "main"], dst)
    for tag, snapshot in versions:
        (dst / "copier.yml").unlink(missing_ok=True)
        shutil.rmtree(dst / "template", ignore_errors=True)
        shutil.copy2(snapshot / "copier.yml", dst / "copier.yml")
        shutil.copytree(snapshot / "template", dst / "template")
        run(["git", "add", "-A"], dst)  # a version may equal the one before: commit it anyway
        run(["git", "commit", "-q", "--no-verify", "--allow-empty", "-m", f"Template {tag}"], dst)
        run(["git", "tag", tag], dst)
    return dst


def releases() -> list[tuple[str, str]]:
    """(tag, commit) of each release in CHANGELOG.md, oldest first.

    A release is the commit that added its ``## vX.Y.Z`` heading to the changelog; tags are not
    used because a fresh clone may not carry them.
    """
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    found = []
    for tag in reversed(re.findall(r"^## (v\d+\.\d+\.\d+)\b", changelog, flags=re.MULTILINE)):
        log = ["git", "log", "--reverse", "--format=%H", "-S", f"## {tag}", "--", "CHANGELOG.md"]
        commits = run(log, REPO_ROOT).stdout.split()
        if not commits:
            raise AssertionError(
                f"CHANGELOG.md names {tag} but no commit in this clone added it: is the clone"
                " shallow? (git fetch --unshallow)"
            )
        found.append((tag, commits[0]))
    return found


def template_at(commit: str, dst: Path) -> Path:
    """``copier.yml`` and ``template/`` as they were at ``commit``, in a plain folder."""
    archive = ["git", "archive", "--format=tar", commit, "copier.yml", "template"]
    tar = subprocess.run(archive, cwd=REPO_ROOT, capture_output=True, check=True).stdout
    dst.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(tar)) as files:
        files.extractall(dst, filter="data")
    return dst


def text_files(root: Path) -> list[Path]:
    """Every file in a rendered project except tool output (.venv, caches, git)."""
    skip = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache"}
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not skip.intersection(path.relative_to(root).parts)
    )


def kit_dir(project: Path, package: str = DEFAULTS["package_name"]) -> Path:
    """The template's wing of a generated project: ``src/<package>/_kit``."""
    return project / "src" / package / "_kit"


def skip_if_exists(answers: Mapping[str, str] | None = None) -> list[str]:
    """copier.yml's ``_skip_if_exists`` patterns, rendered with ``answers`` over the defaults."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    context = {**DEFAULTS, **(answers or {})}
    return [env.from_string(entry).render(context) for entry in copier_config()["_skip_if_exists"]]


def path_matcher(patterns: Sequence[str]) -> Callable[[str], bool]:
    """Whether a project path (POSIX, relative) matches ``patterns`` as Copier matches them."""
    # Copier uses pathspec's gitignore flavour (gitwildmatch before pathspec 1.0).
    flavour = "gitignore" if int(pathspec.__version__.split(".")[0]) >= 1 else "gitwildmatch"
    return pathspec.PathSpec.from_lines(flavour, patterns).match_file


def user_owned_matcher(answers: Mapping[str, str] | None = None) -> Callable[[str], bool]:
    """Whether a project path is the user's (``_skip_if_exists``): updates never touch it."""
    return path_matcher(skip_if_exists(answers))


def template_owned(project: Path, answers: Mapping[str, str] | None = None) -> set[str]:
    """Paths of a fresh render that ``copier update`` replaces: not the user's, not the answers."""
    is_users = user_owned_matcher(answers)
    return {
        relative
        for relative in (p.relative_to(project).as_posix() for p in text_files(project))
        if relative != ANSWERS_FILE and not is_users(relative)
    }
