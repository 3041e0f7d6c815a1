from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ..contract import Contract, ContractError, load_contract, parse_contract
from ..tasks import CLASSIFICATION, REGRESSION


def test_the_contract_sorts_its_columns_by_role_and_type(contract: Contract) -> None:
    names = [column.name for column in contract.columns]
    assert len(set(names)) == len(names)
    assert contract.feature_names == [c.name for c in contract.columns if c.role == "feature"]
    assert contract.feature_names, "a contract with no feature has nothing to learn from"
    # Every feature is a number (booleans too) or a category, in contract order.
    numbers = [c.name for c in contract.features if c.type in ("integer", "float", "boolean")]
    categories = [c.name for c in contract.features if c.type == "category"]
    assert (contract.numeric_features, contract.categorical_features) == (numbers, categories)
    assert sorted(numbers + categories) == sorted(contract.feature_names)
    assert [c.role for c in contract.columns].count("target") == 1
    assert contract.target.name not in contract.feature_names
    assert set(contract.unique) <= set(names)
    assert contract.column(contract.target.name) == contract.target


def test_unknown_column_lookup_raises_key_error(contract: Contract) -> None:
    with pytest.raises(KeyError):
        contract.column("no_such_column")


@pytest.mark.parametrize(
    ("target", "task"),
    [
        ({"type": "category", "allowed": ["yes", "no"]}, CLASSIFICATION),
        ({"type": "boolean"}, CLASSIFICATION),
        ({"type": "float"}, REGRESSION),
        ({"type": "integer"}, REGRESSION),
    ],
)
def test_the_target_type_decides_the_task(target: dict[str, object], task: str) -> None:
    raw = {"columns": {"x": {"type": "float"}, "y": {"role": "target", **target}}}
    assert parse_contract(raw).task == task


def test_the_shipped_target_matches_its_task(contract: Contract) -> None:
    target = contract.target
    if contract.task == CLASSIFICATION:
        assert target.type in ("category", "boolean")
        assert target.type == "boolean" or len(target.allowed or ()) >= 2
    else:
        assert target.type in ("integer", "float")
        assert target.allowed is None


def test_fingerprint_is_stable_and_tracks_rules(contract: Contract) -> None:
    assert contract.fingerprint() == load_contract().fingerprint()
    changed = dataclasses.replace(contract, min_rows=contract.min_rows + 1)
    assert changed.fingerprint() != contract.fingerprint()


def _with_column(contract: Contract, name: str, **changes: object) -> Contract:
    columns = tuple(
        dataclasses.replace(column, **changes) if column.name == name else column
        for column in contract.columns
    )
    return dataclasses.replace(contract, columns=columns)


def test_fingerprint_ignores_descriptions(contract: Contract) -> None:
    reworded = dataclasses.replace(contract, description="Reworded.")
    reworded = _with_column(reworded, contract.feature_names[0], description="Reworded too.")
    reworded = dataclasses.replace(reworded, baseline_group_by=None)  # not a data rule either
    assert reworded != contract
    assert reworded.fingerprint() == contract.fingerprint()


@pytest.mark.parametrize("rule", ["type", "role", "nullable", "min", "max", "allowed"])
def test_fingerprint_changes_with_any_column_rule(contract: Contract, rule: str) -> None:
    column = contract.features[0]
    changed = {
        "type": "string" if column.type != "string" else "float",
        "role": "id",
        "nullable": not column.nullable,
        "min": -1e9,
        "max": 1e9,
        "allowed": (*(column.allowed or ()), "another"),
    }[rule]
    edited = _with_column(contract, column.name, **{rule: changed})
    assert edited.fingerprint() != contract.fingerprint()


def test_fingerprint_changes_with_the_target(contract: Contract) -> None:
    """Another target type is another task: a model trained for one cannot serve the other."""
    target = contract.target
    other = (
        {"type": "float", "allowed": None}
        if contract.task == CLASSIFICATION
        else {"type": "category", "allowed": ("low", "high"), "min": None, "max": None}
    )
    changed = _with_column(contract, target.name, **other)
    assert changed.task != contract.task
    assert changed.fingerprint() != contract.fingerprint()


def _raw(**column: object) -> dict[str, object]:
    """A minimal valid contract, with the column `x` replaced by the given rules."""
    return {
        "table": {"name": "t"},
        "columns": {"y": {"type": "float", "role": "target"}, "x": {"type": "float", **column}},
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (_raw(type="decimal"), "[columns.x] type must be one of"),
        (_raw(role="label"), "[columns.x] role must be one of"),
        (_raw(maximum=3), "[columns.x] unknown keys ['maximum']"),
        (_raw(type="category"), "needs a non-empty 'allowed' list"),
        (_raw(allowed=["a"]), "'allowed' only applies to category columns"),
        (_raw(type="boolean", min=0), "min/max only apply to integer and float"),
        (_raw(min=5, max=1), "min (5) is greater than max (1)"),
        (_raw(type="string"), "free-text columns can only be ids"),
        (_raw(role="target"), "exactly one column needs role = 'target'"),
        ({"columns": {}}, "declares no [columns.<name>] tables"),
        ({**_raw(), "table": {"unique": ["nope"]}}, "unique names columns that are not declared"),
        ({**_raw(), "table": {"min_rows": 0}}, "min_rows must be"),
        ({"columns": {"x": 3}}, "[columns.x] must be a table of rules"),
        ({**_raw(), "colums": {}}, "(top level) unknown keys ['colums']"),
        ({**_raw(), "baseline": {"group_by": "y"}}, "[baseline] group_by = 'y' must name"),
        ({**_raw(), "baseline": {"group_by": "x"}}, "choose one of [] or remove it"),
        ({**_raw(), "baseline": {"by": "x"}}, "[baseline] unknown keys ['by']"),
        ({**_raw(), "baseline": "x"}, "[baseline] must be a table"),
    ],
)
def test_invalid_contracts_are_refused_with_the_reason(raw: dict, message: str) -> None:
    with pytest.raises(ContractError) as error:
        parse_contract(raw)
    assert message in str(error.value)


def test_unreadable_contract_file_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "contract.toml"
    broken.write_text("[table\nname = ", encoding="utf-8")
    with pytest.raises(ContractError, match="cannot read the contract"):
        load_contract(broken)


@pytest.mark.parametrize("kind", ["category", "boolean", "integer"])
def test_the_baseline_groups_by_the_feature_the_contract_names(kind: str) -> None:
    column = {"type": kind, **({"allowed": ["a", "b"]} if kind == "category" else {})}
    raw = {**_raw(**column), "baseline": {"group_by": "x"}}
    assert parse_contract(raw).baseline_group_by == "x"
    assert parse_contract(_raw(**column)).baseline_group_by is None  # no [baseline]: overall
