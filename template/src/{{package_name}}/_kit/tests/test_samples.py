from __future__ import annotations

from pathlib import Path

import pytest

from ..contract import Contract, parse_contract
from ..data import write_table
from ..samples import is_sample_file, sample_frame
from ..tasks import CLASSIFICATION
from ..validation import validate_frame

SHAPES = {
    "binary with gaps": {
        "table": {"name": "t", "unique": ["key"], "min_rows": 10},
        "columns": {
            "key": {"type": "string", "role": "id"},
            "size": {"type": "float", "min": -5.0, "nullable": True},
            "kind": {"type": "category", "allowed": ["a", "b", "c"], "nullable": True},
            "flag": {"type": "boolean"},
            "churned": {"type": "category", "role": "target", "allowed": ["no", "yes"]},
        },
    },
    "integer regression": {
        "columns": {
            "count": {"type": "integer", "max": 9},
            "price": {"type": "integer", "role": "target", "min": 1, "max": 500},
        },
    },
}


@pytest.fixture(params=["project", *SHAPES])
def any_contract(request: pytest.FixtureRequest, contract: Contract) -> Contract:
    return contract if request.param == "project" else parse_contract(SHAPES[request.param])


def test_samples_meet_every_rule_of_the_contract(any_contract: Contract) -> None:
    frame = sample_frame(any_contract, rows=300, seed=1)
    report = validate_frame(frame, any_contract, source="samples")
    assert report.success, report.render()
    assert list(frame.columns) == [column.name for column in any_contract.columns]


def test_samples_repeat_for_a_seed_and_cover_every_label(any_contract: Contract) -> None:
    first, again = (sample_frame(any_contract, rows=50, seed=3) for _ in range(2))
    assert first.equals(again)
    target = any_contract.target
    if any_contract.task == CLASSIFICATION and target.allowed:
        assert set(first[target.name].astype(str)) == set(target.allowed)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_file_written_by_sample_data_is_recognised(
    tmp_path: Path, contract: Contract, suffix: str
) -> None:
    path = tmp_path / f"rows{suffix}"
    write_table(sample_frame(contract, rows=120, seed=0), path)
    assert is_sample_file(path, contract, rows=120)
    assert not is_sample_file(path, contract, rows=120, seed=1)
    edited = sample_frame(contract, rows=120, seed=0).iloc[::-1]  # the same rows, reordered
    write_table(edited, path)
    assert not is_sample_file(path, contract, rows=120)
