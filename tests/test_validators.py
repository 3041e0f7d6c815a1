"""Every invalid answer is refused, and the message says what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import render

INVALID = [
    ("project_name", "   ", "must not be empty"),
    ("project_name", "x" * 81, "at most 80 characters"),
    ("project_name", "2025 !!", "needs at least one letter"),
    ("project_slug", "My Project", "use lowercase letters, digits and single dashes"),
    ("project_slug", "-delivery", "starting with a letter"),
    ("project_slug", "delivery--times", "single dashes"),
    ("project_slug", "1delivery", "starting with a letter"),
    ("package_name", "Delivery", "use lowercase letters, digits and"),
    ("package_name", "delivery-times", "not a valid package name"),
    ("package_name", "1delivery", "not starting with a digit"),
    ("package_name", "class", "is a Python keyword"),
    ("package_name", "pandas", "would shadow a module"),
    ("package_name", "great_expectations", "would shadow a module"),
    ("package_name", "json", "would shadow a module"),
    ("package_name", "scratch", "would shadow a module"),
    ("package_name", "tests", "would shadow a module"),
    ("description", "", "must not be empty"),
    ("description", "two\nlines", "on one line"),
    ("author_name", " ", "must not be empty"),
    ("author_email", "nobody", "use the form name@example.com"),
    ("author_email", "a b@example.com", "use the form name@example.com"),
    ("author_email", "me@localhost", "use the form name@example.com"),
    ("python_version", "3.9", "'3.9' is not in"),
    ("python_version", "3.14", "'3.14' is not in"),
    ("problem_type", "clustering", "'clustering' is not in"),
    ("license", "GPL-3.0", "'GPL-3.0' is not in"),
]


@pytest.mark.parametrize(("question", "answer", "message"), INVALID)
def test_invalid_answer_is_refused_with_what_is_allowed(
    template_src: Path, tmp_path: Path, question: str, answer: str, message: str
) -> None:
    with pytest.raises(ValueError, match=question) as refused:
        render(template_src, tmp_path / "out", **{question: answer})
    assert message in str(refused.value)
    assert not (tmp_path / "out" / "pyproject.toml").exists(), "nothing is written on refusal"


def test_choice_errors_list_the_allowed_values(template_src: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="license") as refused:
        render(template_src, tmp_path / "out", license="WTFPL")
    for allowed in ("MIT", "Apache-2.0", "BSD-3-Clause", "proprietary"):
        assert allowed in str(refused.value)


@pytest.mark.parametrize(
    ("answers", "slug", "package"),
    [
        ({"project_name": "Delivery Times"}, "delivery-times", "delivery_times"),
        ({"project_name": "  ETA: v2 (beta)!  "}, "eta-v2-beta", "eta_v2_beta"),
        ({"project_name": "Churn", "package_name": "churn_model"}, "churn", "churn_model"),
        ({"project_name": "Match", "package_name": "match"}, "match", "match"),
    ],
)
def test_slug_and_package_are_derived_from_the_name(
    template_src: Path, tmp_path: Path, answers: dict[str, str], slug: str, package: str
) -> None:
    project = render(template_src, tmp_path / "out", **answers)
    assert f'name = "{slug}"' in (project / "pyproject.toml").read_text(encoding="utf-8")
    assert (project / "src" / package / "__init__.py").is_file()
    assert (project / "src" / package / "_kit" / "cli.py").is_file()
