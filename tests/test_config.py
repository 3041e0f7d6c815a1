"""copier.yml itself: every question answerable by default, no unsafe features, clean template/."""

from __future__ import annotations

import re
import sys

from helpers import JUNK, TEMPLATE_DIR, copier_config, questions

UNSAFE_SETTINGS = ("_tasks", "_migrations", "_jinja_extensions", "_external_data")
JINJA = re.compile(r"{{|{%|{#")


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


def test_reserved_package_names_cover_the_standard_library_and_the_stack() -> None:
    reserved = set(questions()["reserved_package_names"]["default"].split())
    stdlib = {name for name in sys.stdlib_module_names if not name.startswith("_")}
    assert stdlib <= reserved, f"missing stdlib names: {sorted(stdlib - reserved)}"
    stack = {"src", "test", "tests", "scratch", "pandas", "sklearn", "numpy", "fastapi"}
    assert stack | {"great_expectations"} <= reserved


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
