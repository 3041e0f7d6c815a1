"""Draft ``contract.toml`` from a data file: a starting point to review, never a final contract.

Types come from the data, ranges are the observed ones widened by a margin, columns with few
distinct values become categories, and a column with gaps is nullable. The target is the one
you name, else a column with a usual target name, else the last column; an id is a unique
column whose name says so. Every guess is marked in the file for review.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import ProjectError

MAX_CATEGORIES = 20  # distinct values up to which text (or a small integer code) is a category
MARGIN = 0.1  # observed ranges widen by this share of their width
TARGET_NAMES = ("target", "label", "y", "class", "outcome")
_ID = re.compile(r"(^|_)(id|key|uuid)$|^id_", re.IGNORECASE)
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


class DraftError(ProjectError):
    """The contract cannot be drafted; the message says why."""


@dataclass(frozen=True)
class Draft:
    text: str
    target: str
    task: str
    notes: tuple[str, ...]


def draft_contract(
    frame: pd.DataFrame, *, source: str, name: str = "data", target: str | None = None
) -> Draft:
    """The TOML text of a contract for ``frame``, with the guesses it made."""
    if frame.empty or not len(frame.columns):
        raise DraftError(f"{source}: no rows to draft a contract from")
    if target is not None and target not in frame.columns:
        raise DraftError(f"--target {target!r} is not a column; columns: {list(frame.columns)}")
    notes: list[str] = []
    chosen = target or _guess_target(frame, notes)
    ids = [c for c in frame.columns if c != chosen and _is_id(frame[c])]
    blocks, kinds = [], {}
    for column in frame.columns:
        role = "target" if column == chosen else "id" if column in ids else "feature"
        spec = _column_spec(frame[column], role, notes)
        kinds[column] = spec["type"]
        blocks.append(_block(column, spec))
    task = "classification" if kinds[chosen] in ("category", "boolean") else "regression"
    header = [
        f"# DRAFT drafted from {source} ({len(frame)} rows): review every rule, then delete",
        "# this line. Rules: type, role, nullable, min/max, allowed (see docs/extending.md).",
        "",
        "[table]",
        f"name = {_toml(name)}",
        f"min_rows = {min(100, len(frame))}",
        f"unique = {json.dumps(ids)}",
        "",
    ]
    return Draft("\n".join(header + blocks), chosen, task, tuple(notes))


def write_draft(draft: Draft, path: Path, *, force: bool = False) -> None:
    if path.exists() and not force:
        raise DraftError(f"{path} exists: pass --force to replace it (git keeps the old one)")
    path.write_text(draft.text, encoding="utf-8")


def _guess_target(frame: pd.DataFrame, notes: list[str]) -> str:
    named = [c for c in frame.columns if str(c).lower() in TARGET_NAMES]
    chosen = named[0] if named else frame.columns[-1]
    why = "its name" if named else "it is the last column"
    notes.append(f"target: {chosen!r} because {why}; pass --target NAME to choose another")
    return str(chosen)


def _is_id(values: pd.Series) -> bool:
    whole = pd.api.types.is_integer_dtype(values) or pd.api.types.is_string_dtype(values)
    return bool(_ID.search(str(values.name))) and whole and values.is_unique


def _column_spec(values: pd.Series, role: str, notes: list[str]) -> dict[str, object]:
    present = values.dropna()
    spec: dict[str, object] = {"type": _type(values, role), "role": role}
    if values.isna().any() and role != "id":
        spec["nullable"] = True
    kind = spec["type"]
    if kind == "category":
        spec["allowed"] = sorted({str(v) for v in present})
    elif kind == "string" and role == "feature":
        spec["role"] = "id"
        notes.append(f"{values.name}: free text with many values; drafted as an id (not an input)")
    elif kind in ("integer", "float") and len(present) and role != "id":
        spec.update(_range(present.astype(float), whole=kind == "integer"))
    return spec


def _type(values: pd.Series, role: str) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    distinct = values.nunique(dropna=True)
    if pd.api.types.is_numeric_dtype(values):
        whole = pd.api.types.is_integer_dtype(values) or (
            (values.dropna() == values.dropna().round()).all()
        )
        if role == "target" and whole and distinct <= MAX_CATEGORIES:
            return "category"  # a small set of whole numbers as a target: class codes
        return "integer" if whole else "float"
    if role == "id":
        return "string"
    return "category" if distinct <= MAX_CATEGORIES else "string"


def _range(values: pd.Series, *, whole: bool) -> dict[str, float]:
    low, high = float(values.min()), float(values.max())
    pad = (high - low) * MARGIN
    bounds = {"min": low - pad if low < 0 else max(0.0, low - pad), "max": high + pad}
    if whole:
        return {"min": math.floor(bounds["min"]), "max": math.ceil(bounds["max"])}
    return {"min": _round(bounds["min"], up=False), "max": _round(bounds["max"], up=True)}


def _round(value: float, *, up: bool) -> float:
    """``value`` to five significant digits, rounded outwards so the range never shrinks."""
    if value == 0:
        return 0.0
    scale = 10.0 ** (math.floor(math.log10(abs(value))) - 4)
    steps = math.ceil(value / scale) if up else math.floor(value / scale)
    return float(f"{steps * scale:.12g}")


def _block(name: str, spec: dict[str, object]) -> str:
    lines = [f"[columns.{name if _BARE.match(str(name)) else _toml(str(name))}]"]
    for key in ("type", "role", "nullable", "min", "max", "allowed"):
        if key in spec and not (key == "role" and spec[key] == "feature"):
            lines.append(f"{key} = {_toml(spec[key])}")
    lines.append('description = ""')
    return "\n".join(lines) + "\n"


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML string
