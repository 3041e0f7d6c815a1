from __future__ import annotations

from pathlib import Path

import pytest

from ..cli import main
from ..contract import Contract
from ..data import DataError, load_table, write_table
from ..samples import sample_frame
from ..validation import validate_frame


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_sample_data_command_writes_valid_rows(
    tmp_path: Path, contract: Contract, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    output = tmp_path / "ci" / f"sample{suffix}"
    assert main(["sample-data", str(output), "--rows", "300"]) == 0
    assert f"wrote 300 rows made from the contract to {output}" in capsys.readouterr().out
    rows = load_table(output, contract)
    assert validate_frame(rows, contract, source=str(output)).success
    assert not [p for p in output.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_failed_write_leaves_no_file_and_names_the_path(
    tmp_path: Path, contract: Contract
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match=r"cannot write"):
        write_table(sample_frame(contract, rows=10), blocker / "out.csv")
    with pytest.raises(DataError, match=r"unsupported file type '\.xlsx'"):
        write_table(sample_frame(contract, rows=10), tmp_path / "out.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
