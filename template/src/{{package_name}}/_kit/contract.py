"""Load the data contract (``contract.toml``) into typed, immutable objects.

Everything that checks or uses columns asks the contract; nothing else hard-codes column names.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import ProjectError
from .tasks import CLASSIFICATION, REGRESSION

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONTRACT_PATH = Path(__file__).parents[1] / "contract.toml"
TYPES = ("integer", "float", "boolean", "category", "string")
ROLES = ("feature", "target", "id")
NUMERIC_TYPES = ("integer", "float", "boolean")
_COLUMN_KEYS = {"type", "role", "nullable", "min", "max", "allowed", "description"}
_TABLE_KEYS = {"name", "description", "min_rows", "unique"}
_BASELINE_KEYS = {"group_by"}
GROUPABLE_TYPES = ("category", "boolean", "integer")


class ContractError(ProjectError):
    """The contract file is malformed; the message names the table or column at fault."""


@dataclass(frozen=True)
class Column:
    """The rules for one column."""

    name: str
    type: str
    role: str = "feature"
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    description: str = ""


@dataclass(frozen=True)
class Contract:
    """The rules for a whole table: its columns (in order) and table-level rules."""

    name: str
    columns: tuple[Column, ...]
    min_rows: int = 1
    unique: tuple[str, ...] = ()
    description: str = ""
    baseline_group_by: str | None = None  # [baseline] group_by: the baseline's grouping column

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def target(self) -> Column:
        for column in self.columns:
            if column.role == "target":
                return column
        raise ContractError(f"the {self.name!r} contract has no target column")

    @property
    def task(self) -> str:
        """Classification for a category or boolean target, regression for a number."""
        return CLASSIFICATION if self.target.type in ("category", "boolean") else REGRESSION

    @property
    def features(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.role == "feature")

    @property
    def feature_names(self) -> list[str]:
        return [column.name for column in self.features]

    @property
    def numeric_features(self) -> list[str]:
        return [c.name for c in self.features if c.type in NUMERIC_TYPES]

    @property
    def categorical_features(self) -> list[str]:
        return [c.name for c in self.features if c.type == "category"]

    @property
    def text_columns(self) -> list[str]:
        """Columns to read as text, so codes like "007" keep their leading zeros."""
        return [c.name for c in self.columns if c.type in ("category", "string")]

    def for_requests(self) -> Contract:
        """The rules one prediction request must meet: feature columns, no table rules."""
        return Contract(
            name=self.name,
            columns=self.features,
            description=f"One prediction request: the feature columns of {self.name}.",
        )

    def fingerprint(self) -> str:
        """SHA-256 of the data rules only: descriptions, comments and the baseline's grouping
        can change freely without invalidating a trained model."""
        rules = asdict(self)
        del rules["description"], rules["baseline_group_by"]
        for column in rules["columns"]:
            del column["description"]
        canonical = json.dumps(rules, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    """Read and check a contract file; raise ContractError naming what is wrong."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ContractError(f"{path}: cannot read the contract: {exc}") from exc
    return parse_contract(raw)


def parse_contract(raw: dict[str, Any]) -> Contract:
    """Build a Contract from the parsed TOML (a dict), checking every rule."""
    _reject_unknown("(top level)", raw, {"table", "columns", "baseline"})
    table = raw.get("table", {})
    _reject_unknown("[table]", table, _TABLE_KEYS)
    columns = tuple(_parse_column(name, spec) for name, spec in raw.get("columns", {}).items())
    if not columns:
        raise ContractError("the contract declares no [columns.<name>] tables")
    targets = [column.name for column in columns if column.role == "target"]
    if len(targets) != 1:
        raise ContractError(f"exactly one column needs role = 'target'; found {targets or 'none'}")
    names = {column.name for column in columns}
    unknown_keys = [name for name in table.get("unique", []) if name not in names]
    if unknown_keys:
        raise ContractError(f"[table] unique names columns that are not declared: {unknown_keys}")
    min_rows = table.get("min_rows", 1)
    if not isinstance(min_rows, int) or min_rows < 1:
        raise ContractError(f"[table] min_rows must be a whole number >= 1, not {min_rows!r}")
    return Contract(
        name=str(table.get("name", "data")),
        columns=columns,
        min_rows=min_rows,
        unique=tuple(table.get("unique", [])),
        description=str(table.get("description", "")),
        baseline_group_by=_parse_baseline(raw.get("baseline", {}), columns),
    )


def _parse_baseline(spec: Any, columns: tuple[Column, ...]) -> str | None:
    """``[baseline] group_by``: a feature column of few values, or None for one overall answer."""
    if not isinstance(spec, dict):
        raise ContractError(f"[baseline] must be a table, not {spec!r}")
    _reject_unknown("[baseline]", spec, _BASELINE_KEYS)
    name = spec.get("group_by")
    if name is None:
        return None
    groupable = [c.name for c in columns if c.role == "feature" and c.type in GROUPABLE_TYPES]
    if name not in groupable:
        raise ContractError(
            f"[baseline] group_by = {name!r} must name a {'/'.join(GROUPABLE_TYPES)} feature "
            f"column; choose one of {groupable} or remove it for one overall answer"
        )
    return str(name)


def _parse_column(name: str, spec: dict[str, Any]) -> Column:
    where = f"[columns.{name}]"
    if not isinstance(spec, dict):
        raise ContractError(f"{where} must be a table of rules, not {spec!r}")
    _reject_unknown(where, spec, _COLUMN_KEYS)
    kind, role = spec.get("type"), spec.get("role", "feature")
    if kind not in TYPES:
        raise ContractError(f"{where} type must be one of {', '.join(TYPES)}, not {kind!r}")
    if role not in ROLES:
        raise ContractError(f"{where} role must be one of {', '.join(ROLES)}, not {role!r}")
    if kind == "string" and role != "id":
        raise ContractError(f"{where} free-text columns can only be ids; use type = 'category'")
    if kind == "category" and not spec.get("allowed"):
        raise ContractError(f"{where} a category column needs a non-empty 'allowed' list")
    if kind != "category" and "allowed" in spec:
        raise ContractError(f"{where} 'allowed' only applies to category columns")
    if ("min" in spec or "max" in spec) and kind not in ("integer", "float"):
        raise ContractError(f"{where} min/max only apply to integer and float columns")
    low, high = spec.get("min"), spec.get("max")
    if low is not None and high is not None and low > high:
        raise ContractError(f"{where} min ({low}) is greater than max ({high})")
    allowed = spec.get("allowed")
    return Column(
        name=name,
        type=kind,
        role=role,
        nullable=bool(spec.get("nullable", False)),
        min=low,
        max=high,
        allowed=tuple(str(value) for value in allowed) if allowed else None,
        description=str(spec.get("description", "")),
    )


def _reject_unknown(where: str, spec: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ContractError(f"{where} unknown keys {unknown}; allowed: {sorted(known)}")
