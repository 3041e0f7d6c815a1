from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ..contract import load_contract
from ..data import load_table
from ..draft import DraftError, draft_contract, write_draft
from ..validation import validate_frame

ROWS = 240


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "customer_id": np.arange(1, ROWS + 1),
            "age": rng.integers(18, 90, ROWS),
            "income": np.where(rng.random(ROWS) < 0.1, np.nan, rng.normal(50_000, 9_000, ROWS)),
            "plan": rng.choice(["basic", "pro"], ROWS),
            "comment": [f"free text {i}" for i in range(ROWS)],
            "label": rng.choice([0, 1, 2], ROWS),
        }
    )


def test_the_draft_is_a_valid_contract_the_data_meets(frame: pd.DataFrame, tmp_path: Path) -> None:
    frame.to_csv(tmp_path / "data.csv", index=False)
    draft = draft_contract(load_table(tmp_path / "data.csv"), source="data.csv", name="customers")
    (tmp_path / "contract.toml").write_text(draft.text, encoding="utf-8")
    contract = load_contract(tmp_path / "contract.toml")
    assert draft.text.startswith("# DRAFT")
    assert (contract.target.name, contract.task) == ("label", "classification")
    assert contract.target.allowed == ("0", "1", "2")
    assert contract.unique == ("customer_id",)
    assert contract.column("income").nullable
    assert contract.column("plan").allowed == ("basic", "pro")
    assert contract.column("comment").role == "id", "free text is never a model input"
    assert contract.column("age").min <= 18
    assert contract.column("age").max >= 89
    assert contract.column("customer_id").max is None, "new ids are never out of range"
    rows = load_table(tmp_path / "data.csv", contract)
    assert validate_frame(rows, contract, source="data.csv").success


def test_a_named_target_wins_and_a_wrong_name_is_refused(frame: pd.DataFrame) -> None:
    draft = draft_contract(frame, source="data.csv", target="income")
    assert (draft.target, draft.task) == ("income", "regression")
    with pytest.raises(DraftError, match="'nope' is not a column"):
        draft_contract(frame, source="data.csv", target="nope")


def test_an_existing_contract_is_kept_unless_forced(frame: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "contract.toml"
    path.write_text("# mine\n", encoding="utf-8")
    draft = draft_contract(frame, source="data.csv")
    with pytest.raises(DraftError, match="pass --force"):
        write_draft(draft, path)
    assert path.read_text(encoding="utf-8") == "# mine\n"
    write_draft(draft, path, force=True)
    assert path.read_text(encoding="utf-8") == draft.text


def test_a_saved_row_index_is_an_id_not_a_feature(frame: pd.DataFrame) -> None:
    """pandas writes its index as "Unnamed: 0" (from 0), R as "rownames" (from 1)."""
    rng = np.random.default_rng(1)
    saved = frame.assign(**{"Unnamed: 0": np.arange(ROWS), "rownames": rng.permutation(ROWS) + 1})
    draft = draft_contract(saved, source="data.csv")
    assert '[columns."Unnamed: 0"]\ntype = "integer"\nrole = "id"' in draft.text
    assert '[columns.rownames]\ntype = "integer"\nrole = "id"' in draft.text
    assert "rownames: numbers the rows (0..n-1 or 1..n); drafted as an id" in draft.notes
    counts = saved.assign(age=np.arange(ROWS) % 7)  # not unique: a feature
    assert '[columns.age]\ntype = "integer"\nmin' in draft_contract(counts, source="d").text


def test_y_beside_x_is_a_coordinate_not_the_target(frame: pd.DataFrame) -> None:
    sizes = pd.DataFrame({"x": [1.0, 2.0] * 30, "y": [3.0, 4.0] * 30, "price": range(60)})
    assert draft_contract(sizes, source="d.csv").target == "price"  # the last column
    named = pd.DataFrame({"a": [1.0, 2.0] * 30, "y": [0, 1] * 30, "b": [5.0, 6.0] * 30})
    draft = draft_contract(named, source="d.csv")
    assert draft.target == "y"
    assert "target: 'y' because of its name; pass --target NAME to choose another" in draft.notes


def test_the_baseline_groups_by_the_feature_that_best_predicts_the_target(
    frame: pd.DataFrame, tmp_path: Path
) -> None:
    """Labels follow "plan" (80%) and ignore "region": the draft groups by plan."""
    rng = np.random.default_rng(2)
    plans = frame["plan"].to_numpy()
    follows = np.where(plans == "pro", 2, 0)
    labelled = frame.assign(
        region=rng.choice(["n", "s", "e"], ROWS),
        label=np.where(rng.random(ROWS) < 0.8, follows, rng.choice([0, 1, 2], ROWS)),
    )
    draft = draft_contract(labelled, source="d.csv")
    assert '[baseline]\ngroup_by = "plan"' in draft.text
    assert any(note.startswith("baseline: grouped by 'plan'") for note in draft.notes)
    (tmp_path / "contract.toml").write_text(draft.text, encoding="utf-8")
    assert load_contract(tmp_path / "contract.toml").baseline_group_by == "plan"
    numbers = labelled.assign(label=np.where(plans == "pro", 10.0, 1.0) + rng.random(ROWS))
    assert '[baseline]\ngroup_by = "plan"' in draft_contract(numbers, source="d.csv").text


def test_no_helpful_grouping_leaves_one_overall_answer() -> None:
    flat = pd.DataFrame({"size": np.linspace(0, 1, 60), "price": np.linspace(5, 9, 60)})
    draft = draft_contract(flat, source="d.csv")
    assert "[baseline]" not in draft.text
    assert "baseline: one overall answer (no feature with few values helps it)" in draft.notes
