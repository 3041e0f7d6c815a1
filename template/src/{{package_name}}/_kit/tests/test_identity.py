from __future__ import annotations

from pathlib import Path

import yaml

from ..identity import answer


def test_answers_are_read_as_yaml_even_when_copier_wraps_or_quotes_them(tmp_path: Path) -> None:
    name = 'O\'Brien "Bob" forecasting the deliveries of a very long project name, wrapped'
    path = tmp_path / ".copier-answers.yml"
    path.write_text(yaml.safe_dump({"project_name": name, "phase": "mvp"}, width=80), "utf-8")
    assert "\n  " in path.read_text(encoding="utf-8"), "the name is wrapped, as Copier writes it"
    assert answer("project_name", path) == name
    assert answer("phase", path) == "mvp"
    assert answer("missing", path) is None


def test_a_missing_or_broken_answers_file_has_no_answers(tmp_path: Path) -> None:
    assert answer("phase", tmp_path / "absent.yml") is None
    broken = tmp_path / "broken.yml"
    broken.write_text("phase: [unclosed\n", encoding="utf-8")
    assert answer("phase", broken) is None
