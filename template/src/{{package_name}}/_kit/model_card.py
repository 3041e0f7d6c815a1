"""The model card (``MODEL_CARD.md``): what the current model is, how good, and who accepted it.

``model-card`` writes it from the registry (metadata, metrics against the baseline, the tuning
record), the data contract and ``ACCEPTANCE.toml``. It is generated, never edited by hand: a
comment in the card records the model version and a digest of the facts it states, and
``model-card --check`` fails when the card is missing or stale (another model version, or
changed metrics, parameters, tuning, contract or acceptance). When and where the model was
trained (date, commit, Python) is shown but not checked, so that CI, which retrains the model,
agrees with the card you committed.

Its pictures are PNG files in ``model_card/`` beside it (``pictures.py``), drawn from the
registered model's metrics and holdout record: the model against the baseline on each metric;
a confusion matrix and a calibration curve for a classifier, predicted against actual values and
the residuals for a regressor. ``--check`` also fails when a picture the card shows is missing.
The MLflow runs of the training and of the search behind it are named, not checked.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .contract import Column, Contract
from .errors import ProjectError
from .holdout import load_holdout
from .identity import project_title
from .pictures import pictures_dir
from .profile import DRIFT, PROFILE_FILE, WATCH
from .records import Holdout, Metadata, TrackedRun
from .registry import Registry, write_atomically
from .tasks import CLASSIFICATION
from .tracking import browse_hint

if TYPE_CHECKING:
    from matplotlib.figure import Figure

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MODEL_CARD, ACCEPTANCE = Path("MODEL_CARD.md"), Path("ACCEPTANCE.toml")
_STAMP = re.compile(r"<!-- model-card: (?P<version>\S+) (?P<digest>[0-9a-f]+) -->")
# Every picture a card may show; write_card removes those the current model's card does not.
PICTURES = (
    "performance.png",
    "confusion_matrix.png",
    "calibration.png",
    "predicted_vs_actual.png",
    "residuals.png",
)


class ModelCardError(ProjectError):
    """The acceptance record cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class Picture:
    """One of the card's pictures: its file name, what it shows, and how to draw it."""

    name: str
    caption: str
    draw: Callable[[], Figure]


@dataclass(frozen=True)
class Card:
    """A rendered card: the model version it describes, the digest of its facts, its Markdown,
    and the pictures it shows (drawn by ``write_card``)."""

    version: str
    digest: str
    text: str
    pictures: tuple[Picture, ...] = ()


@dataclass(frozen=True)
class CardCheck:
    """Whether the card at ``path`` describes the current model as it is now."""

    path: str
    version: str
    up_to_date: bool
    problem: str | None = None


def build_card(
    registry: Registry,
    contract: Contract,
    acceptance: Path = ACCEPTANCE,
    path: Path = MODEL_CARD,
) -> Card:
    """The card of the current model (verified first: checksum, libraries, contract), to be
    written at ``path``."""
    metadata = registry.verify(contract_fingerprint=contract.fingerprint())
    accepted = accepted_by(acceptance, metadata.version)
    digest = _digest(metadata, contract, accepted)
    pictures = _pictures(metadata, load_holdout(registry, metadata.version), contract)
    sections = [
        f"# Model card: {project_title()}, model {metadata.version}",
        _summary(metadata, contract, registry),
        _performance(metadata, pictures, pictures_dir(path).name),
        _parameters(metadata),
        _contract(contract),
        _acceptance(accepted, acceptance),
        _monitoring(registry, metadata),
        f"<!-- model-card: {metadata.version} {digest} -->",
    ]
    return Card(metadata.version, digest, "\n\n".join(sections) + "\n", pictures)


def write_card(card: Card, path: Path = MODEL_CARD) -> None:
    """Draw the card's pictures beside ``path``, then write the card itself."""
    from .pictures import save

    folder = pictures_dir(path)
    for picture in card.pictures:
        save(picture.draw(), folder / picture.name)
    shown = {picture.name for picture in card.pictures}
    for name in set(PICTURES) - shown:  # another model's, such as a regressor's before
        (folder / name).unlink(missing_ok=True)
    write_atomically(path, card.text)


def check_card(card: Card, path: Path = MODEL_CARD) -> CardCheck:
    """Is the card at ``path`` there, for the same model, stating the same facts as ``card``?"""
    regenerate = "run the model-card command"
    found = _STAMP.search(path.read_text(encoding="utf-8")) if path.is_file() else None
    if found is None:
        state = "has no model-card stamp" if path.is_file() else "is missing"
        return CardCheck(str(path), card.version, False, f"{path} {state}: {regenerate}")
    if found["version"] != card.version:
        problem = f"{path} describes model {found['version']}, the current model is {card.version}"
        return CardCheck(str(path), card.version, False, f"{problem}: {regenerate}")
    if found["digest"] != card.digest:
        problem = f"{path} is stale: model {card.version}'s facts changed since it was written"
        return CardCheck(str(path), card.version, False, f"{problem}: {regenerate}")
    folder = pictures_dir(path)
    missing = [p.name for p in card.pictures if not (folder / p.name).is_file()]
    if missing:
        problem = f"{path} shows pictures that are missing from {folder}/: {', '.join(missing)}"
        return CardCheck(str(path), card.version, False, f"{problem}: {regenerate}")
    return CardCheck(str(path), card.version, True)


def accepted_by(path: Path, version: str) -> list[dict[str, Any]]:
    """The entries of the acceptance record for ``version`` (none when there is no record)."""
    if not path.is_file():
        return []
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("acceptance", [])
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ModelCardError(f"{path}: cannot read the acceptance record: {exc}") from exc
    if not isinstance(entries, list):
        raise ModelCardError(f"{path}: expected [[acceptance]] entries")
    return [e for e in entries if isinstance(e, dict) and e.get("model_version") == version]


def _digest(metadata: Metadata, contract: Contract, accepted: list[dict[str, Any]]) -> str:
    """A fingerprint of what the card states, except when and where the model was trained."""
    facts = {
        "version": metadata.version,
        "estimator": metadata.estimator,
        "metrics": _rounded(metadata.metrics.model_dump(mode="json")),
        "params": metadata.params,
        "tuning": None
        if metadata.tuning is None
        else metadata.tuning.model_dump(mode="json", exclude={"mlflow_run_id"}),
        "data": {"rows": metadata.data.rows, "sha256": metadata.data.sha256},
        "contract": contract.fingerprint(),
        "acceptance": accepted,
    }
    text = json.dumps(facts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _rounded(value: Any) -> Any:
    """Numbers as the card shows them: the last digits of a float may differ between machines."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value


def _table(header: list[str], rows: list[list[Any]], align: str = "") -> str:
    """A Markdown table; ``align`` has one letter per column, ``r`` for numbers."""
    rules = ["---:" if kind == "r" else "---" for kind in align.ljust(len(header), "l")]
    lines = [header, rules, *([_cell(value) for value in row] for row in rows)]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def _cell(value: Any) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def _summary(metadata: Metadata, contract: Contract, registry: Registry) -> str:
    data, target = metadata.data, contract.target
    current = " (current)" if registry.current() == metadata.version else ""
    libraries = ", ".join(f"{name} {version}" for name, version in metadata.libraries.items())
    facts = [
        f"**Model**: {metadata.version}{current}, {metadata.estimator} after `features.py`",
        f"**Predicts**: `{target.name}`: {target.description}",
        f"**Trained**: {metadata.created} from commit {metadata.git_commit or 'unknown'}",
        f"**Training data**: `{data.path}`, {data.rows} rows, SHA-256 {data.sha256[:12]}",
        f"**Environment**: Python {metadata.python}; {libraries}",
        f"**Template**: proto-to-mvp {metadata.template_version or 'unknown'}",
        f"**Tracking**: {_tracked(metadata.mlflow)}",
    ]
    note = "Generated by the `model-card` command: do not edit it by hand, run it again."
    return "\n".join(f"- {fact}" for fact in facts) + f"\n\n{note}"


def _tracked(run: TrackedRun | None) -> str:
    if run is None:
        return "not tracked (trained without an MLflow store)"
    where = f"[{run.uri}]({run.url})" if run.url else f"`{run.uri}`"
    hint = "" if run.url else f"; {browse_hint(run.uri)}"
    return f"MLflow run `{run.run_id}` (experiment {run.experiment_id}) in {where}{hint}"


def _pictures(
    metadata: Metadata, holdout: Holdout | None, contract: Contract
) -> tuple[Picture, ...]:
    """The card's pictures: the metrics always, the rest from the model's holdout record."""
    from . import pictures as draw

    metrics, target = metadata.metrics, contract.target.name
    found = [
        Picture(
            "performance.png",
            "The model against the baseline on each holdout metric",
            lambda: draw.metrics_chart(metrics),
        )
    ]
    if holdout is None:
        return tuple(found)
    if holdout.task == CLASSIFICATION:
        found.append(
            Picture(
                "confusion_matrix.png",
                "Confusion matrix on the holdout: actual classes against predicted ones",
                lambda: draw.confusion_chart(holdout),
            )
        )
        if holdout.calibration:
            found.append(
                Picture(
                    "calibration.png",
                    "Calibration: predicted probability against the observed share",
                    lambda: draw.calibration_chart(holdout),
                )
            )
    else:
        found += [
            Picture(
                "predicted_vs_actual.png",
                f"Predicted against actual {target} on the holdout",
                lambda: draw.predicted_vs_actual_chart(holdout, target),
            ),
            Picture(
                "residuals.png",
                "Residuals on the holdout: against the prediction, and their distribution",
                lambda: draw.residuals_chart(holdout, target),
            ),
        ]
    return tuple(found)


def _performance(metadata: Metadata, pictures: tuple[Picture, ...], folder: str) -> str:
    metrics, primary = metadata.metrics, metadata.metrics.primary
    rows = [
        [name, f"{value:.4f}", f"{metrics.baseline[name]:.4f}"]
        for name, value in metrics.model.items()
    ]
    better = "higher" if metrics.higher_is_better else "lower"
    verdict = "beats" if metadata.beats_baseline else "does NOT beat"
    return "\n\n".join(
        [
            "## Performance",
            f"On {metrics.holdout_rows} holdout rows, never used to fit or tune the model. "
            f"The primary metric is {primary} ({better} is better).",
            _table(["Metric", "Model", "Baseline"], rows, "lrr"),
            f"The model {verdict} the baseline on {primary}.{_range_note(metrics)}",
            *(f"![{p.caption}]({folder}/{p.name})" for p in pictures),
        ]
    )


def _range_note(metrics: Any) -> str:
    """Regression: how many holdout predictions fell outside the target's contract range."""
    if metrics.outside_target_range is None:
        return ""
    share = metrics.outside_target_range / max(metrics.holdout_rows, 1)
    return (
        f" {metrics.outside_target_range} holdout predictions ({share:.1%}) fell outside the "
        "target's contract range; they are clipped to it when served, and scored clipped."
    )


def _parameters(metadata: Metadata) -> str:
    rows = [[f"`{name}`", repr(value)] for name, value in metadata.params.items()]
    tuning = metadata.tuning
    if tuning is None:
        how = "Not tuned: the parameters are defaults or set by hand. Run `tune`, then `train`."
    else:
        how = (
            f"Chosen by `tune` on {tuning.date}: {tuning.trials} trials of "
            f"{tuning.sampler} (seed {tuning.seed}) in {tuning.elapsed_s} s of a "
            f"{tuning.timeout_s:g} s budget, stopped by {tuning.stopped_by}. "
            f"{tuning.cv_folds}-fold cross-validated {tuning.metric} on the training rows: "
            f"{tuning.best_score:.4f} (defaults: {tuning.default_score:.4f}). Searched: "
            + "; ".join(f"`{name}` {space}" for name, space in tuning.search_space.items())
            + "."
        )
        if tuning.mlflow_run_id is not None:
            how += f" Each trial is a child of MLflow run `{tuning.mlflow_run_id}`."
    return "\n\n".join(["## Parameters", _table(["Parameter", "Value"], rows), how])


def _contract(contract: Contract) -> str:
    rows = [
        [f"`{c.name}`", c.role, c.type, "yes" if c.nullable else "no", _rules(c), c.description]
        for c in contract.columns
    ]
    table_rules = [f"at least {contract.min_rows} rows"]
    if contract.unique:
        table_rules.append(f"unique by {', '.join(contract.unique)}")
    return "\n\n".join(
        [
            "## Data contract",
            f"{contract.name}: {contract.description} Table rules: {'; '.join(table_rules)}. "
            f"Fingerprint {contract.fingerprint()[:12]} (`contract.toml`).",
            _table(["Column", "Role", "Type", "Missing", "Rules", "Description"], rows),
        ]
    )


def _rules(column: Column) -> str:
    if column.allowed:
        return "one of " + ", ".join(column.allowed)
    limits = [f"min {column.min:g}" if column.min is not None else ""]
    limits.append(f"max {column.max:g}" if column.max is not None else "")
    return ", ".join(limit for limit in limits if limit)


def _acceptance(accepted: list[dict[str, Any]], path: Path) -> str:
    if not accepted:
        return f"## Acceptance\n\nNot accepted yet: record who accepted it, and when, in `{path}`."
    rows = [[entry.get("by"), entry.get("date"), entry.get("notes")] for entry in accepted]
    return "## Acceptance\n\n" + _table(["By", "Date", "Notes"], rows)


def _monitoring(registry: Registry, metadata: Metadata) -> str:
    profile = registry.root / metadata.version / PROFILE_FILE
    return (
        "## Monitoring\n\n"
        "The service logs every prediction with its inputs; the `monitor` command compares "
        f"recent inputs with the training data profile (`{profile}`): population stability "
        f"index per feature, watch from {WATCH}, drift from {DRIFT}."
    )
