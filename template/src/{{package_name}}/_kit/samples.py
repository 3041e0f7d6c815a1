"""Rows made from the contract alone: valid by construction, with a target a model can learn.

The kit's own tests run on these, so they hold for any valid contract, not just the example
data. Numbers are drawn inside their ranges, categories from their allowed values, nullable
columns get some gaps, ids are unique, and the target follows a seeded linear rule of the
features plus noise, so a model beats the baseline while the baseline still has a chance.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .contract import Column, Contract
from .data import conform, write_table
from .registry import sha256_of
from .tasks import CLASSIFICATION

GAPS = 0.1  # share of missing values in a nullable feature
SPAN = 100.0  # the width of a number column without both bounds


def sample_frame(contract: Contract, rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """``rows`` rows that meet every rule of ``contract`` (conformed like a loaded file)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {c.name: _column(c, rows, rng) for c in contract.columns if c.role != "target"}
    )
    signal = _signal(frame, contract, rng)
    frame[contract.target.name] = _target(contract.target, signal, contract.task, rng)
    return conform(frame[[c.name for c in contract.columns]], contract)


def is_sample_file(path: Path, contract: Contract, rows: int, seed: int = 0) -> bool:
    """Whether ``path`` holds exactly the ``rows`` rows ``sample-data`` writes with ``seed`` (the
    CI workflow's fallback when it has no training data), compared byte for byte."""
    with tempfile.TemporaryDirectory() as folder:
        made = Path(folder) / f"sample{Path(path).suffix.lower()}"
        write_table(sample_frame(contract, rows=rows, seed=seed), made)
        return sha256_of(made) == sha256_of(Path(path))


def _bounds(column: Column) -> tuple[float, float]:
    low, high = column.min, column.max
    if low is None and high is None:
        return 0.0, SPAN
    if low is None:
        return float(high) - SPAN, float(high)
    if high is None:
        return float(low), float(low) + SPAN
    return float(low), float(high)


def _column(column: Column, rows: int, rng: np.random.Generator) -> pd.Series:
    if column.role == "id":
        start = int(column.min) if column.min is not None else 1
        ids = np.arange(start, start + rows)
        return pd.Series(ids.astype(str) if column.type == "string" else ids)
    values = _values(column, rows, rng)
    if column.nullable:
        values = values.mask(rng.random(rows) < GAPS)
    return values


def _values(column: Column, rows: int, rng: np.random.Generator) -> pd.Series:
    if column.type == "category":
        return pd.Series(rng.choice(np.array(column.allowed, dtype=object), size=rows))
    if column.type == "boolean":
        return pd.Series(rng.random(rows) < 0.5)
    low, high = _bounds(column)
    if column.type == "integer":
        return pd.Series(rng.integers(int(np.ceil(low)), int(np.floor(high)) + 1, size=rows))
    return pd.Series(rng.uniform(low, high, size=rows))


def _signal(frame: pd.DataFrame, contract: Contract, rng: np.random.Generator) -> np.ndarray:
    """A seeded linear rule of the features: standardised numbers and one effect per category."""
    signal = np.zeros(len(frame))
    for column in contract.features:
        values = frame[column.name]
        if column.type == "category":
            allowed = column.allowed or ()
            effects = dict(zip(allowed, rng.normal(size=len(allowed)), strict=True))
            part = values.map(effects).astype(float)
        else:
            numbers = values.astype(float)
            spread = numbers.std() or 1.0
            part = (numbers - numbers.mean()) / spread * rng.normal()
        signal += part.fillna(0.0).to_numpy()
    return signal + rng.normal(scale=0.5 * (signal.std() or 1.0), size=len(frame))


def _target(column: Column, signal: np.ndarray, task: str, rng: np.random.Generator) -> pd.Series:
    if task == CLASSIFICATION:
        labels = list(column.allowed or ("False", "True"))
        if column.type == "boolean":
            labels = [False, True]
        # Equal-sized bands of the signal, one label each: every label appears.
        ranks = signal.argsort().argsort()
        return pd.Series([labels[r * len(labels) // len(signal)] for r in ranks])
    low, high = _bounds(column)
    scaled = (signal - signal.min()) / ((signal.max() - signal.min()) or 1.0)
    values = low + scaled * (high - low)
    return pd.Series(np.round(values) if column.type == "integer" else values)
