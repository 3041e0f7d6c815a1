"""The shipped example datasets are exactly what tests/example_data.py generates."""

from __future__ import annotations

import csv
import io

import pytest
from example_data import FILES, ROWS, render


@pytest.mark.parametrize("problem_type", sorted(FILES))
def test_shipped_example_data_matches_its_generator(problem_type: str) -> None:
    shipped = FILES[problem_type].read_text(encoding="utf-8")
    assert shipped == render(problem_type), "regenerate: uv run python tests/example_data.py"


def test_example_data_has_signal_and_gaps_worth_modelling() -> None:
    rows = list(csv.DictReader(io.StringIO(render("classification"))))
    assert len(rows) == ROWS
    late = sum(row["arrival"] == "late" for row in rows) / ROWS
    assert 0.15 < late < 0.4, "the classes should be imbalanced, not degenerate"
    missing = sum(row["courier_rating"] == "" for row in rows) / ROWS
    assert 0.02 < missing < 0.15, "some nulls exercise imputation and the contract's nullable"
