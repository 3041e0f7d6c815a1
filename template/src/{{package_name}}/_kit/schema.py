"""Request models for serving, built from the same contract as the validation suite.

A payload is checked against these pydantic models in microseconds, where a Great Expectations
run costs tens of milliseconds, so serving holds requests to the contract's rules without
importing Great Expectations. ``tests/test_schema.py`` checks both agree row by row.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, create_model

from .contract import Column, Contract
from .tasks import CLASSIFICATION


def _number(value: Any) -> Any:
    """Numbers must arrive as numbers: "3" and true are refused, 3.0 counts as the integer 3."""
    if isinstance(value, str | bytes | bool):
        raise ValueError("must be a number, not text or a boolean")
    return value


def _number_or_missing(value: Any) -> Any:
    """As `_number`, and NaN means missing (as it does in a DataFrame)."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return _number(value)


_NUMBERS = {"integer": int, "float": float}


def row_model(contract: Contract) -> type[BaseModel]:
    """One prediction request: the contract's feature columns, with their rules."""
    fields: dict[str, Any] = {column.name: _field(column) for column in contract.features}
    return create_model(
        f"{_title(contract.name)}Row",
        __config__=ConfigDict(extra="forbid", title=f"One {contract.name} row"),
        __doc__=contract.description or None,
        **fields,
    )


def batch_model(contract: Contract, *, max_rows: int) -> type[BaseModel]:
    """Several rows in one request, at most ``max_rows`` of them."""
    row = row_model(contract)
    return create_model(
        f"{_title(contract.name)}Batch",
        __config__=ConfigDict(extra="forbid"),
        rows=(list[row], Field(min_length=1, max_length=max_rows)),
    )


def _field(column: Column) -> tuple[Any, Any]:
    """The annotation and Field for one column: its type, nullability and limits."""
    if column.type == "category":
        annotation: Any = Literal[tuple(column.allowed or ())]
    elif column.type == "boolean":
        annotation = StrictBool
    else:
        annotation = _NUMBERS[column.type]
    if column.nullable:
        annotation = annotation | None
    if column.type in _NUMBERS:
        check = _number_or_missing if column.nullable else _number
        annotation = Annotated[annotation, BeforeValidator(check)]
    limits = {"ge": column.min, "le": column.max}
    if column.type == "float":
        limits["allow_inf_nan"] = False
    field = Field(
        None if column.nullable else ...,
        description=column.description or None,
        **{key: value for key, value in limits.items() if value is not None},
    )
    return annotation, field


def _title(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("-", "_").split("_"))


def prediction_model(contract: Contract) -> type[BaseModel]:
    """One prediction as the service returns it: the label (with probabilities) or number."""
    target = contract.target
    title = f"{_title(contract.name)}Prediction"
    description = f"predicted {target.name}" + (
        f": {target.description}" if target.description else ""
    )
    if contract.task == CLASSIFICATION:  # labels as text; a boolean target's are False, True
        labels: Any = Literal[tuple(target.allowed or ("False", "True"))]
        return create_model(
            title,
            prediction=(labels, Field(description=description)),
            probabilities=(dict[str, float], Field(description="probability of each label")),
        )
    return create_model(title, prediction=(float, Field(description=description)))


def response_models(contract: Contract) -> tuple[type[BaseModel], type[BaseModel]]:
    """The service's answers to one row and to a batch: predictions and the model version."""
    prediction = prediction_model(contract)
    version = (str, Field(description="registered model version, such as v3"))
    one = create_model(f"{prediction.__name__}Response", __base__=prediction, model_version=version)
    batch = create_model(
        f"{_title(contract.name)}BatchResponse",
        predictions=(list[prediction], ...),
        model_version=version,
    )
    return one, batch
