"""Update replays: a project with a week of user work, brought up to date by `copier update`.

Modelled on Copier's own update tests: version 1 -> tag -> copy -> commit -> user edits ->
version 2 -> tag -> update, then assertions on file contents. Both versions live in a temporary
git repository, tagged.

- The next release: version 1 is this working tree, version 2 a copy of it in which every
  template-owned file changed in the middle and at the end. Nothing may conflict, every user
  file stays exactly as the user left it, every template-owned file becomes version 2's.
- From v0.2.0 (the flat layout, found from CHANGELOG.md's history: a fresh clone may lack tags)
  to this working tree, with the one-time migration recipe of CHANGELOG.md, run as written.
- From the last release (CHANGELOG.md's newest) to this working tree, with that release's
  "Updating from" notes run as written: the path every user on the last release takes.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shlex
import shutil
import sys
import tomllib
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import copier
import jinja2
import pytest
import yaml
from helpers import (
    ANSWERS_FILE,
    DEFAULTS,
    REPO_ROOT,
    UV,
    git_commit_all,
    kit_dir,
    releases,
    render,
    run,
    template_at,
    template_owned,
    text_files,
    user_owned_matcher,
    versioned_template,
)

pytestmark = pytest.mark.slow
PACKAGE, SLUG = DEFAULTS["package_name"], DEFAULTS["project_slug"]
SRC = f"src/{PACKAGE}"
MARKERS = re.compile(r"^(<<<<<<<|>>>>>>>) ", flags=re.MULTILINE)
DEPENDENCY = "python-dateutil"  # small, pure Python, already in every project's lock (pandas)

# --- A week of user work ----------------------------------------------------------------------

OLD_DESCRIPTION = "Predicts an outcome from tabular data, from prototype to MVP."
NEW_DESCRIPTION = "Predicts which deliveries will be late, for the dispatch team."
README_MIDDLE = """## Dispatch

The dispatch team reads the predictions every morning; ask Ana before changing the threshold.

"""
README_END = """
## Contacts

Ana Lopez (dispatch), Sam Okafor (data).
"""
RUSH = '''"""Rush hours: when deliveries are late more often."""

import pandas as pd

RUSH_HOURS = frozenset({12, 13, 18, 19, 20})


def is_rush_hour(hours: pd.Series) -> pd.Series:
    """True for orders placed during the lunch or dinner rush."""
    return hours.isin(RUSH_HOURS)
'''
RUSH_TEST = f"""import pandas as pd

from {PACKAGE}.rush import is_rush_hour


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
    f"{SRC}/rush.py": RUSH,
    "tests/unit/test_rush.py": RUSH_TEST,
    "scratch/rush_hours.ipynb": json.dumps(NOTEBOOK, indent=1, sort_keys=True) + "\n",
}
# (file, old text, new text): a column described better and a rule made tighter (the example
# data stays valid: its longest distance is 18.4 km).
CONTRACT_EDITS = [
    (
        f"{SRC}/contract.toml",
        'description = "Delivery region."',
        'description = "Delivery region: the dispatch zone the order left from."',
    ),
    (f"{SRC}/contract.toml", "max = 100.0", "max = 80.0"),
]
# Edits that apply in either layout, as (file, old text, new text); bench/update.py uses them.
USER_EDITS = [("README.md", OLD_DESCRIPTION, NEW_DESCRIPTION), *CONTRACT_EDITS]
# Their features and model, changed in the middle and at the end.
FEATURE_HELPER = '''

def feature_names(contract: Contract) -> list[str]:
    """The model's input columns, numbers first, for our notebooks."""
    return [*contract.numeric_features, *contract.categorical_features]
'''
MODEL_HELPER = '''

def describe(task: str) -> str:
    """One line for our reports: the estimator with its default parameters."""
    return repr(build_estimator(task, default_params(task)))
'''
CODE_EDITS = [
    (f"{SRC}/features.py", 'SimpleImputer(strategy="median")', 'SimpleImputer(strategy="mean")'),
    (
        f"{SRC}/model.py",
        '{"C": 1.0, "class_weight": "balanced"}',
        '{"C": 0.5, "class_weight": None}',
    ),
    (f"{SRC}/model.py", "max_iter=1000", "max_iter=2000"),
]
APPENDED = {f"{SRC}/features.py": FEATURE_HELPER, f"{SRC}/model.py": MODEL_HELPER}
# v0.2.0 pinned the contract's ranges in the template's own tests: a user who tightened the
# contract there had to follow in them (v0.3.0 moves those tests into the kit).
OLD_PINNED_TESTS = [
    ("tests/unit/test_schema.py", "(0.0, 100.0)", "(0.0, 80.0)"),
    (
        "tests/unit/test_validation.py",
        '"values must be at most 100"',
        '"values must be at most 80"',
    ),
]


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer contains {old!r}: update this test"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _add_readme_sections(readme: Path) -> None:
    """The description replaced, a section before the second heading and one at the end."""
    text = readme.read_text(encoding="utf-8")
    assert OLD_DESCRIPTION in text, "README.md no longer repeats the description: update this test"
    headings = [match.start() for match in re.finditer(r"^## ", text, flags=re.MULTILINE)]
    assert len(headings) >= 2, "README.md needs two sections to insert one between them"
    text = text[: headings[1]] + README_MIDDLE + text[headings[1] :] + README_END
    readme.write_text(text.replace(OLD_DESCRIPTION, NEW_DESCRIPTION), encoding="utf-8")


def _start(repo: Path, tag: str, project: Path) -> Path:
    """A project copied from ``tag``, synced and committed, as a user starts one."""
    copier.run_copy(str(repo), project, vcs_ref=tag, defaults=True, unsafe=False, quiet=True)
    run(["uv", "sync", "--quiet"], project)
    run(["git", "init", "-q", "-b", "main"], project)
    git_commit_all(project, "Start from proto-to-mvp")
    return project


def _the_usual_week(project: Path) -> None:
    """What every user does: own module, test and notebook, contract, README, a dependency."""
    for relative, text in USER_FILES.items():
        (project / relative).write_text(text, encoding="utf-8")
    for relative, old, new in CONTRACT_EDITS:
        _replace(project / relative, old, new)
    _add_readme_sections(project / "README.md")
    run(["uv", "add", "--quiet", DEPENDENCY], project)


def _committed(project: Path) -> dict[str, bytes]:
    """Every file git tracks, as committed."""
    tracked = run(["git", "ls-files", "-z"], project).stdout.split("\0")
    return {relative: (project / relative).read_bytes() for relative in filter(None, tracked)}


def _changed(project: Path) -> set[str]:
    """Paths ``git status`` reports (renames count both sides)."""
    lines = run(["git", "status", "--porcelain", "-uall"], project).stdout.splitlines()
    return {part for line in lines for part in line[3:].split(" -> ")}


def _no_conflicts(project: Path, fresh: Path) -> None:
    """No markers (except in a file exactly as ``fresh`` has it), no .rej, nothing unmerged."""
    for path in text_files(project):
        relative = path.relative_to(project)
        if "models" in relative.parts or _same_bytes(path, fresh / relative):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not MARKERS.search(text), f"conflict markers in {relative}"
    assert not list(project.rglob("*.rej")), "the update left .rej files"
    status = run(["git", "status", "--porcelain"], project).stdout.splitlines()
    unmerged = [line for line in status if line[:2] in {"UU", "AA", "DU", "UD"}]
    assert not unmerged, unmerged


def _same_bytes(path: Path, other: Path) -> bool:
    return other.is_file() and other.read_bytes() == path.read_bytes()


def _uv(project: Path, *args: str, check: bool = True):
    return run(["uv", "run", "--no-sync", *args], project, check=check)


def _checks_are_green(project: Path, *, tests_and_gate: bool = True) -> None:
    """What the project's CI and hooks run, after a sync."""
    run(["uv", "sync", "--quiet"], project)
    _uv(project, "ruff", "check", ".")
    _uv(project, "ruff", "format", "--check", ".")
    if tests_and_gate:
        tests = _uv(project, "pytest", "-q", "-p", "no:cacheprovider")
        summary = tests.stdout.strip().splitlines()[-1]
        assert re.search(r"\d+ passed", summary), summary
        assert not re.search(r"failed|error", summary), summary
        gate = _uv(project, SLUG, "gate", "check")
        assert "nothing blocks" in gate.stdout, gate.stdout
    run(["git", "add", "-A"], project)
    _uv(project, "pre-commit", "run", "--all-files")


def _next(tag: str) -> str:
    major, minor, _ = (int(part) for part in tag[1:].split("."))
    return f"v{major}.{minor + 1}.0"


# --- The next release: every template-owned file changed in the middle and at the end ---------

MIDDLE = "Changed by the next release, in the middle of this file."
END = "Changed by the next release, at the end of this file."
HASH_COMMENTS = (".dockerignore", ".editorconfig", ".gitignore", ".python-version")
JINJA_OPEN = re.compile(r"{%-?\s*(if|for|macro|call|filter|raw|block)\b")
JINJA_CLOSE = re.compile(r"{%-?\s*end(if|for|macro|call|filter|raw|block)\b")


def _kind(name: str) -> str:
    """How to change a file without changing what it means, by its rendered name."""
    if name == "manifest.txt":
        return "manifest"
    if name == "Dockerfile":
        return "dockerfile"
    if name == "LICENSE" or name.endswith((".md", ".txt")):
        return "text"
    for kind, suffixes in (("python", (".py",)), ("toml", (".toml",)), ("yaml", (".yml", ".yaml"))):
        if name.endswith(suffixes):
            return kind
    if name in HASH_COMMENTS or name.endswith(".properties"):
        return "lines"
    raise AssertionError(f"{name}: teach tests/test_update.py how to change this kind of file")


def _outside_jinja_blocks(lines: list[str]) -> list[bool]:
    """Per line: not inside a Jinja if/for block (text there may render twice, or never)."""
    depth, flags = 0, []
    for line in lines:
        flags.append(depth == 0 and "{%" not in line and "{{" not in line)
        depth += len(JINJA_OPEN.findall(line)) - len(JINJA_CLOSE.findall(line))
    return flags


def _python_starts(text: str, lines: list[str]) -> list[int]:
    """Lines where a top-level statement (or its first decorator) starts."""
    try:
        tree = ast.parse(text)
    except SyntaxError:  # Jinja in a .py.jinja source: statements that start at column 0
        pattern = re.compile(r"(async def |def |class |@|[A-Za-z_]\w* = )")
        return [i for i, line in enumerate(lines) if pattern.match(line)]
    starts = [
        min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
        for node in tree.body
    ]
    return starts[1:] or starts  # after the module docstring, if there is anything after it


def _yaml_starts(lines: list[str]) -> list[int]:
    """Lines that start a key or a list item, outside block scalars (`run: |`)."""
    starts, scalar_indent = [], None
    for i, line in enumerate(lines):
        stripped, indent = line.strip(), len(line) - len(line.lstrip())
        if scalar_indent is not None:
            if not stripped or indent > scalar_indent:
                continue
            scalar_indent = None
        if stripped.startswith("- ") or re.match(r"[\w.\"'-]+:", stripped):
            starts.append(i)
        if re.search(r"(:|^-)\s*[|>][-+0-9]*\s*$", stripped):
            scalar_indent = indent
    return starts


def _toml_starts(lines: list[str]) -> list[int]:
    """Table headers and keys at column 0, outside multi-line strings."""
    starts, in_string = [], False
    for i, line in enumerate(lines):
        if not in_string and re.match(r"(\[|[A-Za-z0-9_\"'-]+\s*=)", line):
            starts.append(i)
        if (line.count('"""') + line.count("'''")) % 2:
            in_string = not in_string
    return starts


def _text_starts(lines: list[str]) -> list[int]:
    """Paragraph starts (after a blank line, not indented) outside code fences."""
    starts, fenced = [], False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.strip() and line[:1] not in " \t":
            starts += [i] if i == 0 or not lines[i - 1].strip() else []
    return starts


def _dockerfile_starts(lines: list[str]) -> list[int]:
    return [
        i
        for i, line in enumerate(lines)
        if re.match(r"[A-Z]+\s", line) and (i == 0 or not lines[i - 1].rstrip().endswith("\\"))
    ]


STARTS = {
    "dockerfile": _dockerfile_starts,
    "text": _text_starts,
    "toml": _toml_starts,
    "yaml": _yaml_starts,
    "lines": lambda lines: list(range(len(lines) + 1)),
}


def _same_meaning(kind: str, old: str, new: str) -> bool:
    """Whether ``new`` parses to what ``old`` does (comments do not count)."""
    if kind == "python":
        return ast.dump(ast.parse(old)) == ast.dump(ast.parse(new))
    if kind == "toml":
        return tomllib.loads(old) == tomllib.loads(new)
    if kind == "yaml":
        return yaml.safe_load(old) == yaml.safe_load(new)
    return True


def _touch(text: str, kind: str, *, jinja: bool) -> str:
    """``text`` with MIDDLE inserted near its middle and END appended, meaning unchanged."""
    lines = text.splitlines(keepends=True)
    starts = _python_starts(text, lines) if kind == "python" else STARTS[kind](lines)
    if jinja:
        outside = [*_outside_jinja_blocks(lines), True]
        starts = [i for i in starts if outside[i]]
    starts.sort(key=lambda i: (abs(i - len(lines) / 2), i))
    if kind == "text":
        end = ("\n" if text.strip() else "") + END + "\n"
    elif kind == "python":  # ruff format wants two blank lines between a def and a comment
        end = ("\n\n" if _ends_with_a_definition(text, lines) else "") + f"# {END}\n"
    else:
        end = f"# {END}\n"
    for start in starts or [0]:
        if kind == "text":
            inserted = f"{MIDDLE}\n\n"
        else:
            following = lines[start] if start < len(lines) else ""
            indent = following[: len(following) - len(following.lstrip())]
            inserted = f"{indent}# {MIDDLE}\n"
        touched = "".join([*lines[:start], inserted, *lines[start:]]) + end
        if jinja or _same_meaning(kind, text, touched):
            return touched
    raise AssertionError(f"no place for a {kind} comment that keeps the file's meaning")


def _ends_with_a_definition(text: str, lines: list[str]) -> bool:
    try:
        body = ast.parse(text).body
    except SyntaxError:  # Jinja: an indented last line ends a block, maybe a definition's
        code = [line for line in lines if line.strip()]
        return bool(code) and code[-1][:1] in " \t"
    return bool(body) and isinstance(
        body[-1], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    )


def _rendered_name(source: Path, answers: dict[str, str]) -> str | None:
    """Where a file of template/ lands in a project (None: not rendered for these answers)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    context = {**answers, "_copier_conf": {"answers_file": ANSWERS_FILE}}
    parts = [env.from_string(part).render(context) for part in source.parts]
    if not all(parts):
        return None
    return "/".join(parts).removesuffix(".jinja")


def _next_release(current: Path, dst: Path) -> Path:
    """A copy of the template snapshot ``current`` with every template-owned file touched.

    Files the user owns (``_skip_if_exists``) and the answers file stay as they are; the kit's
    manifest is written again when tests/kit_manifest.py can, since it hashes the kit's files.
    """
    newer = Path(shutil.copytree(current, dst))
    templates = newer / "template"
    is_users = user_owned_matcher()
    for source in sorted(p for p in templates.rglob("*") if p.is_file()):
        relative = source.relative_to(templates)
        name = _rendered_name(relative, DEFAULTS)
        if name is None or name == ANSWERS_FILE or is_users(name):
            continue
        kind = _kind(name.rsplit("/", 1)[-1])
        if kind != "manifest":
            text = source.read_text(encoding="utf-8")
            touched = _touch(text, kind, jinja=source.suffix == ".jinja")
            source.write_text(touched, encoding="utf-8")
    manifest = templates / "src" / "{{package_name}}" / "_kit" / "manifest.txt"
    if manifest.is_file() and importlib.util.find_spec("kit_manifest"):
        from kit_manifest import manifest_text

        manifest.write_text(manifest_text(manifest.parent), encoding="utf-8", newline="\n")
    return newer


@dataclass(frozen=True)
class Updated:
    project: Path
    tag: str  # the version the project was updated to
    fresh: Path  # what that version generates with the same answers
    owned: frozenset[str]  # the paths copier update replaces (template-owned)
    before: dict[str, bytes]  # every tracked file as the user committed it, before the update


@pytest.fixture(scope="module")
def next_release(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Updated:
    base = tmp_path_factory.mktemp("next-release")
    current = _next(releases()[-1][0])  # this working tree, as the release it is becoming
    following = _next(current)
    newer = _next_release(template_src, base / "template-next")
    repo = versioned_template(base / "repo", [(current, template_src), (following, newer)])
    project = _start(repo, current, base / "project")

    # A week of work: the shared kind, plus their features and model changed in the middle and
    # at the end, and a model trained (git ignores models/, so it must survive on disk).
    _the_usual_week(project)
    for relative, old, new in CODE_EDITS:
        _replace(project / relative, old, new)
    for relative, helper in APPENDED.items():
        with (project / relative).open("a", encoding="utf-8") as code:
            code.write(helper)
    _uv(project, SLUG, "train")
    git_commit_all(project, "Rush hours, our features and model, a tighter contract")
    before = _committed(project)

    copier.run_update(project, defaults=True, overwrite=True, unsafe=False, quiet=True)
    fresh = render(newer, base / "fresh")
    return Updated(project, following, fresh, frozenset(template_owned(fresh)), before)


def test_the_next_release_changes_every_template_owned_file(
    template_src: Path, next_release: Updated, tmp_path: Path
) -> None:
    """The harness itself: each template-owned file differs, with the same meaning."""
    current = render(template_src, tmp_path / "current")
    assert template_owned(current) == next_release.owned, "the next release adds or drops files"
    assert len(next_release.owned) > 50, sorted(next_release.owned)
    for relative in sorted(next_release.owned):
        old = (current / relative).read_text(encoding="utf-8")
        new = (next_release.fresh / relative).read_text(encoding="utf-8")
        assert new != old, f"{relative}: the next release does not change it"
        kind = _kind(relative.rsplit("/", 1)[-1])
        if kind == "manifest":
            continue
        lines = [line.strip().lstrip("# ") for line in new.splitlines()]
        assert lines.count(MIDDLE) == 1, f"{relative}: the middle change is missing or repeated"
        assert lines[-1] == END, f"{relative}: the change at the end is missing"
        assert _same_meaning(kind, old, new), f"{relative}: the change alters its meaning"


def test_next_release_user_work_is_intact(next_release: Updated) -> None:
    project, before = next_release.project, next_release.before
    changed = _changed(project)
    assert changed <= next_release.owned | {ANSWERS_FILE}, sorted(changed - next_release.owned)
    for relative, content in before.items():
        if relative not in next_release.owned and relative != ANSWERS_FILE:
            assert (project / relative).read_bytes() == content, f"{relative} changed"
    for relative, text in USER_FILES.items():
        assert (project / relative).read_text(encoding="utf-8") == text, relative
    for relative, _, new in [*CODE_EDITS, *CONTRACT_EDITS]:
        assert new in (project / relative).read_text(encoding="utf-8"), relative
    for relative, helper in APPENDED.items():
        assert (project / relative).read_text(encoding="utf-8").endswith(helper), relative
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert NEW_DESCRIPTION in readme
    assert README_MIDDLE in readme
    assert readme.endswith(README_END)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert any(dep.startswith(DEPENDENCY) for dep in pyproject["project"]["dependencies"])
    assert (project / "models/v1/model.pkl").is_file(), "the trained model is still there"


def test_next_release_arrives_in_every_template_owned_file(next_release: Updated) -> None:
    for relative in sorted(next_release.owned):
        updated = next_release.project / relative
        assert updated.is_file(), f"{relative} did not arrive"
        assert updated.read_bytes() == (next_release.fresh / relative).read_bytes(), (
            f"{relative} differs from the next release"
        )


def test_next_release_leaves_no_conflicts_and_advances_the_answers(next_release: Updated) -> None:
    _no_conflicts(next_release.project, next_release.fresh)
    answers = yaml.safe_load((next_release.project / ANSWERS_FILE).read_text(encoding="utf-8"))
    assert answers["_commit"] == next_release.tag


def test_next_release_project_lints_and_hooks_pass(next_release: Updated) -> None:
    """Lint and hooks only: its code is this tree's with comments added, and the full checks
    (tests, gate) run on a real update in test_last_release_update_is_green."""
    _checks_are_green(next_release.project, tests_and_gate=False)


def test_switching_to_mvp_phase_turns_the_gate_on(next_release: Updated) -> None:
    project = next_release.project
    git_commit_all(project, f"Update to proto-to-mvp {next_release.tag}")
    copier.run_update(
        project, data={"phase": "mvp"}, defaults=True, overwrite=True, unsafe=False, quiet=True
    )
    assert _changed(project) == {ANSWERS_FILE}, "the phase is an answer, nothing else changes"
    gate = _uv(project, SLUG, "gate", "check", check=False)
    assert gate.returncode == 1, gate.stdout
    assert "MVP readiness, mvp phase" in gate.stdout
    assert "ACCEPTANCE.toml is missing" in gate.stdout


# --- From v0.2.0, the flat layout, with the one-time migration of CHANGELOG.md -----------------

MIGRATE_FROM = "v0.2.0"
# The v0.2.0 files the recipe removes so that the update writes v0.3.0's seeds in their place.
RESEEDED = [
    f"{SRC}/__main__.py",
    f"{SRC}/features.py",
    f"{SRC}/model.py",
    f"{SRC}/baseline.py",
    "tests/conftest.py",
    "tests/unit/test_features.py",
    "tests/unit/test_model.py",
    "tests/unit/test_baseline.py",
]
OLD_LAYOUT = ["gate/__main__.py", f"{SRC}/cli.py", f"{SRC}/evaluate.py", "tests/unit/test_cli.py"]


def _migration_recipe() -> tuple[str, str]:
    """The two command blocks of CHANGELOG.md's "Updating from v0.2.0", as a test runs them.

    The first makes room for the new seeds and updates; between them the user carries their
    own changes over by hand; the second checks the result.
    """
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    section = re.search(
        rf"^### Updating from {re.escape(MIGRATE_FROM)}\n(.*?)(?=^##)",
        changelog,
        flags=re.MULTILINE | re.DOTALL,
    )
    assert section, f"CHANGELOG.md needs a '### Updating from {MIGRATE_FROM}' section"
    blocks = re.findall(r"```bash\n(.*?)```", section.group(1), flags=re.DOTALL)
    assert len(blocks) == 2, "the migration gives two command blocks: update, then check"
    pinned = f"uvx copier@{version('copier')} "
    assert pinned in blocks[0], f"the recipe runs the copier this suite tests: {pinned}"
    copier_here = f"{shlex.quote(sys.executable)} -m copier "
    return tuple(  # type: ignore[return-value]
        block.replace("<package>", PACKAGE).replace("<slug>", SLUG).replace(pinned, copier_here)
        for block in blocks
    )


def _bash(script: str, project: Path) -> str:
    """Run commands as a user types them (uv from this suite's PATH), failing on the first."""
    path = f"{Path(UV).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return run(["bash", "-euo", "pipefail", "-c", script], project, env={"PATH": path}).stdout


@dataclass(frozen=True)
class Migrated:
    project: Path
    tag: str
    fresh: Path  # what this working tree generates with the same answers
    old: Path  # what v0.2.0 generates with the same answers
    before: dict[str, bytes]
    check: str  # the recipe's second block


@pytest.fixture(scope="module")
def migrated(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Migrated:
    base = tmp_path_factory.mktemp("migration")
    commits = dict(releases())
    assert MIGRATE_FROM in commits, f"CHANGELOG.md no longer records {MIGRATE_FROM}"
    old = template_at(commits[MIGRATE_FROM], base / MIGRATE_FROM)
    new_tag = _next(releases()[-1][0])
    repo = versioned_template(base / "repo", [(MIGRATE_FROM, old), (new_tag, template_src)])
    update, check = _migration_recipe()
    project = _start(repo, MIGRATE_FROM, base / "project")

    _the_usual_week(project)
    for relative, old_text, new_text in OLD_PINNED_TESTS:
        _replace(project / relative, old_text, new_text)
    _uv(project, SLUG, "train")
    git_commit_all(project, "Rush hours, our description and sections, a tighter contract")
    before = _committed(project)

    _bash(update, project)
    run(["uv", "add", "--quiet", DEPENDENCY], project)  # by hand: their dependency, back
    fresh = render(template_src, base / "fresh")
    old_render = copier.run_copy(
        str(repo), base / "old-render", vcs_ref=MIGRATE_FROM, defaults=True, quiet=True
    ).dst_path
    return Migrated(project, new_tag, fresh, Path(old_render), before, check)


def test_migration_keeps_the_users_own_work(migrated: Migrated) -> None:
    project, before = migrated.project, migrated.before
    kept = [*USER_FILES, "README.md", f"{SRC}/contract.toml", f"{SRC}/__init__.py", ".gitignore"]
    for relative in kept:
        assert (project / relative).read_bytes() == before[relative], f"{relative} changed"
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert any(dep.startswith(DEPENDENCY) for dep in pyproject["project"]["dependencies"])
    assert (project / "models/v1/model.pkl").is_file(), "the trained model is still there"


def test_migration_brings_the_new_layout_and_removes_the_old(migrated: Migrated) -> None:
    project, fresh, before = migrated.project, migrated.fresh, migrated.before
    is_users = user_owned_matcher()
    for path in text_files(fresh):
        relative = path.relative_to(fresh).as_posix()
        assert (project / relative).is_file(), f"{relative} is missing after the migration"
        now = (project / relative).read_bytes()
        if relative in (ANSWERS_FILE, "pyproject.toml") or (
            is_users(relative) and now == before.get(relative)
        ):
            continue  # the user's, kept as they were; pyproject.toml is checked below
        assert now == path.read_bytes(), f"{relative} differs from a fresh render"
    for relative in RESEEDED:
        assert (project / relative).read_bytes() == (fresh / relative).read_bytes(), relative
    pyproject, seed = (
        tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        for root in (project, fresh)
    )
    added = set(pyproject["project"].pop("dependencies")) - set(seed["project"].pop("dependencies"))
    assert [dep.split(">")[0] for dep in added] == [DEPENDENCY], "only their dependency is new"
    assert pyproject == seed, "pyproject.toml is the new seed plus their dependency"
    old_only = {p.relative_to(migrated.old).as_posix() for p in text_files(migrated.old)}
    old_only -= {p.relative_to(fresh).as_posix() for p in text_files(fresh)}
    assert set(OLD_LAYOUT) <= old_only
    for relative in sorted(old_only):
        assert not (project / relative).exists(), f"{relative} belongs to the old layout"
    assert kit_dir(project).is_dir()


def test_migration_leaves_no_conflicts_and_advances_the_answers(migrated: Migrated) -> None:
    _no_conflicts(migrated.project, migrated.fresh)
    answers = yaml.safe_load((migrated.project / ANSWERS_FILE).read_text(encoding="utf-8"))
    assert answers["_commit"] == migrated.tag


def test_migrated_project_is_green(migrated: Migrated) -> None:
    output = _bash(migrated.check, migrated.project)  # the recipe's own check, as written
    assert "nothing blocks" in output, output
    _checks_are_green(migrated.project, tests_and_gate=False)  # the recipe ran those


# --- From the last release to this tree, as a user on it updates ---------------------------


def _updating_notes(tag: str) -> list[str]:
    """The bash blocks of CHANGELOG.md's "Updating from <tag>" (none: nothing to do by hand)."""
    changelog = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    section = re.search(
        rf"^### Updating from {re.escape(tag)}\n(.*?)(?=^##)",
        changelog,
        flags=re.MULTILINE | re.DOTALL,
    )
    blocks = re.findall(r"```bash\n(.*?)```", section.group(1), flags=re.DOTALL) if section else []
    return [block.replace("<package>", PACKAGE).replace("<slug>", SLUG) for block in blocks]


@dataclass(frozen=True)
class FromLastRelease:
    project: Path
    fresh: Path  # what this working tree generates with the same answers
    before: dict[str, bytes]


@pytest.fixture(scope="module")
def from_last_release(
    template_src: Path, tmp_path_factory: pytest.TempPathFactory
) -> FromLastRelease:
    """A week of work on the newest release, then `copier update` to this working tree and
    the CHANGELOG's updating notes for that release, run as written."""
    base = tmp_path_factory.mktemp("from-last-release")
    tag, commit = releases()[-1]
    old = template_at(commit, base / tag)
    repo = versioned_template(base / "repo", [(tag, old), (_next(tag), template_src)])
    project = _start(repo, tag, base / "project")
    _the_usual_week(project)
    _uv(project, SLUG, "train")
    git_commit_all(project, "Rush hours, our description and sections, a tighter contract")
    before = _committed(project)

    copier.run_update(project, defaults=True, overwrite=True, unsafe=False, quiet=True)
    for block in _updating_notes(tag):
        _bash(block, project)
    return FromLastRelease(project, render(template_src, base / "fresh"), before)


def test_last_release_update_keeps_the_users_files(from_last_release: FromLastRelease) -> None:
    project, before = from_last_release.project, from_last_release.before
    is_users = user_owned_matcher()
    for relative, committed in before.items():
        if is_users(relative) and relative not in ("pyproject.toml", ".gitignore"):
            assert (project / relative).read_bytes() == committed, f"{relative} changed"
    assert (project / "models/v1/model.pkl").is_file(), "the trained model is still there"
    _no_conflicts(project, from_last_release.fresh)


def test_last_release_update_is_green(from_last_release: FromLastRelease) -> None:
    _checks_are_green(from_last_release.project)


# --- A user edit to a template-owned file, on a line the template changes too --------------

OWNED = ".pre-commit-config.yaml"
TEMPLATE_LINE = "        name: no large files (keep data and models out of git)\n"
THEIR_LINE = "        name: no large files (data and models live outside git)\n"
USER_LINE = "        name: no large files over 1 MB\n"
ELSEWHERE = ".editorconfig"  # template-owned, changed by the template only


@pytest.fixture
def conflicted(template_src: Path, tmp_path: Path) -> Path:
    """v1 -> copy -> user edits a hook name -> v2 renames the same hook -> ready to update."""
    newer = Path(shutil.copytree(template_src, tmp_path / "newer"))
    _replace(newer / "template" / OWNED, TEMPLATE_LINE, THEIR_LINE)
    with (newer / "template" / ELSEWHERE).open("a", encoding="utf-8") as config:
        config.write(f"# {END}\n")
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
    assert (conflicted / ELSEWHERE).read_text(encoding="utf-8").endswith(f"# {END}\n")
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


# --- Files the user deleted ------------------------------------------------------------------


def test_deleted_files_do_not_stop_updates(template_src: Path, tmp_path: Path) -> None:
    """A deleted seed comes back (it does not exist, so nothing skips it); a deleted
    template-owned file stays deleted. Copier 9.19.1 renders `_skip_if_exists` before it loads
    the answers when a generated file is missing, so Jinja there would abort the update."""
    newer = Path(shutil.copytree(template_src, tmp_path / "newer"))
    with (newer / "template" / ELSEWHERE).open("a", encoding="utf-8") as config:
        config.write(f"# {END}\n")
    repo = versioned_template(tmp_path / "repo", [("v1.0.0", template_src), ("v1.1.0", newer)])
    project = tmp_path / "project"
    copier.run_copy(str(repo), project, defaults=True, unsafe=False, quiet=True, vcs_ref="v1.0.0")
    run(["git", "init", "-q", "-b", "main"], project)
    git_commit_all(project, "Start")
    seed = "scratch/explore_example.ipynb"
    run(["git", "rm", "-q", seed, ELSEWHERE], project)
    git_commit_all(project, "We need neither")
    copier.run_update(project, defaults=True, overwrite=True, unsafe=False, quiet=True)
    assert (project / seed).is_file(), "a deleted seed is written again"
    assert not (project / ELSEWHERE).exists(), "a deleted template-owned file stays deleted"
