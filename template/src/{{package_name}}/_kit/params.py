"""``params.json``: the parameters ``tune`` chose and the record of the search that chose them.

{"params": {PARAMETER: VALUE, ...}, "tuning": {"trials": 20, "best_score": 0.71, ...}}

The tuning record is a ``records.Tuning``; a file set by hand may leave it out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import ProjectError
from .records import Tuning, problem
from .registry import write_atomically


class ParamsError(ProjectError):
    """The parameters file cannot be used; the message says why."""


@dataclass(frozen=True)
class Params:
    """Parameter values (over ``model.py``'s defaults) and the record of the search."""

    values: dict[str, Any]
    tuning: Tuning | None = None


def load_params(path: Path, known: Iterable[str]) -> Params:
    """The parameters file, or no values and no record when it does not exist.

    ``known`` are the parameters the model takes (its defaults' names).
    """
    if not path.is_file():
        return Params({})
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParamsError(f"{path}: not a readable JSON file of parameters ({exc})") from exc
    expected = '{"params": {...}, "tuning": {...}} as tune writes it'
    if not isinstance(raw, dict) or set(raw) - {"params", "tuning"}:
        raise ParamsError(f"{path}: expected {expected}; got {raw!r}")
    params, tuning = raw.get("params"), raw.get("tuning")
    if not isinstance(params, dict) or not isinstance(tuning, dict | None):
        raise ParamsError(f"{path}: expected {expected}; got {raw!r}")
    known = list(known)
    unknown = sorted(set(params) - set(known))
    if unknown:
        takes = ", ".join(known)
        raise ParamsError(f"{path}: unknown parameters {unknown}; the model takes {takes}")
    try:
        record = None if tuning is None else Tuning.model_validate(tuning)
    except ValidationError as exc:
        raise ParamsError(
            f"{path}: not the tuning record tune writes: {problem(exc, 'tuning')}; run tune again"
        ) from exc
    return Params(params, record)


def params_json(params: Params) -> str:
    """The parameters file's text."""
    tuning = None if params.tuning is None else params.tuning.model_dump(mode="json")
    return json.dumps({"params": params.values, "tuning": tuning}, indent=2) + "\n"


def save_params(path: Path, params: Params) -> None:
    """Write the parameters file atomically (a reader never sees half of it)."""
    write_atomically(path, params_json(params))
