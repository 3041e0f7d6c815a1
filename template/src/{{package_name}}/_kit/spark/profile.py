"""The training profile (``profile.py``) of a table too large for pandas, computed on Spark.

Train fits on a sample that fits in memory; ``profile --engine spark`` then profiles the whole
training data, the population ``monitor`` should compare requests with. The bins are the same
kind as ``profile.build_profile`` makes: for numbers, the deciles, here approximate (Spark's
``percentile_approx``, within 1/``ACCURACY`` of each decile's rank; pandas interpolates between
the two nearest values), then one bin for missing values; for categories and booleans, one bin
per value, one for anything else, one for missing. Every bin's share is an exact count.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as sf

from ..contract import Column as ContractColumn
from ..contract import Contract
from ..profile import DECILES, FeatureProfile, Profile
from ..validation import InvalidDataError
from .tables import col, conform
from .validation import opened, validate_table

ACCURACY = 100_000  # percentile_approx: a decile's rank within rows / ACCURACY


def profile_path(path: Path | str, contract: Contract) -> Profile:
    """The profile of the feature columns of a valid table (InvalidDataError if it is not), on
    the active session (``spark_session``)."""
    with opened(path) as table:
        frame = conform(table, contract)
        report = validate_table(table, frame, contract)
        if not report.success:
            raise InvalidDataError(report)
        return profile_frame(frame, contract)


def profile_frame(frame: DataFrame, contract: Contract) -> Profile:
    """As ``profile.build_profile`` over conformed rows: two passes over ``frame``."""
    numbers = [c for c in contract.features if c.type in ("integer", "float")]
    edges: dict[str, list[float]] = {}
    if numbers:
        deciles = [float(share) for share in DECILES]
        found = frame.agg(
            *(
                sf.percentile_approx(col(c.name).cast("double"), deciles, ACCURACY).alias(c.name)
                for c in numbers
            )
        ).first()
        for column in numbers:
            values = found[column.name] if found is not None else None
            edges[column.name] = (
                [float(edge) for edge in np.unique(np.round(values, 6))] if values else []
            )
    bins = [_bins(column, edges) for column in contract.features]
    counted = [
        sf.count(sf.when(condition, 1)).alias(f"{index} {part}")
        for index, (feature, column) in enumerate(zip(bins, contract.features, strict=True))
        for part, condition in enumerate(_conditions(feature, col(column.name)))
    ]
    totals = frame.agg(sf.count(sf.lit(1)).alias("rows"), *counted).first()
    rows = int(totals["rows"]) if totals is not None else 0
    features = []
    for index, feature in enumerate(bins):
        parts = len(_conditions(feature, sf.lit(None)))
        counts = [int(totals[f"{index} {part}"]) if totals else 0 for part in range(parts)]
        shares = [round(count / max(rows, 1), 6) for count in counts]
        features.append(FeatureProfile(feature.name, feature.kind, feature.bins, shares))
    return Profile(rows, tuple(features))


def _bins(column: ContractColumn, edges: dict[str, list[float]]) -> FeatureProfile:
    if column.name in edges:
        return FeatureProfile(column.name, "numeric", edges[column.name], [])
    categories = list(column.allowed or ("False", "True"))  # booleans as text
    return FeatureProfile(column.name, "categorical", categories, [])


def _conditions(feature: FeatureProfile, values: Column) -> list[Column]:
    """One condition per bin, in the order of ``FeatureProfile.counts``."""
    missing = values.isNull()
    if feature.kind == "numeric":
        number = values.cast("double")
        # FeatureProfile.counts: a value falls in the first bin whose edge is >= it.
        bins, low = [], None
        for edge in feature.bins:
            inside = number <= edge if low is None else (number > low) & (number <= edge)
            bins.append(~missing & inside)
            low = edge
        bins.append(~missing if low is None else ~missing & (number > low))
        return [*bins, missing]
    text = sf.when(values.cast("string") == "true", "True").when(
        values.cast("string") == "false", "False"
    )
    text = text.otherwise(values.cast("string"))
    known = [~missing & (text == value) for value in feature.bins]
    return [*known, ~missing & ~text.isin(*feature.bins), missing]
