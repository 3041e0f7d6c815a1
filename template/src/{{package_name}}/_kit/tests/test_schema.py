from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from pydantic import ValidationError

from ..contract import Contract, parse_contract
from ..data import conform
from ..schema import batch_model, prediction_model, row_model
from ..tasks import CLASSIFICATION
from ..validation import validate_frame

GOOD = {"region": "north", "distance_km": 3.2, "items": 2, "hour": 12, "courier_rating": 4.5}
# (change to a good request row, whether the contract accepts it)
CASES = {
    "good row": ({}, True),
    "nullable field null": ({"courier_rating": None}, True),
    "nullable field NaN": ({"courier_rating": float("nan")}, True),
    "whole float for an integer": ({"items": 3.0}, True),
    "lowest allowed value": ({"distance_km": 0.0, "hour": 0}, True),
    "out of range": ({"distance_km": 140.5}, False),
    "below the minimum": ({"courier_rating": 0.5}, False),
    "outside the allowed set": ({"region": "mars"}, False),
    "null where not allowed": ({"region": None}, False),
    "NaN where not allowed": ({"distance_km": float("nan")}, False),
    "text for a number": ({"items": "three"}, False),
    "numeric text for a number": ({"items": "3"}, False),
    "boolean for a number": ({"items": True}, False),
    "fraction for an integer": ({"items": 2.5}, False),
    "number for a category": ({"region": 5}, False),
    "extra field": ({"colour": "red"}, False),
}


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
def test_pydantic_model_and_suite_agree(case: str, contract: Contract) -> None:
    change, accepted = CASES[case]
    row = {**GOOD, **change}
    assert _pydantic_accepts(contract, row) is accepted
    assert _suite_accepts(contract, row) is accepted


def test_row_model_fields_follow_the_contract(contract: Contract) -> None:
    schema = row_model(contract).model_json_schema()
    assert list(schema["properties"]) == contract.feature_names
    assert set(schema["required"]) == {c.name for c in contract.features if not c.nullable}
    assert schema["additionalProperties"] is False
    distance = schema["properties"]["distance_km"]
    assert (distance["minimum"], distance["maximum"]) == (0.0, 100.0)
    assert distance["description"] == contract.column("distance_km").description
    assert schema["properties"]["region"]["enum"] == list(contract.column("region").allowed or ())


def test_errors_name_the_field(contract: Contract) -> None:
    with pytest.raises(ValidationError) as refused:
        row_model(contract).model_validate({**GOOD, "hour": 24})
    assert [error["loc"] for error in refused.value.errors()] == [("hour",)]


def test_batch_model_bounds_the_number_of_rows(contract: Contract) -> None:
    batch = batch_model(contract, max_rows=2)
    assert len(batch.model_validate({"rows": [GOOD, GOOD]}).rows) == 2
    for rows in ([], [GOOD] * 3):
        with pytest.raises(ValidationError, match="rows"):
            batch.model_validate({"rows": rows})


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
        answer.model_validate({"prediction": "late"})


def test_the_shipped_contract_answers_for_its_task(contract: Contract) -> None:
    shipped = prediction_model(contract).model_json_schema()
    assert ("probabilities" in shipped["properties"]) is (contract.task == CLASSIFICATION)
