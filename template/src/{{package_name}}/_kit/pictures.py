"""Pictures for the model card and the drift report: PNG files beside the document showing them.

A document's pictures go in a folder named after it, in lower case (``MODEL_CARD.md`` ->
``model_card/``, ``reports/drift.md`` -> ``reports/drift/``). Drawn with matplotlib's
object-oriented API on its Agg canvas: no display, no pyplot state, the same bytes for the
same numbers (no date or version is stamped into the files).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .records import Metrics
from .registry import write_atomically
from .tasks import METRICS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .monitor import FeatureDrift
    from .records import Holdout

MODEL, BASELINE, IDEAL = "#2563eb", "#9ca3af", "#374151"
TRAINING, RECENT = "#9ca3af", "#2563eb"
STATUS_COLORS = {"stable": "#16a34a", "watch": "#d97706", "drift": "#dc2626"}
DPI = 100
MAX_ANNOTATED_CLASSES = 12  # a bigger confusion matrix is shown without its counts


def pictures_dir(document: Path) -> Path:
    """The folder of ``document``'s pictures."""
    return document.with_name(document.stem.lower())


def save(figure: Figure, path: Path) -> None:
    """Write ``figure`` as a PNG at ``path`` (its folder is created): whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    png = io.BytesIO()
    metadata = {"Software": None}  # leave the matplotlib version out of the file
    figure.savefig(png, format="png", dpi=DPI, bbox_inches="tight", metadata=metadata)
    write_atomically(path, png.getvalue())


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    figure.set_facecolor("white")
    return figure


def _tidy(axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=9)


def metrics_chart(metrics: Metrics) -> Figure:
    """One panel per holdout metric: the model's bar against the baseline's."""
    names = list(metrics.model)
    figure = _figure(2.4 * len(names) + 0.4, 3.0)
    panels = figure.subplots(1, len(names), squeeze=False)[0]
    directions = METRICS.get(metrics.task, {})
    for axes, name in zip(panels, names, strict=True):
        values = [metrics.model[name], metrics.baseline[name]]
        bars = axes.bar(["model", "baseline"], values, color=[MODEL, BASELINE], width=0.6)
        axes.bar_label(bars, labels=[f"{v:.3f}" for v in values], fontsize=9, padding=2)
        axes.axhline(0, color=IDEAL, linewidth=0.8)
        low, high = min(0.0, *values), max(0.0, *values)
        span = (high - low) or 1.0
        axes.set_ylim(low - 0.12 * span * (low < 0), high + 0.18 * span)
        better = {True: "higher is better", False: "lower is better"}.get(
            directions.get(name, metrics.higher_is_better), ""
        )
        primary = " (primary)" if name == metrics.primary else ""
        axes.set_title(f"{name}{primary}\n{better}", fontsize=10)
        _tidy(axes)
    figure.suptitle(f"Holdout metrics, {metrics.holdout_rows} rows", fontsize=11)
    return figure


def confusion_chart(holdout: Holdout) -> Figure:
    """The confusion matrix: counts, shaded by each actual class's share."""
    counts = np.asarray(holdout.confusion, dtype=int)
    classes = len(holdout.labels)
    size = min(2.0 + 0.55 * classes, 9.0)
    figure = _figure(size + 1.2, size)
    axes = figure.subplots()
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    ticks = range(classes)
    tilt = classes > 4 or max(map(len, holdout.labels), default=0) > 10
    axes.set_xticks(
        ticks, holdout.labels, rotation=45 if tilt else 0, ha="right" if tilt else "center"
    )
    axes.set_yticks(ticks, holdout.labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("actual")
    if classes <= MAX_ANNOTATED_CLASSES:
        for (row, column), count in np.ndenumerate(counts):
            color = "white" if shares[row, column] > 0.6 else "black"
            axes.text(column, row, str(count), ha="center", va="center", color=color, fontsize=10)
    figure.colorbar(image, ax=axes, shrink=0.8, label="share of the actual class")
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    axes.set_title(f"Confusion matrix, {holdout.rows} holdout rows (accuracy {accuracy:.1%})")
    axes.tick_params(labelsize=9)
    return figure


def calibration_chart(holdout: Holdout) -> Figure:
    """Predicted probability against how often the event happened, per tenth of [0, 1]."""
    figure = _figure(5.6, 4.6)
    axes = figure.subplots()
    predicted = [b.predicted for b in holdout.calibration]
    observed = [b.observed for b in holdout.calibration]
    rows = np.array([b.rows for b in holdout.calibration], dtype=float)
    axes.plot([0, 1], [0, 1], linestyle="--", color=BASELINE, label="perfectly calibrated")
    axes.plot(predicted, observed, color=MODEL, linewidth=1.5, label="the model")
    axes.scatter(
        predicted, observed, s=20 + 180 * rows / rows.max(), color=MODEL, zorder=3, alpha=0.8
    )
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_aspect("equal")
    axes.set_xlabel(f"predicted probability of {holdout.calibration_of}")
    axes.set_ylabel("observed share")
    axes.set_title("Calibration on the holdout (dot size: rows)", fontsize=11)
    axes.legend(loc="upper left", fontsize=9, frameon=False)
    _tidy(axes)
    return figure


def predicted_vs_actual_chart(holdout: Holdout, target: str) -> Figure:
    """Each holdout row's prediction against its actual value, with the line of perfection."""
    figure = _figure(5.6, 5.0)
    axes = figure.subplots()
    actual, predicted = np.asarray(holdout.actual), np.asarray(holdout.predicted)
    low = float(min(actual.min(), predicted.min()))
    high = float(max(actual.max(), predicted.max()))
    axes.plot([low, high], [low, high], linestyle="--", color=IDEAL, linewidth=1, label="y = x")
    axes.scatter(actual, predicted, s=10, alpha=0.4, color=MODEL, edgecolors="none")
    axes.set_xlabel(f"actual {target}")
    axes.set_ylabel(f"predicted {target}")
    axes.set_aspect("equal", adjustable="datalim")
    shown = f"{len(actual)} of {holdout.rows}" if len(actual) < holdout.rows else len(actual)
    axes.set_title(f"Predicted against actual, {shown} holdout rows", fontsize=11)
    axes.legend(loc="upper left", fontsize=9, frameon=False)
    _tidy(axes)
    return figure


def residuals_chart(holdout: Holdout, target: str) -> Figure:
    """Residuals (actual - predicted) against the prediction, and their distribution."""
    figure = _figure(9.0, 3.6)
    scatter, histogram = figure.subplots(1, 2, width_ratios=[3, 2])
    predicted = np.asarray(holdout.predicted)
    residuals = np.asarray(holdout.actual) - predicted
    scatter.axhline(0, color=IDEAL, linestyle="--", linewidth=1)
    scatter.scatter(predicted, residuals, s=10, alpha=0.4, color=MODEL, edgecolors="none")
    scatter.set_xlabel(f"predicted {target}")
    scatter.set_ylabel("actual - predicted")
    scatter.set_title("Residuals against the prediction", fontsize=10)
    histogram.hist(
        residuals, bins=int(np.clip(len(residuals) // 10, 10, 40)), color=MODEL, alpha=0.8
    )
    histogram.axvline(0, color=IDEAL, linestyle="--", linewidth=1)
    histogram.set_xlabel("actual - predicted")
    histogram.set_ylabel("rows")
    histogram.set_title(
        f"Residuals: mean {residuals.mean():.3g}, sd {residuals.std():.3g}", fontsize=10
    )
    for axes in (scatter, histogram):
        _tidy(axes)
    return figure


def psi_chart(features: Sequence[str], psi: Sequence[float], statuses: Sequence[str]) -> Figure:
    """Each feature's PSI as a bar coloured by its status, with the two thresholds."""
    from .profile import DRIFT, WATCH

    figure = _figure(7.0, 0.9 + 0.32 * len(features))
    axes = figure.subplots()
    positions = np.arange(len(features))
    colors = [STATUS_COLORS[status] for status in statuses]
    bars = axes.barh(positions, psi, color=colors, height=0.6)
    axes.bar_label(bars, labels=[f"{v:.3f}" for v in psi], fontsize=8, padding=3)
    axes.set_yticks(positions, features)
    axes.invert_yaxis()
    for threshold, status in ((WATCH, "watch"), (DRIFT, "drift")):
        axes.axvline(
            threshold,
            color=STATUS_COLORS[status],
            linestyle="--",
            linewidth=1,
            label=f"{status} from {threshold:g}",
        )
    axes.set_xlim(0, max(DRIFT * 1.3, max(psi, default=0.0) * 1.15))
    axes.legend(loc="lower right", fontsize=8, frameon=False)
    axes.set_xlabel("population stability index (PSI)")
    _tidy(axes)
    return figure


def distribution_chart(drift: FeatureDrift) -> Figure:
    """One feature's share of rows per bin: the training data's beside the recent inputs'."""
    labels, status = drift.bins, drift.status
    figure = _figure(max(5.0, 0.55 * len(labels) + 2.0), 3.4)
    axes = figure.subplots()
    positions = np.arange(len(labels))
    axes.bar(positions - 0.2, drift.training, width=0.4, color=TRAINING, label="training data")
    axes.bar(positions + 0.2, drift.recent, width=0.4, color=RECENT, label="recent inputs")
    tilt = 35 if len(labels) > 5 or max(map(len, labels), default=0) > 8 else 0
    axes.set_xticks(positions, labels, rotation=tilt, ha="right" if tilt else "center")
    axes.set_ylabel("share of rows")
    axes.set_title(
        f"{drift.feature}: PSI {drift.psi:.3f}, {status}", color=STATUS_COLORS[status], fontsize=11
    )
    axes.legend(fontsize=9, frameon=False)
    _tidy(axes)
    return figure
