"""Experiment tracking with MLflow: ``tune`` and ``train`` log runs that people can browse.

Where runs go: the store ``MLFLOW_TRACKING_URI`` names when it is set (MLflow's own variable,
for a team server), else the ``tracking_uri`` setting: by default ``sqlite:///mlruns.db``, a
store inside the project with its artifacts in ``mlartifacts/`` (``tracking_artifacts``), no
server needed. The experiment is ``MLFLOW_EXPERIMENT_NAME``, else the project's name.

- ``tune`` logs one parent run per search and one child run per trial (its parameters, its
  cross-validated score, its duration), all tagged with the data's and the contract's
  fingerprints.
- ``train`` logs one run: parameters, the holdout metrics of the model and of the baseline
  (``baseline_<metric>``), the contract, the training profile and the registered model's files.
  The registry stays the source of truth: its metadata records the run, and serving never
  reads the store.

A store that cannot be reached never costs a trained model: with ``tracking = "warn"`` (the
default) the command says so and goes on untracked; with ``"require"`` it stops before any work
when the store is unreachable at the start, and exits with an error after the model is
registered when the store fails later; ``"off"`` never tracks. MLflow is imported only here,
and only when a command tracks, so the command line and the service start without it.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import ProjectError
from .identity import distribution
from .records import TrackedRun
from .settings import ENV_PREFIX, Settings

URI_VARIABLE, EXPERIMENT_VARIABLE = "MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME"
SERVER_SCHEMES = ("http", "https", "databricks")
PROBE_TIMEOUT_S = 5.0
MAX_PARAM = 6000  # characters MLflow keeps of a parameter's value
# MLflow retries a failing request for minutes by default; a command gives up sooner (your own
# values of these variables win).
HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_TIMEOUT": "30"}
log = logging.getLogger(__name__)


class TrackingError(ProjectError):
    """The tracking store failed and the ``tracking`` setting is ``require``."""


def store_uri(settings: Settings) -> str:
    """The store runs go to: ``MLFLOW_TRACKING_URI`` if set, else the ``tracking_uri`` setting."""
    return os.environ.get(URI_VARIABLE) or settings.tracking_uri


def shown_uri(uri: str) -> str:
    """``uri`` without a user name or password, fit to print and to record."""
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def mlflow_version() -> str:
    """The installed MLflow client's version (the UI must be the same, to read the store)."""
    for name in ("mlflow-skinny", "mlflow"):
        with contextlib.suppress(PackageNotFoundError):
            return version(name)
    return "unknown"


def browse_hint(uri: str) -> str:
    """How to look at the runs in ``uri``."""
    if urlsplit(uri).scheme in SERVER_SCHEMES:
        return f"browse them at {shown_uri(uri)}"
    return (
        f"browse them with: uvx --from mlflow=={mlflow_version()} mlflow ui "
        f"--backend-store-uri {uri} --host 127.0.0.1"
    )


@dataclass
class Tracker:
    """One command's connection to the store. Every call either works or warns once, after
    which the tracker stops calling the store; ``check()`` then fails if tracking is required."""

    uri: str
    experiment_id: str
    required: bool
    client: Any
    source: dict[str, str] = field(default_factory=dict)  # tags every run of the command gets
    failure: str | None = None
    runs: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings, command: str) -> Tracker | None:
        """The store, ready to log to; None when tracking is off or (with a warning) unreachable.

        With ``tracking = "require"``, an unreachable store raises TrackingError instead.
        """
        if settings.tracking == "off":
            return None
        uri = store_uri(settings)
        required = settings.tracking == "require"
        try:
            client, experiment_id = _connect(uri, settings.tracking_artifacts)
        except ImportError as exc:
            problem = f"MLflow is not installed ({exc}): run uv add 'mlflow-skinny>=3.17,<4'"
        except _errors() as exc:
            problem = f"cannot reach the MLflow tracking store {shown_uri(uri)}: {_one_line(exc)}"
        else:
            return cls(shown_uri(uri), experiment_id, required, client, _source_tags(command))
        if required:
            raise TrackingError(f"{problem} ({_settings_hint()})")
        log.warning("%s; %s goes on untracked (%s)", problem, command, _settings_hint())
        return None

    @property
    def working(self) -> bool:
        return self.failure is None

    def start(
        self,
        name: str,
        *,
        tags: Mapping[str, Any] | None = None,
        parent: str | None = None,
        started: float | None = None,
    ) -> str | None:
        """A new run's id (a child of ``parent``, if given); None once the store has failed."""
        if not self.working:
            return None
        tags = {**self.source, **(tags or {})}
        if parent is not None:
            tags["mlflow.parentRunId"] = parent
        with self._guard(f"starting the {name} run"):
            run = self.client.create_run(
                self.experiment_id,
                start_time=_ms(started),
                tags={key: str(value) for key, value in tags.items()},
                run_name=name,
            )
            self.runs.append(run.info.run_id)
            return run.info.run_id
        return None

    def log(
        self,
        run_id: str | None,
        *,
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        """Parameters, metrics and tags in one request."""
        if run_id is None or not self.working:
            return
        with self._guard("logging to the run"):
            from mlflow.entities import Metric, Param, RunTag

            now = _ms(None)
            self.client.log_batch(
                run_id,
                metrics=[Metric(k, float(v), now, 0) for k, v in (metrics or {}).items()],
                params=[Param(k, str(v)[:MAX_PARAM]) for k, v in (params or {}).items()],
                tags=[RunTag(k, str(v)) for k, v in (tags or {}).items()],
            )

    def text(self, run_id: str | None, text: str, name: str) -> None:
        """A text artifact, ``name`` being its path in the run."""
        if run_id is None or not self.working:
            return
        with self._guard(f"logging {name}"):
            self.client.log_text(run_id, text, name)

    def files(self, run_id: str | None, paths: list[Path], folder: str) -> None:
        """Files as artifacts, in ``folder`` of the run."""
        if run_id is None or not self.working:
            return
        with self._guard(f"logging the files of {folder}"):
            for path in paths:
                self.client.log_artifact(run_id, str(path), folder)

    def end(self, run_id: str | None, *, failed: bool = False, ended: float | None = None) -> None:
        if run_id is None or not self.working:
            return
        with self._guard("ending the run"):
            status = "FAILED" if failed else "FINISHED"
            self.client.set_terminated(run_id, status=status, end_time=_ms(ended))

    def record(self, run_id: str | None) -> TrackedRun | None:
        """What the registry keeps of a run."""
        if run_id is None:
            return None
        return TrackedRun(uri=self.uri, experiment_id=self.experiment_id, run_id=run_id)

    @contextlib.contextmanager
    def run(self, name: str, **tags: Any) -> Iterator[str | None]:
        """A run that ends FAILED if the block raises, FINISHED otherwise."""
        run_id = self.start(name, tags=tags)
        try:
            yield run_id
        except BaseException:
            self.end(run_id, failed=True)
            raise
        self.end(run_id)

    def check(self, done: str) -> None:
        """After the command's work (``done`` says what is safe): say where the runs are, or
        fail if the store failed and tracking is required."""
        if self.failure is not None:
            if self.required:
                raise TrackingError(f"{done}, but {self.failure} ({_settings_hint()})")
            return
        if self.runs:
            log.info(
                "tracked as MLflow run %s in %s; %s", self.runs[0], self.uri, browse_hint(self.uri)
            )

    @contextlib.contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Run a call to the store; the first failure is warned about and stops tracking."""
        try:
            with _quiet():
                yield
        except _errors() as exc:
            self.failure = f"the MLflow store {self.uri} failed {doing}: {_one_line(exc)}"
            log.warning("%s; the command goes on untracked (%s)", self.failure, _settings_hint())


def _connect(uri: str, artifacts: Path) -> tuple[Any, str]:
    """A client of the store at ``uri`` and the experiment's id (created if missing)."""
    server = urlsplit(uri).scheme in SERVER_SCHEMES
    if server:
        for name, value in HTTP_DEFAULTS.items():
            os.environ.setdefault(name, value)
        _probe(uri)
    elif uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        log.info("creating the tracking store %s (once: MLflow sets up its tables)", uri)
    name = os.environ.get(EXPERIMENT_VARIABLE) or distribution()
    with _quiet():
        from mlflow import MlflowClient  # its import sets its loggers' levels: quiet them after
    with _quiet():
        client = MlflowClient(tracking_uri=uri)
        experiment = client.get_experiment_by_name(name)
        if experiment is not None:
            return client, experiment.experiment_id
        # A server keeps artifacts where it is told to; a local store keeps them in the project.
        location = None if server else artifacts.resolve().as_uri()
        return client, client.create_experiment(name, artifact_location=location)


def _probe(uri: str) -> None:
    """Fail fast when a tracking server does not answer (MLflow would retry for minutes)."""
    import httpx

    if urlsplit(uri).scheme == "databricks":
        return  # its client knows how to reach it
    try:
        httpx.get(f"{uri.rstrip('/')}/health", timeout=PROBE_TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise ConnectionError(f"no answer from the server ({_one_line(exc)})") from exc


def _errors() -> tuple[type[BaseException], ...]:
    """What a store that is unreachable, refuses us or breaks can raise."""
    errors: list[type[BaseException]] = [OSError, ImportError]  # ImportError: boto3, say
    with contextlib.suppress(ImportError):
        from mlflow.exceptions import MlflowException

        errors.append(MlflowException)
    with contextlib.suppress(ImportError):
        from requests import RequestException

        errors.append(RequestException)
    with contextlib.suppress(ImportError):
        from sqlalchemy.exc import SQLAlchemyError

        errors.append(SQLAlchemyError)
    return tuple(errors)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """MLflow's and its database layer's own warnings and setup chatter stay out of the output."""
    loggers = [logging.getLogger(name) for name in ("mlflow", "alembic")]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="mlflow|sqlalchemy|alembic")
        for logger in loggers:
            logger.setLevel(logging.WARNING)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


def _source_tags(command: str) -> dict[str, str]:
    from .train import git_commit  # here: train imports this module

    tags = {"mlflow.source.name": f"{distribution()} {command}", "mlflow.source.type": "LOCAL"}
    commit = git_commit()
    if commit:
        tags["mlflow.source.git.commit"] = commit
    with contextlib.suppress(OSError, KeyError):  # no user name in some containers
        tags["mlflow.user"] = getpass.getuser()
    return tags


def _settings_hint() -> str:
    return f'tracking = "warn", "require" or "off" in [tool.proto-to-mvp], or {ENV_PREFIX}TRACKING'


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _ms(moment: float | None) -> int:
    return int((time.time() if moment is None else moment) * 1000)
