"""Render matrix: problem type x Python version x license, checked without installing anything."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from helpers import DEFAULTS, questions, render, text_files

PROBLEM_TYPES = list(questions()["problem_type"]["choices"])
PYTHON_VERSIONS = questions()["python_version"]["choices"]
LICENSES = questions()["license"]["choices"]
LICENSE_FIRST_LINE = {
    "MIT": "MIT License",
    "Apache-2.0": "Apache License",
    "BSD-3-Clause": "BSD 3-Clause License",
    "proprietary": "Copyright (c) Data Science Team. All rights reserved.",
}
LEFTOVER_JINJA = re.compile(r"(?<!\$){{|{%|{#")  # opening delimiters; `${{` is GitHub's
ALWAYS = [
    ".copier-answers.yml",
    ".editorconfig",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".python-version",
    "LICENSE",
    "README.md",
    "pyproject.toml",
    "data/example/deliveries.csv",
    "scratch/README.md",
    "scratch/explore_example.ipynb",
    # The user's side: seeds written once.
    "src/my_ml_project/__init__.py",
    "src/my_ml_project/__main__.py",
    "src/my_ml_project/contract.toml",
    "src/my_ml_project/features.py",
    "src/my_ml_project/model.py",
    "src/my_ml_project/baseline.py",
    "src/my_ml_project/commands.py",
    "tests/conftest.py",
    "tests/unit/test_features.py",
    "tests/integration/test_your_data.py",
    # The template's side: the kit, its gate and tests, and the standards around them.
    "src/my_ml_project/_kit/cli.py",
    "src/my_ml_project/_kit/user.py",
    "src/my_ml_project/_kit/settings.py",
    "src/my_ml_project/_kit/ruff.toml",
    "src/my_ml_project/_kit/gate/__main__.py",
    "src/my_ml_project/_kit/tests/conftest.py",
    ".github/pull_request_template.md",
    ".github/workflows/ci.yml",
    "docs/mvp-checklist.md",
]
GONE = ["gate", "gate/config.toml", "src/my_ml_project/cli.py", "tests/unit/test_cli.py"]
# Every problem type with every Python version; the license touches only LICENSE and a
# classifier, so it rotates through the pairs (each license with each problem type).
MATRIX = [
    (problem_type, python_version, LICENSES[index % len(LICENSES)])
    for index, (problem_type, python_version) in enumerate(
        itertools.product(PROBLEM_TYPES, PYTHON_VERSIONS)
    )
]


@pytest.fixture(scope="module")
def rendered(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple, Path]:
    base = tmp_path_factory.mktemp("matrix")
    return {
        combo: render(
            template_src,
            base / "-".join(combo),
            problem_type=combo[0],
            python_version=combo[1],
            license=combo[2],
        )
        for combo in MATRIX
    }


@pytest.mark.parametrize("combo", MATRIX, ids="-".join)
def test_rendered_project_is_complete_and_well_formed(
    rendered: dict[tuple, Path], combo: tuple[str, str, str]
) -> None:
    problem_type, python_version, license_name = combo
    project = rendered[combo]
    for relative in ALWAYS:
        assert (project / relative).is_file(), f"missing {relative}"
    for relative in GONE:
        assert not (project / relative).exists(), f"{relative} belongs to the old flat layout"
    files = text_files(project)
    for path in files:
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(project)
        assert not LEFTOVER_JINJA.search(text), f"{relative}: leftover Jinja"
        assert text.endswith("\n"), f"{relative}: no final newline"
        assert not text.endswith("\n\n"), f"{relative}: blank lines at the end"
        _parse(path, text)

    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["requires-python"] == f">={python_version}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + python_version.replace(".", "")
    assert (project / ".python-version").read_text(encoding="utf-8").strip() == python_version
    deps = " ".join(pyproject["project"]["dependencies"])
    assert ("tomli" in deps) == (python_version == "3.10")
    assert pyproject["project"]["scripts"] == {"my-ml-project": "my_ml_project._kit.cli:main"}
    assert pyproject["tool"]["ruff"]["extend"] == "src/my_ml_project/_kit/ruff.toml"
    assert pyproject["tool"]["proto-to-mvp"]["data"] == "data/example/deliveries.csv"

    license_text = (project / "LICENSE").read_text(encoding="utf-8")
    assert license_text.lstrip().startswith(LICENSE_FIRST_LINE[license_name])
    private = "Private :: Do Not Upload" in pyproject["project"]["classifiers"]
    assert private == (license_name == "proprietary")

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["problem_type"] == problem_type
    assert answers["package_name"] == DEFAULTS["package_name"]
    assert answers["phase"] == "prototype", "a new project starts as a prototype"
    assert "reserved_package_names" not in answers, "computed values are not answers"


def test_numbered_steps_in_the_readme_count_up(rendered: dict[tuple, Path]) -> None:
    for combo in (MATRIX[0], MATRIX[-1]):
        readme = (rendered[combo] / "README.md").read_text(encoding="utf-8")
        for block in re.split(r"\n\n(?=\S)(?!\d+\. )", readme):
            numbers = [int(n) for n in re.findall(r"^(\d+)\. ", block, flags=re.MULTILINE)]
            assert numbers == list(range(1, len(numbers) + 1)), numbers


def _variant(rendered: dict[tuple, Path], problem_type: str, python_version: str) -> Path:
    """The rendered project for a problem type and Python version (whatever its license)."""
    return next(
        path for combo, path in rendered.items() if combo[:2] == (problem_type, python_version)
    )


def _parse(path: Path, text: str) -> None:
    """Each structured file parses, and each Python file compiles."""
    if path.suffix == ".toml":
        tomllib.loads(text)
    elif path.suffix in (".yml", ".yaml"):
        yaml.safe_load(text)
    elif path.suffix == ".ipynb":
        notebook = json.loads(text)
        for cell in notebook["cells"]:
            assert not cell.get("outputs"), f"{path.name}: notebook shipped with outputs"
            if cell["cell_type"] == "code":
                compile("".join(cell["source"]), str(path), "exec")
    elif path.suffix == ".py":
        compile(text, str(path), "exec")


@pytest.mark.parametrize("problem_type", PROBLEM_TYPES)
def test_problem_type_decides_target_and_example_data(
    rendered: dict[tuple, Path], problem_type: str
) -> None:
    project = _variant(rendered, problem_type, "3.11")
    target = {"classification": "arrival", "regression": "delivery_minutes"}[problem_type]
    other = {"classification": "delivery_minutes", "regression": "arrival"}[problem_type]
    header = (project / "data/example/deliveries.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",")[-1] == target
    assert other not in header
    contract = tomllib.loads(
        (project / "src/my_ml_project/contract.toml").read_text(encoding="utf-8")
    )
    assert contract["columns"][target]["role"] == "target"
    assert other not in contract["columns"]
    assert len(list((project / "data/example").iterdir())) == 1


def test_answers_with_quotes_stay_valid_toml(template_src: Path, tmp_path: Path) -> None:
    project = render(
        template_src,
        tmp_path / "quoted",
        description='Predicts "late" orders \\ fast',
        author_name='Ana "A." Lopez',
    )
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["description"] == 'Predicts "late" orders \\ fast'
    assert pyproject["project"]["authors"][0]["name"] == 'Ana "A." Lopez'


@pytest.mark.parametrize(
    "variant", list(itertools.product(PROBLEM_TYPES, PYTHON_VERSIONS)), ids="-".join
)
def test_rendered_python_is_ruff_clean(rendered: dict[tuple, Path], variant: tuple) -> None:
    """As rendered, with the project's own ruff settings (the slow layer runs its pinned ruff).

    The license changes no Python file, so one license covers every variant of the code.
    """
    for command in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command],
            cwd=_variant(rendered, *variant),
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
