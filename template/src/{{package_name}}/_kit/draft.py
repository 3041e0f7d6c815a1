"""Draft ``contract.toml`` from a data file: a starting point to review, never a final contract.

Types come from the data, ranges are the observed ones widened by a margin, columns with few
distinct values become categories, and a column with gaps is nullable. The target is the one
you name, else a column with a usual target name, else the last column; an id is a unique
column whose name says so, or a row number (0..n-1 or 1..n, as pandas and R write them). The
baseline groups by the feature whose groups best predict the target on this data. Every guess
is noted for review.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .contract import GROUPABLE_TYPES
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
    ids = [c for c in frame.columns if c != chosen and _is_id(frame[c], notes)]
    blocks, kinds = [], {}
    for column in frame.columns:
        role = "target" if column == chosen else "id" if column in ids else "feature"
        spec = _column_spec(frame[column], role, notes)
        kinds[column] = spec["type"], spec["role"]
        blocks.append(_block(column, spec))
    task = "classification" if kinds[chosen][0] in ("category", "boolean") else "regression"
    group_by = _guess_group(frame, chosen, task, kinds, notes)
    baseline = ["[baseline]", f"group_by = {_toml(group_by)}", ""] if group_by else []
    header = [
        f"# DRAFT drafted from {source} ({len(frame)} rows): review every rule, then delete",
        "# this line. Rules: type, role, nullable, min/max, allowed (see docs/extending.md).",
        "",
        "[table]",
        f"name = {_toml(name)}",
        f"min_rows = {min(100, len(frame))}",
        f"unique = {json.dumps(ids)}",
        "",
        *baseline,
    ]
    return Draft("\n".join(header + blocks), chosen, task, tuple(notes))


def write_draft(draft: Draft, path: Path, *, force: bool = False) -> None:
    if path.exists() and not force:
        raise DraftError(f"{path} exists: pass --force to replace it (git keeps the old one)")
    path.write_text(draft.text, encoding="utf-8")


def _guess_target(frame: pd.DataFrame, notes: list[str]) -> str:
    lowered = {str(c).lower() for c in frame.columns}
    names = [n for n in TARGET_NAMES if n != "y" or not lowered & {"x", "z"}]  # y beside x: an axis
    named = [c for c in frame.columns if str(c).lower() in names]
    chosen = named[0] if named else frame.columns[-1]
    why = "of its name" if named else "it is the last column"
    notes.append(f"target: {chosen!r} because {why}; pass --target NAME to choose another")
    return str(chosen)


def _is_id(values: pd.Series, notes: list[str]) -> bool:
    whole = pd.api.types.is_integer_dtype(values) or pd.api.types.is_string_dtype(values)
    if bool(_ID.search(str(values.name))) and whole and values.is_unique:
        return True
    if _is_row_number(values):
        notes.append(f"{values.name}: numbers the rows (0..n-1 or 1..n); drafted as an id")
        return True
    return False


def _is_row_number(values: pd.Series) -> bool:
    """A saved index: pandas' "Unnamed: 0" (from 0) or R's rownames (from 1), one per row."""
    if not pd.api.types.is_integer_dtype(values) or values.isna().any() or len(values) < 20:
        return False
    low = int(values.min())
    return low in (0, 1) and int(values.max()) - low == len(values) - 1 and values.is_unique


def _guess_group(
    frame: pd.DataFrame, target: str, task: str, kinds: dict[str, tuple[str, str]], notes: list[str]
) -> str | None:
    """The feature with few values whose per-group answer best beats the overall one."""
    candidates = [
        name
        for name, (kind, role) in kinds.items()
        if role == "feature" and kind in GROUPABLE_TYPES and frame[name].nunique() <= MAX_CATEGORIES
    ]
    labels = frame[target]
    gains = {name: _gain(frame[name], labels, task) for name in candidates}
    best = max(gains, key=gains.__getitem__, default=None)
    if best is None or gains[best] <= 0:
        notes.append("baseline: one overall answer (no feature with few values helps it)")
        return None
    measure = "accuracy" if task == "classification" else "share of variance explained"
    notes.append(
        f"baseline: grouped by {best!r} (the best of {len(candidates)} candidates: "
        f"+{gains[best]:.3f} {measure}); edit [baseline] group_by to choose"
    )
    return str(best)


def _gain(groups: pd.Series, labels: pd.Series, task: str) -> float:
    """How much better the per-group answer fits ``labels`` than the overall one, in sample."""
    known = labels.notna() & groups.notna()
    groups, labels = groups[known].astype(str), labels[known]
    if labels.empty:
        return 0.0
    if task == "classification":
        labels = labels.astype(str)
        per_group = labels.groupby(groups).transform(lambda part: part.mode().iloc[0])
        return float((per_group == labels).mean() - (labels == labels.mode().iloc[0]).mean())
    numbers = labels.astype(float)
    total = float(((numbers - numbers.mean()) ** 2).sum())
    within = float(((numbers - numbers.groupby(groups).transform("mean")) ** 2).sum())
    return 1 - within / total if total else 0.0


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
