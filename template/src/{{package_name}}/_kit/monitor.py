"""Watch the served model: its recent inputs against the contract and the training data.

``monitor`` takes a window of the prediction log (``prediction_log.py``): the last N
predictions of one model version (the current one by default), optionally only those since a
time. It runs the contract's request suite over them with Great Expectations, as ``validate``
does for files, and compares each feature with the model's training profile (``profile.py``):
a population stability index (PSI) below 0.1 is stable, from 0.1 worth watching, from 0.25
drift. A broken rule or a drifted feature fails the check. For a regressor it also counts the
predictions the service clipped into the target's contract range (reported, not failed).

Given a path (the ``drift_report`` setting, from the command line), it also writes a drift
report there: Markdown with a picture of each feature's PSI and, per feature, its training
distribution beside the recent one (``pictures.py``), most drifted first; with many features,
the pictures show the most drifted ones and the table lists every feature.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .contract import Contract
from .data import conform
from .errors import ProjectError
from .identity import project_title
from .prediction_log import read_log, utc_stamp
from .profile import DRIFT, PROFILE_FILE, WATCH, load_profile, status
from .registry import Registry, write_atomically
from .validation import ValidationReport, validate_frame

MIN_ROWS = 100  # fewer predictions than this make PSI too noisy to judge
PICTURED = 20  # features a drift report draws, most drifted first: wide data stays readable
SAFE_FILE_NAME = re.compile(r"[a-z0-9_.-]{1,60}")  # the same file on every file system


class MonitorError(ProjectError):
    """The window cannot be monitored (no predictions of the model, too few, a bad time)."""


@dataclass(frozen=True)
class Window:
    """Which logged predictions to check: of ``version`` (default: the current model), logged
    since ``since`` (an ISO date or time, UTC unless it gives an offset), the last ``last``."""

    version: str | None = None
    last: int | None = None
    since: str | None = None


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    psi: float
    status: str  # stable, watch or drift
    bins: list[str] = field(default_factory=list)  # the profile's bins, named
    training: list[float] = field(default_factory=list)  # share of training rows in each bin
    recent: list[float] = field(default_factory=list)  # share of the window's rows in each


@dataclass(frozen=True)
class MonitorReport:
    """What ``monitor`` found; ``render()`` for people, ``to_json()`` for machines."""

    model_version: str
    source: str
    rows: int
    first: str
    last: str
    other_versions: dict[str, int]  # rows of other model versions in the log, not compared
    validation: ValidationReport
    drift: list[FeatureDrift]
    clipped: int | None = None  # regression: predictions moved into the target's range
    drift_report: str | None = None  # where the drift report was written, if it was

    @property
    def drifted(self) -> list[str]:
        return [item.feature for item in self.drift if item.status == "drift"]

    @property
    def success(self) -> bool:
        return self.validation.success and not self.drifted

    def render(self) -> str:
        others = ", ".join(f"{count} of {v}" for v, count in self.other_versions.items())
        lines = [
            f"model {self.model_version}: {self.rows} predictions from {self.first} to "
            f"{self.last} ({self.source}{'; not compared: ' + others if others else ''})",
            f"contract: {self.validation.render()}",
            f"drift against the training data (PSI; watch from {WATCH}, drift from {DRIFT}):",
            *(f"  {d.feature:<20} {d.psi:>7.3f}  {d.status.upper()}" for d in self.drift),
        ]
        if self.clipped is not None:
            lines.append(
                f"target range: {self.clipped} of {self.rows} predictions "
                f"({self.clipped / self.rows:.1%}) fell outside the contract's range (clipped)"
            )
        if self.drift_report is not None:
            lines.append(f"drift report with pictures: {self.drift_report}")
        if self.success:
            verdict = "ok: every rule holds and no feature drifted"
        else:
            problems = [] if self.validation.success else ["requests break the contract"]
            problems += [f"{feature} drifted" for feature in self.drifted]
            verdict = "FAILED: " + "; ".join(problems)
        return "\n".join([*lines, verdict])

    def to_json(self) -> str:
        report = {**asdict(self), "validation": json.loads(self.validation.to_json())}
        thresholds = {"watch": WATCH, "drift": DRIFT}
        return json.dumps({**report, "thresholds": thresholds, "success": self.success}, indent=2)


def monitor(
    registry: Registry,
    contract: Contract,
    log_path: Path,
    window: Window = Window(),
    report_to: Path | None = None,
) -> MonitorReport:
    """Check a window of the prediction log at ``log_path``; write the drift report to
    ``report_to`` if given."""
    metadata = registry.verify(window.version, contract_fingerprint=contract.fingerprint())
    profile = load_profile(registry, metadata.version)
    logged = read_log(log_path, contract)
    rows = _select(logged, metadata.version, log_path, last=window.last, since=window.since)
    requests = contract.for_requests()
    frame = conform(rows[requests.feature_names].reset_index(drop=True), requests)
    drift = []
    for feature in profile.features:
        values = frame[feature.name]
        psi = feature.psi(values)
        drift.append(
            FeatureDrift(
                feature.name,
                round(psi, 4),
                status(psi),
                feature.labels(),
                feature.shares,
                [round(share, 6) for share in feature.shares_of(values)],
            )
        )
    counts = logged["model_version"].value_counts()
    report = MonitorReport(
        model_version=metadata.version,
        source=str(log_path),
        rows=len(frame),
        first=rows["time"].iloc[0],
        last=rows["time"].iloc[-1],
        other_versions={v: int(n) for v, n in counts.items() if v != metadata.version},
        validation=validate_frame(frame, requests, source="the window"),
        drift=drift,
        clipped=_clipped(rows["clipped"]),
    )
    if report_to is None:
        return report
    profile_path = registry.path(metadata.version, PROFILE_FILE)
    write_drift_report(report, report_to, profile_path)
    return replace(report, drift_report=str(report_to))


def write_drift_report(report: MonitorReport, path: Path, profile: Path) -> None:
    """The report as Markdown at ``path``, its pictures in the folder beside it."""
    from .pictures import distribution_chart, pictures_dir, psi_chart, save

    folder = pictures_dir(path)
    ranked = sorted(report.drift, key=lambda item: -item.psi)
    drawn = ranked[:PICTURED]
    save(
        psi_chart([d.feature for d in drawn], [d.psi for d in drawn], [d.status for d in drawn]),
        folder / "psi.png",
    )
    every = len(drawn) == len(ranked)
    drawn_ones = "each feature" if every else f"the {len(drawn)} most drifted features"
    heading = (
        "Each feature, most drifted first"
        if every
        else f"The {len(drawn)} most drifted of {len(ranked)} features; the table lists every one"
    )
    sections = []
    for item in drawn:
        name = picture_name(item.feature)
        save(distribution_chart(item), folder / name)
        sections.append(
            f"### `{item.feature}`: PSI {item.psi:.3f}, {item.status}\n\n"
            f"![{item.feature}: share of rows per bin, training data against recent inputs]"
            f"({folder.name}/{name})"
        )
    verdict = report.render().splitlines()[-1]
    rows = "\n".join(f"| `{d.feature}` | {d.psi:.3f} | {d.status} |" for d in ranked)
    written = datetime.now(timezone.utc).isoformat(timespec="seconds")
    text = "\n\n".join(
        [
            f"# Drift report: {project_title()}, model {report.model_version}",
            f"{report.rows} predictions logged from {report.first} to {report.last} "
            f"(`{report.source}`), against the model's training data (`{profile}`). Population "
            f"stability index (PSI): below {WATCH} stable, from {WATCH} watch, from {DRIFT} "
            "drift.",
            f"**{verdict}**",
            f"![PSI of {drawn_ones}, most drifted first]({folder.name}/psi.png)",
            "| Feature | PSI | Status |\n| --- | ---: | --- |\n" + rows,
            f"## {heading}\n\nThe share of rows in each bin of the "
            "training profile, the training data in grey and the recent inputs in blue. A "
            "number's bins lie between the training data's deciles, each up to and including "
            "its upper edge.",
            *sections,
            f"Written by the `monitor` command at {written}; run it again for a fresh one.",
        ]
    )
    write_atomically(path, text + "\n")


def picture_name(feature: str) -> str:
    """The file of ``feature``'s picture, one per feature on any file system: a name that is not
    all lowercase ASCII letters, digits, ``-``, ``_`` and ``.`` (60 at most) keeps a readable
    part and gets a digest of the name, so "Mean radius", "mean radius" and "mean_radius" never
    share a file, on a case-insensitive disk either."""
    if SAFE_FILE_NAME.fullmatch(feature):
        return f"feature-{feature}.png"
    readable = re.sub(r"[^a-z0-9_.-]", "_", feature.lower())[:40]
    digest = hashlib.sha256(feature.encode("utf-8")).hexdigest()[:8]
    return f"feature-{readable}-{digest}.png"


def _clipped(flags: pd.Series) -> int | None:
    """How many predictions were clipped; None for a classifier (and logs older than the flag)."""
    return None if flags.isna().all() else int(flags.fillna(False).astype(bool).sum())


def _select(
    logged: pd.DataFrame, version: str, path: Path, *, last: int | None, since: str | None
) -> pd.DataFrame:
    """The rows of ``version``, since ``since`` if given, the last ``last`` of them."""
    rows = logged[logged["model_version"] == version]
    if rows.empty:
        found = logged["model_version"].value_counts()
        has = ", ".join(f"{v}: {n} rows" for v, n in found.items())
        raise MonitorError(
            f"{path} has no predictions of model {version} (it has {has}); "
            "pass --model to monitor one of those"
        )
    if since is not None:
        rows = rows[rows["time"] >= _stamp(since)]
    if last is not None:
        rows = rows.tail(last)
    if len(rows) < MIN_ROWS:
        raise MonitorError(
            f"the window has {len(rows)} predictions of model {version}; drift statistics "
            f"need at least {MIN_ROWS} (widen --last or --since, or wait for more traffic)"
        )
    return rows


def _stamp(text: str) -> str:
    """An ISO date or time (UTC unless it gives an offset) as the log writes times."""
    try:
        moment = datetime.fromisoformat(text.removesuffix("Z"))
    except ValueError as exc:
        raise MonitorError(f"--since {text!r} is not an ISO date or time ({exc})") from exc
    return utc_stamp(calendar.timegm(moment.utctimetuple()) + moment.microsecond / 1e6)
