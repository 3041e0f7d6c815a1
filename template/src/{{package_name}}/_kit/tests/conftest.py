"""The kit's fixtures: rows made from the project's contract, settings that write to tmp, a server.

Kit tests hold for any valid contract and any model in ``model.py``: they never read the data
setting or the example file. Rows come from ``samples.sample_frame`` (valid by construction,
with a learnable target), and columns of a kind come from the helpers below, which skip a test
whose contract has no such column. Tests never read or write the project's own params.json,
models/, logs/ or MLflow store: every fixture points the settings at a temporary folder, and
tracking is off unless a test turns it on.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from .. import evidence, validation
from ..contract import Column, Contract, load_contract
from ..data import load_table
from ..identity import PACKAGE
from ..records import DataRecord, Tuning
from ..registry import Registry
from ..samples import sample_frame
from ..settings import ENV_PREFIX, Settings
from ..train import train

SEED = 0


def sample_size(contract: Contract) -> int:
    """Rows enough for the contract's min_rows after any split, and for cross-validation."""
    return max(400, 2 * contract.min_rows)


_SAMPLE_DATA: list[Path] = []  # the session's sample CSV, written once on first use


def sample_data() -> Path:
    """A CSV of the session's sample rows (written once, in a folder removed at exit)."""
    if not _SAMPLE_DATA:
        contract = load_contract()
        folder = Path(tempfile.mkdtemp(prefix="kit-samples-"))
        path = folder / f"{contract.name}.csv"
        sample_frame(contract, sample_size(contract), SEED).to_csv(path, index=False)
        _SAMPLE_DATA.append(path)
    return _SAMPLE_DATA[0]


# Fixtures that start a real server: a test using one is slow.
SERVER_FIXTURES = {"service_url", "serve"}


def pytest_configure(config: pytest.Config) -> None:
    """Record each run's outcome for the gate (MVP005, MVP016): ``evidence.py``. Register the
    kit's markers here, since pyproject.toml is yours. A plain ``pytest`` runs the fast loop."""
    config.pluginmanager.register(evidence.Recorder(config.rootpath), "proto-to-mvp-evidence")
    config.addinivalue_line(
        "markers",
        "slow: real processes and servers, searches, MLflow, pictures, Spark, the kit's checks "
        "on fixed contracts; a plain `pytest` "
        'leaves them out, `pytest -m ""` runs everything (CI does), `pytest -m slow` only them',
    )
    config.addinivalue_line(
        "markers", "spark: the Spark engine (uv sync --extra spark); deselect: -m 'not spark'"
    )
    if not _chosen(config):
        config.option.markexpr = "not slow"


def _chosen(config: pytest.Config) -> bool:
    """Whether the run names its tests: paths, or ``-m`` (command line, PYTEST_ADDOPTS, addopts).
    A plain ``pytest`` is the fast loop."""
    if config.args_source.name == "ARGS":
        return True
    given = [*config.invocation_params.args, *config.getini("addopts")]
    given += os.environ.get("PYTEST_ADDOPTS", "").split()
    return any(arg == "-m" or (arg.startswith("-m") and arg[2:3] != "-") for arg in given)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start a server, and Spark's, are slow without saying so."""
    for item in items:
        if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker(
            "spark"
        ):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Python's exit would sweep every object the run made (1.5-3 s once pandas, Great
    Expectations and MLflow are loaded); the process ends anyway, so the collector skips them."""
    gc.freeze()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    deselected = terminalreporter.stats.get("deselected", [])
    left_out = sum(1 for item in deselected if item.get_closest_marker("slow"))
    if left_out and not _chosen(config):
        terminalreporter.write_line(
            f"the fast loop: {left_out} slow tests left out; everything, as CI runs it: "
            f"{evidence.WHOLE_RUN}"
        )


@pytest.fixture(scope="session", autouse=True)
def _remove_sample_data() -> Iterator[None]:
    yield
    for path in _SAMPLE_DATA:
        path.unlink(missing_ok=True)
        path.parent.rmdir()


@pytest.fixture(scope="session", autouse=True)
def _validate_each_table_once() -> Iterator[None]:
    """Great Expectations takes about 0.1 s per validation however few the rows, and many tests
    validate the same sample rows. The same rules on the same table give the same results, so
    each (suite, table) pair runs once a session; every new table or rule still runs for real."""
    run, results = validation._run, {}

    def once(suite: Any, frame: pd.DataFrame) -> list[Any]:
        key = hashlib.sha256()
        key.update(json.dumps(suite.to_json_dict(), sort_keys=True, default=str).encode())
        key.update(repr(list(frame.dtypes.items())).encode())  # with categories, in order
        key.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        digest = key.hexdigest()
        if digest not in results:
            results[digest] = run(suite, frame)
        return list(results[digest])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validation, "_run", once)
        yield


@pytest.fixture(autouse=True)
def _no_tracking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run by tests never log to your MLflow store or to a team server
    (``MLFLOW_TRACKING_URI``): tracking is off unless a test turns it on."""
    monkeypatch.setenv(f"{ENV_PREFIX}TRACKING", "off")
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def data_path() -> Path:
    """The sample rows as a CSV file, as the ``data`` setting would name it."""
    return sample_data()


@pytest.fixture(scope="session")
def _sample_rows(contract: Contract, data_path: Path) -> pd.DataFrame:
    return load_table(data_path, contract)  # as train reads it: through the CSV


@pytest.fixture
def sample_rows(_sample_rows: pd.DataFrame) -> pd.DataFrame:
    """A fresh copy of the sample rows for each test, so tests cannot leak edits."""
    return _sample_rows.copy()


@pytest.fixture
def example_frame(sample_rows: pd.DataFrame) -> pd.DataFrame:
    """The old name of ``sample_rows``."""
    return sample_rows


def settings_in(folder: Path) -> Settings:
    """Settings for the sample rows with every file they write or read inside ``folder``."""
    return Settings.load(
        data=sample_data(),
        models_dir=folder / "models",
        params=folder / "params.json",
        predictions_log=folder / "logs" / "predictions.jsonl",
    )


@pytest.fixture(name="settings_in")
def _settings_in() -> Callable[[Path], Settings]:
    """``settings_in(folder)`` as a fixture: settings for a folder of your own."""
    return settings_in


# Columns of a kind. Each finder returns the first matching column of the contract, or skips the
# test with a one-line reason when the contract has none.


def find_column(contract: Contract, what: str, match: Callable[[Column], bool]) -> Column:
    for column in contract.columns:
        if match(column):
            return column
    pytest.skip(f"the contract has no {what}")


def bounded_feature(contract: Contract) -> tuple[Column, str]:
    """A number feature with a bound, and which one: "max" if it has one, else "min"."""
    column = find_column(
        contract,
        "number feature with a min or max",
        lambda c: (
            c.role == "feature"
            and c.type in ("integer", "float")
            and (c.min is not None or c.max is not None)
        ),
    )
    return column, "max" if column.max is not None else "min"


@pytest.fixture
def bounded(contract: Contract) -> tuple[Column, str]:
    return bounded_feature(contract)


def number_feature(contract: Contract, *, bound: str | None = None) -> Column:
    """A float or integer feature; with ``bound="min"`` or ``"max"``, one that has that bound."""
    what = "number feature" + (f" with a {bound}" if bound else "")
    return find_column(
        contract,
        what,
        lambda c: (
            c.role == "feature"
            and c.type in ("integer", "float")
            and (bound is None or getattr(c, bound) is not None)
        ),
    )


def category_feature(contract: Contract) -> Column:
    return find_column(
        contract, "category feature", lambda c: c.role == "feature" and c.type == "category"
    )


def nullable_feature(contract: Contract) -> Column:
    return find_column(contract, "nullable feature", lambda c: c.role == "feature" and c.nullable)


def required_feature(contract: Contract) -> Column:
    return find_column(
        contract, "feature that is not nullable", lambda c: c.role == "feature" and not c.nullable
    )


def id_column(contract: Contract) -> Column:
    return find_column(contract, "id column", lambda c: c.role == "id")


def unique_column(contract: Contract) -> Column:
    """A column named in [table] unique."""
    return find_column(contract, "unique column", lambda c: c.name in contract.unique)


def outside(column: Column, bound: str) -> float | int:
    """A value just past a number column's ``bound`` ("min" or "max"), of the column's type."""
    limit = getattr(column, bound)
    step = 1 if bound == "max" else -1
    return int(limit) + step if column.type == "integer" else float(limit) + step


def unlisted(column: Column) -> str:
    """A category that is not in the column's allowed values."""
    return max(column.allowed or ("",), key=len) + "-unlisted"


def invalid_value(column: Column) -> object:
    """A value that breaks the column's rules, for a request or a table alike."""
    if column.type == "category":
        return unlisted(column)
    if column.type == "boolean":
        return "maybe"
    if column.max is not None:
        return outside(column, "max")
    if column.min is not None:
        return outside(column, "min")
    return "not a number"


UNKNOWN = "not_in_the_contract"  # a column name no contract declares (tests assert it)


def request_rows(frame: pd.DataFrame, contract: Contract) -> list[dict[str, object]]:
    """The feature columns as a caller sends rows: plain Python values, None when missing."""
    assert UNKNOWN not in contract.feature_names
    features = frame[contract.feature_names].astype(object)
    return features.where(features.notna(), None).to_dict("records")


@pytest.fixture
def number_with_max(contract: Contract) -> Column:
    return number_feature(contract, bound="max")


@pytest.fixture
def number_with_min(contract: Contract) -> Column:
    return number_feature(contract, bound="min")


@pytest.fixture(name="category_feature")
def _category_feature(contract: Contract) -> Column:
    return category_feature(contract)


@pytest.fixture(name="nullable_feature")
def _nullable_feature(contract: Contract) -> Column:
    return nullable_feature(contract)


@pytest.fixture(name="required_feature")
def _required_feature(contract: Contract) -> Column:
    return required_feature(contract)


@pytest.fixture(name="id_column")
def _id_column(contract: Contract) -> Column:
    return id_column(contract)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_in(tmp_path)


@pytest.fixture
def tuning() -> Tuning:
    """A tuning record as tune writes it (for a search that did not run)."""
    return Tuning(
        date="2026-03-01T10:00:00+00:00",
        sampler="TPESampler",
        seed=42,
        trials=20,
        max_trials=20,
        timeout_s=60.0,
        elapsed_s=2.5,
        stopped_by="trials",
        metric="score",
        cv_folds=5,
        best_score=0.75,
        default_score=0.7,
        search_space={"C": "log-uniform 0.001 to 100"},
        data=DataRecord(path="data/samples.csv", sha256="0" * 64),
        optuna="4.0.0",
    )


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory: pytest.TempPathFactory, contract: Contract) -> Path:
    """A registry with your model trained on the sample rows (v1, current). Do not modify.

    It is made current even if it does not beat the baseline on these made-up rows: whether
    your model beats yours on your data is for your own tests (tests/integration).
    """
    settings = settings_in(tmp_path_factory.mktemp("registry"))
    metadata, current = train(settings, contract)
    if not current:
        Registry(settings.models_dir).promote(metadata.version)
    return settings.models_dir


@pytest.fixture(scope="session")
def service_url(trained_models: Path) -> Iterator[str]:
    """A real server on ``trained_models``, started once for the session."""
    with serving(trained_models) as url:
        yield url


@pytest.fixture
def serve() -> Callable[[Path], AbstractContextManager[str]]:
    """Start a real server on a registry of your own: ``with serve(models_dir) as url: ...``."""
    return serving


@contextmanager
def serving(models_dir: Path) -> Iterator[str]:
    """The serve command on 127.0.0.1 (a free port), stopped when the block ends.

    It logs predictions to ``predictions.jsonl`` beside ``models_dir``.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        f"{ENV_PREFIX}MODELS_DIR": str(models_dir),
        f"{ENV_PREFIX}PREDICTIONS_LOG": str(models_dir.parent / "predictions.jsonl"),
    }
    command = [sys.executable, "-m", PACKAGE, "serve", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as server:
        try:
            _wait_until_ready(url, server)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)  # a clean shutdown: the prediction log is written out


def _wait_until_ready(url: str, server: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited: {server.stderr.read().decode()}")
        try:
            ready = httpx.get(f"{url}/health/ready", timeout=1.0).status_code == 200
        except httpx.TransportError:
            ready = False  # not listening yet
        if ready:
            return
        time.sleep(0.1)
    raise RuntimeError(f"the server at {url} was not ready within {timeout} s")
