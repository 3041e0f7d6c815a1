"""Every answer that would break a project is refused with a one-line message saying what is
allowed; tricky answers that are fine render files that parse."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from helpers import ANSWERS_FILE, render

# A valid answer for each free-text question; the corpus below breaks it in one place.
TEXT_ANSWERS = {
    "project_name": "Delivery times",
    "project_slug": "delivery-times",
    "package_name": "delivery_times",
    "description": "Predicts delivery times.",
    "author_name": "Data Team",
    "author_email": "team@example.com",
}
# Characters that make pyproject.toml or the answers file unparsable, or that a terminal acts on.
UNPRINTABLE = {
    "nul": "\x00",
    "escape-code": "\x1b[31m",
    "newline": "\n",
    "carriage-return": "\r",
    "tab": "\t",
    "delete": "\x7f",
    "next-line": "\x85",  # YAML reads it as a line break
    "line-separator": "\u2028",
    "surrogate": "\udcff",  # a byte that is not UTF-8 on the command line
}
ONE_LINE = "line of printable text"
PRINTABLE_ONLY = [
    pytest.param(question, answer[:2] + char + answer[2:], ONE_LINE, id=f"{question}-{name}")
    for question, answer in TEXT_ANSWERS.items()
    for name, char in UNPRINTABLE.items()
] + [
    # `$` in a regular expression matches before a final newline: the validators must not.
    pytest.param(question, f"{answer}\n", ONE_LINE, id=f"{question}-final-newline")
    for question, answer in TEXT_ANSWERS.items()
]
TOO_LONG = [
    ("project_name", "x" * 81, "at most 80 characters"),
    ("project_name", "x" * 300, "at most 80 characters"),
    ("project_slug", "a" * 65, "at most 64 characters"),
    ("project_slug", "a" * 300, "at most 64 characters"),  # File name too long, unchecked
    ("package_name", "a" * 65, "at most 64 characters"),
    ("package_name", "a" * 300, "at most 64 characters"),
    ("description", "d" * 513, "at most 512 characters"),
    ("author_name", "n" * 201, "at most 200 characters"),
    ("author_email", "e" * 243 + "@example.com", "at most 254 characters"),
]
# Package names the command line could not import: a dependency's module comes first.
SHADOWING = [
    (name, "would shadow a module")
    for name in (
        "starlette",
        "pytest",
        "typing_extensions",
        "annotated_types",
        "anyio",
        "click",
        "h11",
        "yaml",
        "six",
        "py",
        "ruff",
        "tornado",  # the scratch group's (jupyterlab)
        "tomli",  # installed on Python 3.10 only
        "colorama",  # installed on Windows only
        "pandas",
        "great_expectations",
        "json",
        "scratch",
        "tests",
    )
] + [(name, "starting with a letter") for name in ("__main__", "__init__", "_private", "_kit")]
# Distribution and command names the project cannot take: uv refuses to resolve a project that
# depends on itself, or to install a command over the interpreter; a command named like a dev
# tool's hides one of the two.
TAKEN_SLUGS = [
    "pytest",
    "fastapi",
    "scikit-learn",
    "great-expectations",
    "typing-extensions",
    "ruff",
    "jupyterlab",
    "python",
    "python3",
    "check-ast",
    "coverage3",
]
INVALID = [
    ("project_name", "   ", "must not be empty"),
    ("project_name", "2025 !!", "needs at least one letter"),
    ("project_slug", "My Project", "use lowercase letters, digits and single dashes"),
    ("project_slug", "-delivery", "starting with a letter"),
    ("project_slug", "delivery--times", "single dashes"),
    ("project_slug", "1delivery", "starting with a letter"),
    ("package_name", "Delivery", "use lowercase letters, digits and"),
    ("package_name", "delivery-times", "not a valid package name"),
    ("package_name", "1delivery", "starting with a letter"),
    ("package_name", "class", "is a Python keyword"),
    ("description", "", "must not be empty"),
    ("author_name", " ", "must not be empty"),
    ("author_email", "nobody", "use the form name@example.com"),
    ("author_email", "a b@example.com", "use the form name@example.com"),
    ("author_email", "me@localhost", "use the form name@example.com"),
    ("author_email", '"bob"@example.com', "without spaces, quotes, backslashes"),
    ("author_email", "bob\\@example.com", "without spaces, quotes, backslashes"),
    ("author_email", "bob@example.com\\", "use the form name@example.com"),
    ("author_email", "Bob <bob@example.com>", "use the form name@example.com"),
    ("author_email", "bob@example.com, eve@example.com", "use the form name@example.com"),
    ("python_version", "3.9", "'3.9' is not in"),
    ("python_version", "3.14", "'3.14' is not in"),
    ("problem_type", "clustering", "'clustering' is not in"),
    ("license", "GPL-3.0", "'GPL-3.0' is not in"),
    *[pytest.param(*case, id=f"{case[0]}-{len(case[1])}-chars") for case in TOO_LONG],
    *[("package_name", name, message) for name, message in SHADOWING],
    *[("project_slug", slug, "is taken by a distribution or command") for slug in TAKEN_SLUGS],
    *PRINTABLE_ONLY,
]

# Answers that look dangerous to TOML, YAML, Markdown or Jinja but are fine: each renders.
TRICKY = [
    {"project_name": 'O\'Brien "Bob" model'},
    {"project_name": "C:\\Models\\ETA"},
    {"project_name": "Zoë's Ñúñez Model"},
    {"project_name": "'quoted'"},
    {"project_name": "yes"},
    {"project_name": "- key: value # not a comment"},
    {"project_name": "{{ project_slug }} {% raw %}"},
    {"project_name": "N" * 80},  # the slug it gives is cut to 64 characters
    {"description": 'Predicts "late" orders \\ 50% sooner, für Zoë\'s team; # not a comment'},
    {"description": "\"\"\" ''' \\u0041 \\n \\ {{ x }} *bold* <b>tag</b> [link](x)"},
    {"description": "d" * 512},
    {"author_name": "Zoë Ñúñez"},
    {"author_name": 'O\'Brien "Bob"'},
    {"author_name": "Doe, John \\ Jr."},
    {"author_email": "zoe+ml@example.com"},
    {"author_email": "o'brien@example.co.uk"},
    {"author_email": "first.last@sub.example.org"},
    {"author_email": "zoë@exämple.de"},
    {"project_slug": "s" * 64, "package_name": "p" * 64},
]
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z][a-z0-9_]*")


@pytest.mark.parametrize(("question", "answer", "message"), INVALID)
def test_invalid_answer_is_refused_with_what_is_allowed(
    template_src: Path, tmp_path: Path, question: str, answer: str, message: str
) -> None:
    with pytest.raises(ValueError, match=question) as refused:
        render(template_src, tmp_path / "out", **{question: answer})
    said = str(refused.value).strip()
    assert message in said
    assert said.isprintable(), f"one printable line, never the bad answer echoed: {said!r}"
    assert not (tmp_path / "out" / "pyproject.toml").exists(), "nothing is written on refusal"


def test_choice_errors_list_the_allowed_values(template_src: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="license") as refused:
        render(template_src, tmp_path / "out", license="WTFPL")
    for allowed in ("MIT", "Apache-2.0", "BSD-3-Clause", "proprietary"):
        assert allowed in str(refused.value)


@pytest.mark.parametrize("answers", TRICKY, ids=lambda answers: ascii(answers)[:60])
def test_tricky_answers_render_files_that_parse(
    template_src: Path, tmp_path: Path, answers: dict[str, str]
) -> None:
    project = render(template_src, tmp_path / "out", **answers)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    stored = yaml.safe_load((project / ANSWERS_FILE).read_text(encoding="utf-8"))
    assert {key: stored[key] for key in answers} == answers, "the answers file keeps them as is"
    meta = pyproject["project"]
    assert meta["description"] == stored["description"]
    assert meta["authors"] == [{"name": stored["author_name"], "email": stored["author_email"]}]
    readme = (project / "README.md").read_text(encoding="utf-8").splitlines()
    assert readme[:3] == [f"# {stored['project_name']}", "", stored["description"]]
    assert f"Copyright (c) {stored['author_name']}" in (project / "LICENSE").read_text("utf-8")
    slug, package = stored["project_slug"], stored["package_name"]
    assert SLUG.fullmatch(slug), slug
    assert PACKAGE.fullmatch(package), package
    assert max(len(slug), len(package)) <= 64
    assert meta["name"] == slug
    assert meta["scripts"] == {slug: f"{package}._kit.cli:main"}
    assert (project / "src" / package / "_kit" / "cli.py").is_file()


@pytest.mark.parametrize(
    ("answers", "slug", "package"),
    [
        ({"project_name": "Delivery Times"}, "delivery-times", "delivery_times"),
        ({"project_name": "  ETA: v2 (beta)!  "}, "eta-v2-beta", "eta_v2_beta"),
        ({"project_name": "Churn", "package_name": "churn_model"}, "churn", "churn_model"),
        ({"project_name": "Match", "package_name": "match"}, "match", "match"),
        ({"project_name": "2025 Churn"}, "churn", "churn"),
        ({"project_name": "Zoë's Ñúñez Model"}, "zo-s-ez-model", "zo_s_ez_model"),
        ({"project_name": "N" * 80}, "n" * 64, "n" * 64),
        ({"project_name": "a" * 63 + " b"}, "a" * 63, "a" * 63),  # no dash left at the cut
    ],
)
def test_slug_and_package_are_derived_from_the_name(
    template_src: Path, tmp_path: Path, answers: dict[str, str], slug: str, package: str
) -> None:
    project = render(template_src, tmp_path / "out", **answers)
    assert f'name = "{slug}"' in (project / "pyproject.toml").read_text(encoding="utf-8")
    assert (project / "src" / package / "__init__.py").is_file()
    assert (project / "src" / package / "_kit" / "cli.py").is_file()
