"""MLflow in a generated project, used as its README says: `tune` and `train` runs land in the
project's own store and on a team server, and MLflow's web interface shows them (slow layer).

The full `mlflow` (interface and server) comes from `uvx`, at the version the README names,
which must be the `mlflow-skinny` client the project installed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from helpers import DEFAULTS, UV, clean_env, free_port, run

pytestmark = pytest.mark.slow

SLUG, PREFIX = DEFAULTS["project_slug"], DEFAULTS["package_name"].upper() + "_"
TRIALS = 4
# The runs of the project's experiment, as the store has them: name, parent, kind, metric names.
RUNS_SCRIPT = """
import json, sys
from mlflow import MlflowClient
client = MlflowClient(tracking_uri=sys.argv[1])
experiment = client.get_experiment_by_name(sys.argv[2])
runs = client.search_runs([experiment.experiment_id]) if experiment else []
print(json.dumps([{
    "id": r.info.run_id, "name": r.info.run_name, "status": r.info.status,
    "parent": r.data.tags.get("mlflow.parentRunId"), "kind": r.data.tags.get("kind"),
    "metrics": r.data.metrics, "params": r.data.params,
} for r in runs]))
"""


def _readme_ui_command(project: Path) -> list[str]:
    readme = (project / "README.md").read_text(encoding="utf-8")
    lines = [line.strip() for line in readme.splitlines() if "mlflow ui" in line]
    commands = [line for line in lines if line.startswith("uvx ")]
    assert len(commands) == 1, f"the README shows no single `uvx ... mlflow ui` command: {lines}"
    return shlex.split(commands[0])


def _get(url: str, timeout: float = 10.0) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode("utf-8", errors="replace")


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@contextmanager
def _mlflow(args: list[str], cwd: Path, port: int, log: Path) -> Iterator[str]:
    """An MLflow server or UI on 127.0.0.1:``port`` (one worker, no background jobs), stopped
    with all its processes when the block ends. The first start may install mlflow into uv's
    cache, hence the long wait."""
    url = f"http://127.0.0.1:{port}"
    uvx = Path(UV).with_name("uvx")  # beside the uv the tests use
    command = [str(uvx) if args[0] == "uvx" and uvx.is_file() else args[0], *args[1:]]
    command += ["--port", str(port), "--workers", "1"]
    env = clean_env({"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "UV_COMPILE_BYTECODE": "1"})
    with (
        log.open("w") as output,
        subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ) as server,
    ):
        try:
            deadline = time.monotonic() + 300
            while True:
                if server.poll() is not None:
                    pytest.fail(f"{args[:4]} exited {server.returncode}:\n{log.read_text()}")
                try:
                    if _get(f"{url}/health", timeout=2)[0] == 200:
                        break
                except (urllib.error.URLError, OSError):
                    pass  # not listening yet
                if time.monotonic() > deadline:
                    pytest.fail(f"{url} not up within 300 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
            yield url
        finally:
            os.killpg(server.pid, signal.SIGTERM)  # its own session: uvx, mlflow, the workers
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _command(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(["uv", "run", "--no-sync", SLUG, *args], project, env=env)


def _runs(project: Path, uri: str) -> list[dict[str, Any]]:
    result = run(["uv", "run", "--no-sync", "python", "-c", RUNS_SCRIPT, uri, SLUG], project)
    return json.loads(result.stdout)


def _check_runs(runs: list[dict[str, Any]], metadata: dict[str, Any]) -> None:
    """One search with TRIALS child runs, and a training run beside the baseline's metrics."""
    searches = [r for r in runs if r["kind"] == "search"]
    trainings = [r for r in runs if r["kind"] == "training"]
    assert (len(searches), len(trainings), len(runs)) == (1, 1, TRIALS + 2), runs
    children = [r for r in runs if r["parent"] == searches[0]["id"]]
    assert len(children) == TRIALS
    assert all(r["status"] == "FINISHED" for r in runs)
    metrics = trainings[0]["metrics"]
    primary = metadata["metrics"]["primary"]
    assert metrics[primary] == pytest.approx(metadata["metrics"]["model"][primary])
    assert metrics[f"baseline_{primary}"] == pytest.approx(metadata["metrics"]["baseline"][primary])
    assert metadata["mlflow"]["run_id"] == trainings[0]["id"]
    assert metadata["tuning"]["mlflow_run_id"] == searches[0]["id"]


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    """The commands write their registry and parameters to ``tmp_path``, not the project."""
    return {
        f"{PREFIX}MODELS_DIR": str(tmp_path / "models"),
        f"{PREFIX}PARAMS": str(tmp_path / "params.json"),
        f"{PREFIX}TRACKING": "require",
        "MLFLOW_TRACKING_URI": "",  # yours, if set, is not where tests log
        **more,
    }


def test_the_readme_names_the_mlflow_the_project_installed(scratch_project: Path) -> None:
    command = _readme_ui_command(scratch_project)
    pinned = re.fullmatch(r"mlflow==(\S+)", command[command.index("--from") + 1])
    assert pinned, command
    installed = run(
        ["uv", "run", "--no-sync", "python", "-c", "import mlflow; print(mlflow.__version__)"],
        scratch_project,
    ).stdout.strip()
    assert pinned.group(1) == installed, "the interface must be the client's version"


def test_runs_land_in_the_project_store_and_the_readmes_ui_shows_them(
    scratch_project: Path, tmp_path: Path
) -> None:
    project, env = scratch_project, _env(tmp_path)
    try:
        _command(project, env, "tune", "--trials", str(TRIALS))
        trained = _command(project, env, "train")
        assert (project / "mlruns.db").is_file(), "the default store is inside the project"
        assert run(["git", "status", "--porcelain"], project).stdout == "", "git ignores it"
        metadata = json.loads((tmp_path / "models/v1/metadata.json").read_text("utf-8"))
        _check_runs(_runs(project, "sqlite:///mlruns.db"), metadata)
        assert metadata["mlflow"]["uri"] == "sqlite:///mlruns.db"
        assert "mlflow ui --backend-store-uri sqlite:///mlruns.db" in trained.stderr

        port = free_port()
        with _mlflow(_readme_ui_command(project), project, port, tmp_path / "ui.log") as url:
            status, page = _get(url)
            assert status == 200
            assert "<title>MLflow</title>" in page
            experiments = _post(f"{url}/api/2.0/mlflow/experiments/search", {"max_results": 10})
            (experiment,) = [e for e in experiments["experiments"] if e["name"] == SLUG]
            found = _post(
                f"{url}/api/2.0/mlflow/runs/search",
                {"experiment_ids": [experiment["experiment_id"]]},
            )
            assert len(found["runs"]) == TRIALS + 2
            run_id = metadata["mlflow"]["run_id"]
            listed = json.loads(
                _get(f"{url}/api/2.0/mlflow/artifacts/list?run_id={run_id}&path=model")[1]
            )
            assert "model/model.pkl" in {f["path"] for f in listed["files"]}
    finally:
        (project / "mlruns.db").unlink(missing_ok=True)
        shutil.rmtree(project / "mlartifacts", ignore_errors=True)


def test_with_mlflow_tracking_uri_the_runs_land_on_a_team_server(
    scratch_project: Path, tmp_path: Path
) -> None:
    project = scratch_project
    ui = _readme_ui_command(project)
    serve = [*ui[: ui.index("ui")], "server"]  # the same uvx and mlflow, as a server
    serve += ["--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}"]
    serve += ["--artifacts-destination", str(tmp_path / "server-artifacts"), "--host", "127.0.0.1"]
    port = free_port()
    with _mlflow(serve, tmp_path, port, tmp_path / "server.log") as url:
        env = _env(tmp_path, MLFLOW_TRACKING_URI=url)
        _command(project, env, "tune", "--trials", str(TRIALS))
        _command(project, env, "train")
        metadata = json.loads((tmp_path / "models/v1/metadata.json").read_text("utf-8"))
        _check_runs(_runs(project, url), metadata)
        assert metadata["mlflow"]["uri"] == url
        run_id = metadata["mlflow"]["run_id"]
        listed = json.loads(
            _get(f"{url}/api/2.0/mlflow/artifacts/list?run_id={run_id}&path=model")[1]
        )
        assert "model/model.pkl" in {f["path"] for f in listed["files"]}
        assert (tmp_path / "server-artifacts").is_dir(), "the server keeps the files"
    assert not (project / "mlruns.db").exists(), "nothing went to the project's own store"
