"""One way to ask for predictions, two places to get them.

``LocalPredictor`` scores in-process with the registered pickle; ``HttpPredictor`` asks the
service (``serve``). Both take rows as dicts, check them against the contract the same way and
return the same ``Prediction`` objects, so moving a caller from the pickle to the API changes
one constructor call:

    predictor = LocalPredictor.from_registry(Path("models"))
    predictor = HttpPredictor("http://127.0.0.1:8000")
    predictor.predict([{"region": "north", "distance_km": 3.2, ...}])
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from .contract import Contract, load_contract
from .data import conform
from .errors import ProjectError
from .records import Metadata
from .registry import Registry
from .schema import row_model
from .scoring import CannotCompileError, Columns, CompiledPipeline, compile_pipeline, verify

log = logging.getLogger(__name__)
DEFAULT_BATCH = 1000  # rows per request; the service refuses larger batches


@dataclass(frozen=True)
class Prediction:
    """A predicted label or number; for a classifier, the probability of each label too."""

    value: Any
    probabilities: dict[str, float] | None = None
    # A number moved into the target's contract range (regression); not part of the answer, so
    # the service's predictions equal the pickle's.
    clipped: bool = field(default=False, compare=False)


class PredictionInputError(ProjectError):
    """Rows that break the contract. ``errors`` has one entry per problem: row (from 1), field
    and message, the same whichever predictor found them."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        lines = [f"row {e['row']}: {e['field']}: {e['message']}" for e in errors[:10]]
        more = f"\n(and {len(errors) - 10} more)" if len(errors) > 10 else ""
        super().__init__("rows break the data contract:\n" + "\n".join(lines) + more)


class ServiceError(ProjectError):
    """The prediction service cannot be reached or cannot answer."""


class Predictor(Protocol):
    model_version: str

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> list[Prediction]: ...


class LocalPredictor:
    """Predictions from a registered model, in this process."""

    def __init__(self, model: Any, metadata: Metadata, contract: Contract) -> None:
        self.model, self.metadata, self.contract = model, metadata, contract
        self.model_version = metadata.version
        self._row = row_model(contract)
        classes = getattr(model, "classes_", None)  # a regressor has none
        self._labels = None if classes is None else [str(label) for label in classes]
        self.scorer = self._compile()  # None: the pipeline scores every row

    def _compile(self) -> CompiledPipeline | None:
        """The pipeline compiled (scoring.py) and checked against itself, or None, with one
        warning saying why: every request then costs milliseconds."""
        try:
            scorer = compile_pipeline(self.model, self.contract)
        except CannotCompileError as exc:
            problem = str(exc)
        else:
            problem = verify(scorer, self.contract, self._pipeline_score)
            if problem is None:
                return scorer
            problem = f"compiled, it answered otherwise ({problem})"
        log.warning(
            "model %s is scored by its scikit-learn pipeline, milliseconds per request: %s "
            "(scoring.py lists the models it compiles)",
            self.model_version,
            problem,
        )
        return None

    @classmethod
    def from_registry(
        cls, models_dir: Path, version: str | None = None, contract: Contract | None = None
    ) -> LocalPredictor:
        """The current model (or ``version``), verified before it is loaded."""
        contract = contract or load_contract()
        model, metadata = Registry(models_dir).load(
            version, contract_fingerprint=contract.fingerprint()
        )
        return cls(model, metadata, contract)

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> list[Prediction]:
        """Check each row against the contract, then predict them all at once."""
        valid, errors = [], []
        for number, row in enumerate(rows, start=1):
            try:
                valid.append(self._row.model_validate(row))
            except ValidationError as exc:
                errors += [_error(number, error) for error in exc.errors()]
        if errors:
            raise PredictionInputError(errors)
        return self.predict_valid(valid)

    def predict_valid(self, rows: Sequence[BaseModel]) -> list[Prediction]:
        """Rows already checked against the contract (the service's request bodies)."""
        if not rows:
            return []
        names = self.contract.feature_names
        return self.predict_columns({name: [getattr(row, name) for row in rows] for name in names})

    def predict_columns(self, columns: Columns) -> list[Prediction]:
        """Columns of checked values (a validated table): one prediction per row."""
        values, probabilities = self._score(columns)
        if probabilities is None or self._labels is None:
            raw = np.asarray(values, dtype=float)
            served = clip_to_target(raw, self.contract)
            return [
                Prediction(value, clipped=value != before)
                for value, before in zip(served.tolist(), raw.tolist(), strict=True)
            ]
        return [
            Prediction(str(value), dict(zip(self._labels, row.tolist(), strict=True)))
            for value, row in zip(values, probabilities, strict=True)
        ]

    def _score(self, columns: Columns) -> tuple[Any, Any]:
        """Labels and probabilities (a classifier), or numbers and None."""
        scores = None if self.scorer is None else self.scorer.score(columns)
        if scores is None:  # not compiled, or rows only the pipeline answers (or refuses)
            return self._pipeline_score(columns)
        if self._labels is None:
            return scores[:, 0], None
        return self.model.classes_[scores.argmax(axis=1)], scores

    def _pipeline_score(self, columns: Columns) -> tuple[Any, Any]:
        frame = conform(
            pd.DataFrame({name: list(values) for name, values in columns.items()}), self.contract
        )
        if hasattr(self.model, "predict_proba"):
            probabilities = self.model.predict_proba(frame)
            return self.model.classes_[probabilities.argmax(axis=1)], probabilities
        return self.model.predict(frame), None


class HttpPredictor:
    """Predictions from the service, in batches of at most ``batch_size`` rows."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        batch_size: int = DEFAULT_BATCH,
        client: httpx.Client | None = None,
    ) -> None:
        self._client = client or httpx.Client(base_url=base_url, timeout=timeout)
        self._batch_size = batch_size
        self.model_version = ""

    def predict(self, rows: Sequence[Mapping[str, Any]]) -> list[Prediction]:
        predictions: list[Prediction] = []
        for start in range(0, len(rows), self._batch_size):
            batch = list(rows[start : start + self._batch_size])
            answer = self._post("/predict/batch", {"rows": batch}, offset=start)
            self.model_version = answer["model_version"]
            predictions += [
                Prediction(item["prediction"], item.get("probabilities"))
                for item in answer["predictions"]
            ]
        return predictions

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpPredictor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _post(self, path: str, body: dict[str, Any], *, offset: int) -> dict[str, Any]:
        try:
            response = self._client.post(path, json=body)
        except httpx.HTTPError as exc:
            raise ServiceError(
                f"{self._client.base_url}: cannot reach the service ({exc})"
            ) from exc
        if response.status_code == 422:
            details = response.json()["detail"]
            raise PredictionInputError([_http_error(detail, offset) for detail in details])
        if response.status_code != 200:
            raise ServiceError(
                f"{self._client.base_url}{path}: {response.status_code} {response.text}"
            )
        return response.json()


def clip_to_target(values: Any, contract: Contract) -> np.ndarray:
    """Predicted numbers clipped into the target's contract range (the range policy: a number
    the contract calls impossible is never served; ``train`` counts how often it happens)."""
    numbers, target = np.asarray(values, dtype=float), contract.target
    if target.min is None and target.max is None:
        return numbers
    return np.clip(numbers, target.min, target.max)


def outside_target(values: Any, contract: Contract) -> int:
    """How many predicted numbers fall outside the target's contract range."""
    numbers, target = np.asarray(values, dtype=float), contract.target
    low = -np.inf if target.min is None else target.min
    high = np.inf if target.max is None else target.max
    return int(((numbers < low) | (numbers > high)).sum())


def _error(row: int, error: Mapping[str, Any]) -> dict[str, Any]:
    field = ".".join(str(part) for part in error["loc"]) or "(row)"
    return {"row": row, "field": field, "message": error["msg"]}


def _http_error(detail: Mapping[str, Any], offset: int) -> dict[str, Any]:
    """FastAPI's ``["body", "rows", index, field]`` location back to (row, field)."""
    location = list(detail["loc"])
    if location[:2] == ["body", "rows"] and len(location) > 2:
        return _error(offset + int(location[2]) + 1, {**detail, "loc": location[3:]})
    return _error(offset + 1, {**detail, "loc": location[1:]})
