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
