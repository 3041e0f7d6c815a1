"""copier.yml itself: every question answerable by default, no unsafe features, clean template/."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from helpers import (
    DEFAULTS,
    JUNK,
    TEMPLATE_DIR,
    copier_config,
    find_python,
    kit_dir,
    path_matcher,
    questions,
    render,
    run,
    skip_if_exists,
    text_files,
)

UNSAFE_SETTINGS = ("_tasks", "_migrations", "_jinja_extensions", "_external_data")
JINJA = re.compile(r"{{|{%|{#")
# What the validators of project_slug and package_name accept (before the reserved lists).
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z][a-z0-9_]*")
# Distributions in a generated project's uv.lock that the slow test's environments (Linux,
# Python 3.10 and 3.11) do not install, with their top-level modules; none installs a command.
INSTALLED_ELSEWHERE = {
    "appnope": {"appnope"},  # macOS
    "colorama": {"colorama"},  # Windows
    "pywinpty": {"winpty"},  # Windows
    # The spark extra (uv sync --extra spark): not synced here, pyspark is a 455 MB build.
    "googleapis-common-protos": {"google"},
    "grpcio": {"grpc"},
    "grpcio-status": {"grpc_status"},
    "py4j": {"py4j"},
    "pyspark": {"pyspark"},
    "zstandard": {"zstandard"},
}
# Commands the spark extra installs (pyspark's bin/), in the form the slug validator accepts.
SPARK_COMMANDS = {
    "beeline", "find-spark-home", "pyspark", "run-example", "spark-class", "spark-connect-shell",
    "spark-pipelines", "spark-shell", "spark-sql", "spark-submit", "sparkr",
}  # fmt: skip


def test_every_question_has_help_type_and_default() -> None:
    for name, spec in questions().items():
        assert isinstance(spec, dict), f"{name}: use the long form with help, type and default"
        assert {"type", "default"} <= spec.keys(), f"{name}: needs a type and a default"
        if spec.get("when") is not False:
            assert spec.get("help"), f"{name}: asked questions need a help text"


def test_no_unsafe_features_so_copy_needs_no_trust() -> None:
    config = copier_config()
    assert not set(UNSAFE_SETTINGS) & config.keys()
    assert "extensions" not in config.get("_envops", {})


def test_settings_that_make_the_template_safe_to_evolve() -> None:
    config = copier_config()
    assert config["_envops"]["undefined"] == "jinja2.StrictUndefined"
    assert config["_subdirectory"] == "template"
    assert config["_templates_suffix"] == ".jinja"
    assert config["_answers_file"] == ".copier-answers.yml"
    assert re.fullmatch(r"\d+\.\d+\.\d+", config["_min_copier_version"])
    assert "uv run pytest" in config["_message_after_copy"]
    assert (TEMPLATE_DIR / "{{_copier_conf.answers_file}}.jinja").is_file()


def reserved(name: str) -> set[str]:
    return set(questions()[name]["default"].split())


def test_reserved_package_names_cover_the_standard_library_and_the_stack() -> None:
    names = reserved("reserved_package_names")
    stdlib = {name for name in sys.stdlib_module_names if not name.startswith("_")}
    assert stdlib <= names, f"missing stdlib names: {sorted(stdlib - names)}"
    stack = {"src", "test", "tests", "scratch", "pandas", "sklearn", "numpy", "fastapi"}
    # What a reliability probe found accepted: each gave a command line that cannot import.
    probe = {"starlette", "pytest", "typing_extensions", "annotated_types", "anyio", "click", "h11"}
    assert stack | probe | {"great_expectations"} <= names
    elsewhere = set().union(*INSTALLED_ELSEWHERE.values())
    assert elsewhere <= names, f"missing: {sorted(elsewhere - names)}"


def test_reserved_project_slugs_cover_the_stack_and_the_interpreter() -> None:
    slugs = reserved("reserved_project_slugs")
    stack = {"pandas", "scikit-learn", "fastapi", "great-expectations", "pytest", "ruff"}
    expected = stack | {"python", "python3"} | INSTALLED_ELSEWHERE.keys() | SPARK_COMMANDS
    assert expected <= slugs, f"missing: {sorted(expected - slugs)}"
    malformed = sorted(slug for slug in slugs if not SLUG.fullmatch(slug))
    assert not malformed, f"names the slug validator refuses anyway: {malformed}"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _site_packages(project: Path) -> Path:
    (site,) = project.glob(".venv/lib/python3.*/site-packages")
    return site


def _top_level_modules(site: Path) -> set[str]:
    """Every name `import` finds in site-packages: packages, namespace folders, modules."""
    skip = (".dist-info", ".pth", ".egg-info")
    return {
        entry.name.split(".")[0]
        for entry in site.iterdir()
        if entry.name != "__pycache__" and not entry.name.endswith(skip)
    }


def _installed_distributions(site: Path) -> set[str]:
    return {_normalized(entry.name.split("-")[0]) for entry in site.glob("*.dist-info")}


@pytest.mark.slow
def test_reserved_names_cover_everything_a_synced_project_installs(
    template_src: Path, tmp_path: Path
) -> None:
    """The lists in copier.yml cannot drift from the dependencies: projects synced with every
    group, on the lowest Python (it adds backports) and the default one, install no module a
    package could shadow, and no distribution or command the slug could clash with, that the
    lists do not name. Their lock files (every platform) name the rest: INSTALLED_ELSEWHERE.
    """
    own = {DEFAULTS["project_slug"], DEFAULTS["package_name"]}
    modules: set[str] = set()
    installed: set[str] = set()
    locked: set[str] = set()
    commands: set[str] = set()
    for version in ("3.10", DEFAULTS["python_version"]):
        python = find_python(version)
        if python is None:
            continue
        project = render(template_src, tmp_path / version, python_version=version)
        run(["uv", "sync", "--all-groups", "--quiet", "--python", python], project)
        site = _site_packages(project)
        modules |= _top_level_modules(site)
        installed |= _installed_distributions(site)
        lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
        locked |= {_normalized(package["name"]) for package in lock["package"]}
        commands |= {path.name for path in (project / ".venv" / "bin").iterdir()}
    if not installed:
        pytest.skip("no Python 3.10 or 3.11 interpreter on this machine")

    missing = sorted(
        {name for name in modules if PACKAGE.fullmatch(name)}
        - own
        - reserved("reserved_package_names")
    )
    assert not missing, f"add to reserved_package_names in copier.yml: {' '.join(missing)}"
    unknown = sorted(locked - own - installed - INSTALLED_ELSEWHERE.keys())
    assert not unknown, f"locked but installed by neither: add to INSTALLED_ELSEWHERE: {unknown}"
    taken = locked | {name for name in commands if SLUG.fullmatch(name)}
    missing = sorted(taken - own - reserved("reserved_project_slugs"))
    assert not missing, f"add to reserved_project_slugs in copier.yml: {' '.join(missing)}"


def test_nothing_under_template_that_should_not_be_rendered() -> None:
    junk = [path for pattern in JUNK for path in TEMPLATE_DIR.rglob(pattern)]
    assert not junk, f"tool output under template/: {junk}"


def test_only_jinja_files_contain_jinja_and_every_jinja_file_needs_it() -> None:
    for path in TEMPLATE_DIR.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(TEMPLATE_DIR)
        if path.suffix == ".jinja":
            assert JINJA.search(text), f"{relative}: nothing to render; drop the .jinja suffix"
        else:
            assert not JINJA.search(text.replace("${{", "")), f"{relative}: Jinja in a plain file"


def test_skip_if_exists_entries_need_no_answers() -> None:
    """Copier 9.19.1 renders these patterns before it loads the answers when the project lacks
    a file the template generated (a seed the user deleted, or removed on purpose to get the new
    one); a `{{ package_name }}` then aborts every update with "'package_name' is undefined".
    Globs need no answers: `src/*/model.py` matches the one package folder.
    """
    with_jinja = [entry for entry in copier_config()["_skip_if_exists"] if JINJA.search(entry)]
    assert not with_jinja, f"use globs instead of Jinja in _skip_if_exists: {with_jinja}"


def test_every_skip_if_exists_entry_is_a_rendered_file(template_src: Path, tmp_path: Path) -> None:
    """A stale entry would protect nothing, or a file the user never sees."""
    project = render(template_src, tmp_path / "project")
    rendered = [path.relative_to(project).as_posix() for path in text_files(project)]
    for entry in skip_if_exists():
        assert any(map(path_matcher([entry]), rendered)), (
            f"_skip_if_exists: {entry!r} names no file of a rendered project"
        )


def test_the_kit_has_no_jinja_files() -> None:
    kit = TEMPLATE_DIR / "src" / "{{package_name}}" / "_kit"
    assert kit.is_dir()
    rendered_by_jinja = [str(path.relative_to(kit)) for path in kit.rglob("*.jinja")]
    assert not rendered_by_jinja, f"the kit is the same in every project: {rendered_by_jinja}"


def test_the_kit_is_byte_identical_whatever_the_answers(template_src: Path, tmp_path: Path) -> None:
    other = {
        "project_name": "Delivery Times",
        "package_name": "eta_model",
        "problem_type": "regression",
        "python_version": "3.13",
        "license": "Apache-2.0",
        "phase": "mvp",
    }
    assert all(other[key] != DEFAULTS.get(key) for key in other)
    first = kit_dir(render(template_src, tmp_path / "first"))
    second = kit_dir(render(template_src, tmp_path / "second", **other), other["package_name"])
    first_files = {p.relative_to(first).as_posix(): p.read_bytes() for p in text_files(first)}
    second_files = {p.relative_to(second).as_posix(): p.read_bytes() for p in text_files(second)}
    assert first_files, "no kit rendered"
    assert sorted(first_files) == sorted(second_files), "the kit's files depend on the answers"
    differ = [name for name, data in first_files.items() if second_files[name] != data]
    assert not differ, f"kit files that depend on the answers: {differ}"
