"""The training data's profile, and how far other data has drifted from it (PSI).

``train`` stores the profile of the rows the model is fitted on beside the model
(``models/vN/profile.json``); ``monitor`` counts logged requests in the same bins and compares.
Each feature's bins, with the training data's share of rows in each:

- numbers: between the training data's deciles (fewer bins when values repeat, as hours do),
  then one bin for missing values;
- categories and booleans: one bin per allowed value, one for anything else, one for missing.

The population stability index (PSI) of a feature sums ``(actual - expected) * ln(actual /
expected)`` over its bins, with shares of rows. Below 0.1 the feature is stable; from 0.1 watch
it; from 0.25 it has drifted: the model now sees inputs unlike those it learned from. With few
rows PSI is noisy (about bins / rows even without drift), so ``monitor`` needs a hundred or more.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from .contract import Contract
from .errors import ProjectError
from .registry import Registry

PROFILE_FILE = "profile.json"
WATCH, DRIFT = 0.1, 0.25
DECILES = np.linspace(0.1, 0.9, 9)
_FLOOR = 1e-4  # an empty bin counts as this share, so the logarithm stays finite


class ProfileError(ProjectError):
    """A model's training profile is missing or unreadable; the message says how to fix it."""


@dataclass(frozen=True)
class FeatureProfile:
    """One feature's bins and the training data's share of rows in each.

    ``bins`` are the inner bin edges of a number (a value ``x`` falls in the first bin whose
    edge is ``>= x``, or after the last edge) or the allowed values of a category. ``shares``
    has one entry per bin, then (categories only) one for other values, then one for missing.
    """

    name: str
    kind: str  # "numeric" or "categorical"
    bins: list[Any]
    shares: list[float]

    def counts(self, values: pd.Series) -> np.ndarray:
        """How many of ``values`` fall in each bin, in the order of ``shares``."""
        missing = values.isna()
        present = values[~missing]
        if self.kind == "numeric":
            edges = np.asarray(self.bins, dtype=float)
            index = np.searchsorted(edges, present.to_numpy(dtype=float), side="left")
            counts = np.bincount(index, minlength=len(edges) + 1)
        else:
            found = present.astype(str).value_counts()
            known = found.reindex(self.bins, fill_value=0).to_numpy()
            counts = np.append(known, found.sum() - known.sum())
        return np.append(counts, missing.sum())

    def labels(self) -> list[str]:
        """A short name for each bin, in the order of ``shares``."""
        if self.kind != "numeric":
            return [*map(str, self.bins), "other", "missing"]
        edges = [f"{edge:.4g}" for edge in self.bins]
        if not edges:
            return ["any", "missing"]
        inner = [f"{low} to {high}" for low, high in itertools.pairwise(edges)]
        return [f"≤ {edges[0]}", *inner, f"> {edges[-1]}", "missing"]

    def shares_of(self, values: pd.Series) -> list[float]:
        """The share of ``values`` in each bin, in the order of ``shares``."""
        counts = self.counts(values)
        return [float(share) for share in counts / max(counts.sum(), 1)]

    def psi(self, values: pd.Series) -> float:
        """The population stability index of ``values`` against the training data."""
        counts = self.counts(values)
        actual = np.maximum(counts / max(counts.sum(), 1), _FLOOR)
        expected = np.maximum(np.asarray(self.shares, dtype=float), _FLOOR)
        return float(np.sum((actual - expected) * np.log(actual / expected)))


def status(psi: float) -> str:
    """``stable``, ``watch`` or ``drift`` by the thresholds above."""
    return "drift" if psi >= DRIFT else "watch" if psi >= WATCH else "stable"


@dataclass(frozen=True)
class Profile:
    rows: int
    features: tuple[FeatureProfile, ...]

    def to_json(self) -> str:
        """Readable JSON: one line per feature."""
        features = ",\n".join(
            f"    {json.dumps(f.name)}: "
            + json.dumps({"kind": f.kind, "bins": f.bins, "shares": f.shares})
            for f in self.features
        )
        return '{\n  "rows": ' + str(self.rows) + ',\n  "features": {\n' + features + "\n  }\n}\n"


def build_profile(frame: pd.DataFrame, contract: Contract) -> Profile:
    """The profile of the feature columns of ``frame`` (conformed training rows)."""
    features = []
    for column in contract.features:
        values = frame[column.name]
        if column.type in ("integer", "float"):
            present = values.dropna().to_numpy(dtype=float)
            edges = np.unique(np.quantile(present, DECILES).round(6)) if len(present) else []
            feature = FeatureProfile(column.name, "numeric", [float(e) for e in edges], [])
        else:
            categories = list(column.allowed or ("False", "True"))  # booleans read as text
            feature = FeatureProfile(column.name, "categorical", categories, [])
        shares = feature.counts(values) / max(len(values), 1)
        features.append(replace(feature, shares=[round(float(s), 6) for s in shares]))
    return Profile(len(frame), tuple(features))


def load_profile(registry: Registry, version: str) -> Profile:
    """The training profile of a registered model; ProfileError when it is missing or broken."""
    path = registry.path(version, PROFILE_FILE)
    retrain = "retrain it with the train command"
    if not path.is_file():
        raise ProfileError(
            f"model {version} has no training profile ({path}): it was registered before "
            f"training profiles existed; {retrain}"
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        features = tuple(
            FeatureProfile(name, spec["kind"], list(spec["bins"]), list(spec["shares"]))
            for name, spec in raw["features"].items()
        )
        return Profile(int(raw["rows"]), features)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProfileError(f"{path}: unreadable training profile ({exc}); {retrain}") from exc
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ProfileError(f"{path}: not a training profile ({exc!r}); {retrain}") from exc
