"""The seeded pyproject.toml asks for exactly what the kit says it needs (_kit/requirements.py)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from helpers import TEMPLATE_DIR, render

KIT_REQUIREMENTS = TEMPLATE_DIR / "src" / "{{package_name}}" / "_kit" / "requirements.py"


def _kit_requirements() -> list[str]:
    tree = ast.parse(KIT_REQUIREMENTS.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "REQUIREMENTS":
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"{KIT_REQUIREMENTS} defines no REQUIREMENTS")


@pytest.mark.parametrize("python", ["3.10", "3.11"])
def test_seeded_dependencies_match_the_kits_requirements(
    template_src: Path, tmp_path: Path, python: str
) -> None:
    project = render(template_src, tmp_path / "project", python_version=python)
    seeded = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    needed = [line for line in _kit_requirements() if python == "3.10" or "tomli" not in line]
    assert seeded["project"]["dependencies"] == needed
