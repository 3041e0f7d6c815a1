from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable

import pandas as pd
import pytest
from pydantic import ValidationError

from ..contract import Column, Contract, parse_contract
from ..data import conform
from ..samples import sample_frame
from ..schema import batch_model, prediction_model, row_model
from ..tasks import CLASSIFICATION
from ..validation import validate_frame
from .conftest import (
    UNKNOWN,
    category_feature,
    find_column,
    invalid_value,
    nullable_feature,
    outside,
    request_rows,
    required_feature,
    unlisted,
)

NUMBERS = ("integer", "float")


def _number(contract: Contract, what: str = "", match: Callable[[Column], bool] = bool) -> Column:
    """A number feature (that ``match`` accepts), or skip."""
    return find_column(
        contract,
        f"{what} number feature".strip(),
        lambda c: c.role == "feature" and c.type in NUMBERS and match(c),
    )


def _integer(contract: Contract) -> Column:
    return _number(contract, "integer", lambda c: c.type == "integer")


def _bounded(contract: Contract, bound: str) -> Column:
    return _number(contract, f"{bound}-bounded", lambda c: getattr(c, bound) is not None)


def _fraction(column: Column, good: dict[str, object]) -> float:
    """A fraction inside an integer column's range."""
    value = int(good[column.name])
    return value + 0.5 if column.max is None or value < column.max else value - 0.5


def _lowest(contract: Contract) -> dict[str, object]:
    bounded = [c for c in contract.features if c.type in NUMBERS and c.min is not None]
    if not bounded:
        pytest.skip("the contract has no number feature with a min")
    return {c.name: int(c.min) if c.type == "integer" else float(c.min) for c in bounded}


# case: (the change to a good request row, given the contract and the row; accepted or not)
CASES: dict[str, tuple[Callable[[Contract, dict], dict], bool]] = {
    "good row": (lambda c, good: {}, True),
    "nullable field null": (lambda c, good: {nullable_feature(c).name: None}, True),
    "nullable field NaN": (
        lambda c, good: {_number(c, "nullable", lambda n: n.nullable).name: math.nan},
        True,
    ),
    "whole float for an integer": (
        lambda c, good: {(n := _integer(c)).name: float(good[n.name])},
        True,
    ),
    "lowest allowed value": (lambda c, good: _lowest(c), True),
    "out of range": (lambda c, good: {(n := _bounded(c, "max")).name: outside(n, "max")}, False),
    "below the minimum": (
        lambda c, good: {(n := _bounded(c, "min")).name: outside(n, "min")},
        False,
    ),
    "outside the allowed set": (
        lambda c, good: {(n := category_feature(c)).name: unlisted(n)},
        False,
    ),
    "null where not allowed": (lambda c, good: {required_feature(c).name: None}, False),
    "NaN where not allowed": (
        lambda c, good: {_number(c, "required", lambda n: not n.nullable).name: math.nan},
        False,
    ),
    "text for a number": (lambda c, good: {_number(c).name: "three"}, False),
    "numeric text for a number": (
        lambda c, good: {(n := _number(c)).name: str(good[n.name])},
        False,
    ),
    "boolean for a number": (lambda c, good: {_number(c).name: True}, False),
    "fraction for an integer": (
        lambda c, good: {(n := _integer(c)).name: _fraction(n, good)},
        False,
    ),
    "number for a category": (lambda c, good: {category_feature(c).name: 5}, False),
    "text for a boolean": (lambda c, good: {_boolean(c).name: "yes"}, False),
    "number for a boolean": (lambda c, good: {_boolean(c).name: 1}, False),
    "extra field": (lambda c, good: {UNKNOWN: "red"}, False),
}


def _boolean(contract: Contract) -> Column:
    return find_column(
        contract, "boolean feature", lambda c: c.role == "feature" and c.type == "boolean"
    )


# A contract with every kind of feature, so that no case goes unchecked whatever yours has.
# It does not depend on your files, so only the whole suite (CI) checks it.
EVERY_KIND = parse_contract(
    {
        "table": {"name": "every_kind", "unique": ["key"]},
        "columns": {
            "key": {"type": "string", "role": "id"},
            "count": {"type": "integer", "min": 0, "max": 9},
            "gappy_count": {"type": "integer", "nullable": True},
            "size": {"type": "float", "min": -1.5, "max": 2.5},
            "gappy_size": {"type": "float", "nullable": True},
            "kind": {"type": "category", "allowed": ["a", "b"]},
            "gappy_kind": {"type": "category", "allowed": ["x", "y"], "nullable": True},
            "flag": {"type": "boolean"},
            "gappy_flag": {"type": "boolean", "nullable": True},
            "label": {"type": "category", "role": "target", "allowed": ["no", "yes"]},
        },
    }
)


@pytest.fixture(
    scope="module", params=["project", pytest.param("every kind", marks=pytest.mark.slow)]
)
def shape(
    request: pytest.FixtureRequest, _sample_rows: pd.DataFrame, contract: Contract
) -> tuple[Contract, dict[str, object]]:
    """A contract, and a request row it accepts: a sample row with every value present."""
    if request.param == "project":
        chosen, rows = contract, _sample_rows
    else:
        chosen, rows = EVERY_KIND, sample_frame(EVERY_KIND, rows=50, seed=0)
    complete = rows[chosen.feature_names].dropna()
    return chosen, request_rows(complete.head(1), chosen)[0]


@pytest.fixture(scope="module")
def good(_sample_rows: pd.DataFrame, contract: Contract) -> dict[str, object]:
    """A request row the project's contract accepts."""
    complete = _sample_rows[contract.feature_names].dropna()
    return request_rows(complete.head(1), contract)[0]


def _pydantic_accepts(contract: Contract, row: dict) -> bool:
    try:
        row_model(contract).model_validate(row)
    except ValidationError:
        return False
    return True


def _suite_accepts(contract: Contract, row: dict) -> bool:
    requests = contract.for_requests()
    frame = pd.DataFrame([{**dict.fromkeys(requests.feature_names), **row}])
    return validate_frame(conform(frame, requests), requests).success


@pytest.mark.parametrize("case", list(CASES))
def test_pydantic_model_and_suite_agree(
    case: str, shape: tuple[Contract, dict[str, object]]
) -> None:
    contract, good = shape
    change, accepted = CASES[case]
    row = {**good, **change(contract, good)}
    assert _pydantic_accepts(contract, row) is accepted
    assert _suite_accepts(contract, row) is accepted


def test_row_model_fields_follow_the_contract(contract: Contract) -> None:
    schema = row_model(contract).model_json_schema()
    assert list(schema["properties"]) == contract.feature_names
    assert set(schema.get("required", [])) == {c.name for c in contract.features if not c.nullable}
    assert schema["additionalProperties"] is False
    for column in contract.features:
        field = json.dumps(schema["properties"][column.name])
        if column.description:
            assert schema["properties"][column.name]["description"] == column.description
        for bound, key in (("min", "minimum"), ("max", "maximum")):
            if getattr(column, bound) is not None:
                assert f'"{key}": {json.dumps(getattr(column, bound))}' in field
        if column.allowed:
            assert f'"enum": {json.dumps(list(column.allowed))}' in field


def test_errors_name_the_field(contract: Contract, good: dict[str, object]) -> None:
    column = contract.features[-1]
    with pytest.raises(ValidationError) as refused:
        row_model(contract).model_validate({**good, column.name: invalid_value(column)})
    assert [error["loc"] for error in refused.value.errors()] == [(column.name,)]


def test_batch_model_bounds_the_number_of_rows(contract: Contract, good: dict[str, object]) -> None:
    batch = batch_model(contract, max_rows=2)
    assert len(batch.model_validate({"rows": [good, good]}).rows) == 2
    for rows in ([], [good] * 3):
        with pytest.raises(ValidationError, match="rows"):
            batch.model_validate({"rows": rows})


@pytest.mark.slow  # a new interpreter
def test_request_models_do_not_import_great_expectations() -> None:
    kit = __package__.rpartition(".")[0]
    code = (
        f"import sys; from {kit}.contract import load_contract; "
        f"from {kit}.schema import row_model; row_model(load_contract()); "
        "print('great_expectations' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def _target(**rules: object) -> Contract:
    return parse_contract({"columns": {"x": {"type": "float"}, "y": {"role": "target", **rules}}})


@pytest.mark.parametrize(
    ("rules", "good", "bad"),
    [
        ({"type": "category", "allowed": ["yes", "no"]}, "no", "maybe"),
        ({"type": "boolean"}, "True", "yes"),
    ],
)
def test_classification_answers_are_labels_with_probabilities(
    rules: dict[str, object], good: str, bad: str
) -> None:
    answer = prediction_model(_target(**rules))
    assert answer.model_validate({"prediction": good, "probabilities": {good: 1.0}}).prediction
    for refused in ({"prediction": bad, "probabilities": {}}, {"prediction": good}):
        with pytest.raises(ValidationError):
            answer.model_validate(refused)


def test_regression_answers_are_numbers() -> None:
    answer = prediction_model(_target(type="float"))
    assert answer.model_validate({"prediction": 12.5}).prediction == 12.5
    with pytest.raises(ValidationError):
        answer.model_validate({"prediction": "not a number"})


def test_the_shipped_contract_answers_for_its_task(contract: Contract) -> None:
    shipped = prediction_model(contract).model_json_schema()
    assert ("probabilities" in shipped["properties"]) is (contract.task == CLASSIFICATION)
