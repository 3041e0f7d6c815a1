"""The kit's fixtures: the project's contract and data, settings that write to tmp, a server.

Tests never read or write the project's own params.json, models/ or logs/: every fixture points
the settings at a temporary folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import pandas as pd
import pytest

from ..contract import Contract, load_contract
from ..data import load_table
from ..identity import PACKAGE
from ..records import DataRecord, Tuning
from ..settings import ENV_PREFIX, Settings
from ..train import train

PROJECT_ROOT = Path(__file__).resolve().parents[4]
EXAMPLE_DATA = PROJECT_ROOT / Settings.load().data


@pytest.fixture(scope="session")
def contract() -> Contract:
    return load_contract()


@pytest.fixture(scope="session")
def _example_rows(contract: Contract) -> pd.DataFrame:
    return load_table(EXAMPLE_DATA, contract)


@pytest.fixture
def example_frame(_example_rows: pd.DataFrame) -> pd.DataFrame:
    """A fresh copy of the example data for each test, so tests cannot leak edits."""
    return _example_rows.copy()


def settings_in(folder: Path) -> Settings:
    """Settings for the example data with every file they write or read inside ``folder``."""
    return Settings.load(
        data=EXAMPLE_DATA,
        models_dir=folder / "models",
        params=folder / "params.json",
        predictions_log=folder / "logs" / "predictions.jsonl",
    )


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
        data=DataRecord(path="data/example/deliveries.csv", sha256="0" * 64),
        optuna="4.0.0",
    )


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory: pytest.TempPathFactory, contract: Contract) -> Path:
    """A registry with one model trained on the example data (v1, current). Do not modify."""
    settings = settings_in(tmp_path_factory.mktemp("registry"))
    train(settings, contract)
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
