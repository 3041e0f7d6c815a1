"""The kit: copied byte for byte into every project, as ``_kit/manifest.txt`` lists it."""

from __future__ import annotations

import re

from kit_manifest import COMMAND, KIT, MANIFEST, kit_files, manifest_text

# What Jinja would render: a project's kit must be a copy, never a template.
JINJA = re.compile(r"\{\{|\{%|\{#")


def test_the_manifest_is_current() -> None:
    assert MANIFEST.is_file(), f"{MANIFEST} is missing: run `{COMMAND}`"
    shipped = MANIFEST.read_text(encoding="utf-8")
    assert shipped == manifest_text(), f"{MANIFEST.name} is stale: run `{COMMAND}`"


def test_the_manifest_lists_the_gate_and_the_kit_tests() -> None:
    names = kit_files()
    assert {"cli.py", "gate/checks.py", "gate/kit.py", "ruff.toml"} <= set(names)
    assert any(name.startswith("tests/test_") for name in names)
    assert MANIFEST.name not in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_no_kit_file_is_a_template() -> None:
    templated = [
        f"{name}:{number}"
        for name in kit_files()
        for number, line in enumerate((KIT / name).read_text(encoding="utf-8").splitlines(), 1)
        if JINJA.search(line)
    ]
    assert not templated, f"Jinja markers in the kit (it is copied, not rendered): {templated}"
    assert not list(KIT.rglob("*.jinja")), "a .jinja file in the kit would be rendered"
