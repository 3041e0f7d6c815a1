from __future__ import annotations

from ..requirements import unmet


def test_every_library_the_kit_needs_is_installed_in_range() -> None:
    problems = unmet()
    assert not problems, "\n".join(problems)


def test_a_missing_or_too_old_library_names_the_fix() -> None:
    problems = unmet(("surely-not-installed-dist>=1", "pytest>=999"))
    assert problems[0].endswith("it is not installed: run uv add 'surely-not-installed-dist>=1'")
    assert "run uv add 'pytest>=999'" in problems[1]
    assert unmet(("surely-not-installed-dist>=1; python_version < '3'",)) == []
