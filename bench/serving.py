"""Serving benchmark: the generated service against a bare FastAPI endpoint and MLflow, on loopback.

Run on demand:  uv run python bench/serving.py [--seconds 5]

Renders the default project, syncs it and trains two models on the example data: the template's
linear model (v1), then the tree ensemble users try next (v2: HistGradientBoostingClassifier in
model.py). For each, with the project's Python:
- start-up: from launching `serve` to the first ready answer (median of 3; target <= 3 s);
- single-row predict, loaded from a second process (bench/loadgen.py) on 1 and 4 keep-alive
  connections: requests per second and p50/p99 latency, against two peers loaded in turn with
  it: a bare FastAPI endpoint that parses the body and returns a constant (the ceiling;
  targets: at least 0.5x for the linear model, 0.25x for the tree ensemble) and
  `mlflow models serve` of the same pickle (MLflow MLFLOW, run by uvx with --env-manager local,
  one worker; target for the tree ensemble: at least 2x);
- a batch of 1,000 rows: the server's own time from its request log (median of 20; <= 50 ms).
Then, in-process (serving_worker.py), one row's `predict` compiled and by the pipeline for
more estimators, and a batch of 1,000 rows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _project import run_in, synced_project
from helpers import clean_env, free_port

HERE = Path(__file__).resolve().parent
PACKAGE = "my_ml_project"
ROW = {"region": "north", "distance_km": 3.2, "items": 2, "hour": 12, "courier_rating": 4.5}
MLFLOW = "3.17.2"  # the MLflow a generated project resolves (mlflow-skinny, the same release)
TREE = """

# bench/serving.py: the tree ensemble users try next, in place of the linear model.
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402


def build_estimator(task: str, params: dict[str, Any]) -> BaseEstimator:  # noqa: F811
    return HistGradientBoostingClassifier(random_state=0)
"""
MODELS = {"linear": "v1", "tree ensemble": "v2"}
SAVE = """
import pickle, sys
import mlflow.sklearn
with open(sys.argv[1], "rb") as file:  # the pickle as it is (MLflow's default, skops, refuses it)
    mlflow.sklearn.save_model(pickle.load(file), sys.argv[2], serialization_format="cloudpickle")
"""
VERSIONS = """
import json, importlib.metadata as m
print(json.dumps({n: m.version(n) for n in ("scikit-learn", "numpy", "pandas")}))
"""


def wait_for(url: str, timeout: float = 30.0) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"{url} not ready after {timeout} s")


def start(command: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    """A server in a process group of its own (MLflow's starts uvicorn as a child)."""
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=clean_env(),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(server: subprocess.Popen) -> None:
    """Stop the server and whatever it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    server.wait()


def load(url: str, body: dict, seconds: float, connections: int) -> dict:
    command = [
        sys.executable,
        str(HERE / "loadgen.py"),
        url,
        "--body",
        json.dumps(body),
        "--seconds",
        str(seconds),
        "--connections",
        str(connections),
    ]
    return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def cli(project: Path, *args: str) -> None:
    python = str(project / ".venv/bin/python")
    subprocess.run(
        [python, "-m", PACKAGE, *args],
        cwd=project,
        env=clean_env(),
        check=True,
        capture_output=True,
    )


def mlflow_command(project: Path, *args: str) -> list[str]:
    """A command of MLflow MLFLOW beside the project's own scikit-learn, NumPy and pandas."""
    pins = json.loads(run_in_python(project, VERSIONS))
    extras = [part for name, version in pins.items() for part in ("--with", f"{name}=={version}")]
    return ["uvx", "--from", f"mlflow=={MLFLOW}", *extras, *args]


def run_in_python(project: Path, code: str) -> str:
    python = str(project / ".venv/bin/python")
    return subprocess.run(
        [python, "-c", code],
        cwd=project,
        env=clean_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def measure_model(project: Path, version: str, bare_port: int, seconds: float) -> dict:
    """Start-up, then single-row load on the bare endpoint, the service and MLflow in turn (so
    the three see the same machine), then the batch time, for one registered version."""
    cli(project, "models", "promote", version)
    python = str(project / ".venv/bin/python")
    serve = [python, "-m", PACKAGE, "serve", "--port"]
    startups = []
    for _ in range(3):
        port = free_port()
        server = start([*serve, str(port)], project, project / f"serve-{version}.log")
        startups.append(wait_for(f"http://127.0.0.1:{port}/health/ready"))
        stop(server)

    result: dict = {"startup_s": startups, "load": {}}
    port, mlflow_port = free_port(), free_port()
    mlflow = mlflow_command(
        project, "mlflow", "models", "serve", "-m", str(project / f"mlflow-{version}"),
        "-h", "127.0.0.1", "-p", str(mlflow_port), "--env-manager", "local", "-w", "1",
    )  # fmt: skip
    servers = [
        start([*serve, str(port)], project, project / f"requests-{version}.log"),
        start(mlflow, project, project / f"mlflow-{version}.log"),
    ]
    targets = {
        "bare": (f"http://127.0.0.1:{bare_port}/constant", ROW),
        "predict": (f"http://127.0.0.1:{port}/predict", ROW),
        "mlflow": (f"http://127.0.0.1:{mlflow_port}/invocations", {"dataframe_records": [ROW]}),
    }
    try:
        wait_for(f"http://127.0.0.1:{port}/health/ready")
        result["mlflow_startup_s"] = wait_for(f"http://127.0.0.1:{mlflow_port}/ping", 180)
        time.sleep(1)
        for connections in (1, 4):
            for name, (url, body) in targets.items():
                result["load"][f"{name}, {connections} conn"] = load(
                    url, body, seconds, connections
                )
        batch = json.dumps({"rows": [ROW] * 1000}).encode()
        for _ in range(20):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/predict/batch",
                data=batch,
                headers={"content-type": "application/json"},
            )
            urllib.request.urlopen(request, timeout=10).read()
    finally:
        for server in servers:
            stop(server)
    lines = (project / f"requests-{version}.log").read_text(encoding="utf-8").splitlines()
    result["batch_1000_ms"] = [
        json.loads(line)["latency_ms"] for line in lines if '"/predict/batch"' in line
    ]
    return result


def report(results: dict, seconds: float, worker: dict) -> None:
    for name, result in results.items():
        version, load_runs = MODELS[name], result["load"]
        print(f"\n{name} ({version}, {result['estimator']})")
        print(
            f"  start-up to ready: {statistics.median(result['startup_s']):.2f} s (median of 3); "
            f"MLflow {result['mlflow_startup_s']:.1f} s"
        )
        print(
            f"  {f'load ({seconds:g} s each)':<22}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
            f"{'vs bare':>9}{'vs MLflow':>11}"
        )
        for key, run in load_runs.items():
            connections = key.split(", ")[1]
            bare = load_runs[f"bare, {connections}"]["requests_per_second"]
            mlflow = load_runs[f"mlflow, {connections}"]["requests_per_second"]
            rate = run["requests_per_second"]
            errors = f"  ({run['errors']} errors)" if run["errors"] else ""
            print(
                f"  {key:<22}{rate:>8.0f}{run['p50_ms']:>8.2f}{run['p99_ms']:>8.2f}"
                f"{rate / bare:>8.2f}x{rate / mlflow:>10.2f}x{errors}"
            )
        batch = result["batch_1000_ms"]
        print(
            f"  batch of 1,000 rows, server time: median {statistics.median(batch):.1f} ms, "
            f"max {max(batch):.1f} ms (target <= 50 ms)"
        )
    print("\nin-process, one row's predict (median µs) and a batch of 1,000 rows (median ms)")
    print(f"  {'estimator':<32}{'compiled':>10}{'pipeline':>10}{'speed-up':>10}{'batch':>8}")
    for name, timing in worker.items():
        compiled, pipeline = timing["compiled_us"], timing["pipeline_us"]
        print(
            f"  {name:<32}{compiled:>10.0f}{pipeline:>10.0f}{pipeline / compiled:>9.0f}x"
            f"{timing['batch_1000_ms']:>8.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per load run")
    args = parser.parse_args()
    project = synced_project()
    cli(project, "train")  # v1: the template's linear model
    with (project / "src" / PACKAGE / "model.py").open("a", encoding="utf-8") as model:
        model.write(TREE)
    cli(project, "train")  # v2: the tree ensemble
    for version in MODELS.values():
        pickle, saved = project / "models" / version / "model.pkl", project / f"mlflow-{version}"
        subprocess.run(
            mlflow_command(project, "python", "-c", SAVE, str(pickle), str(saved)),
            cwd=project,
            env=clean_env(),
            check=True,
            capture_output=True,
        )

    bare_port = free_port()
    bare = start(
        [str(project / ".venv/bin/python"), str(HERE / "bare_app.py"), str(bare_port)],
        project,
        project / "bare.log",
    )
    results = {}
    try:
        wait_for(f"http://127.0.0.1:{bare_port}/docs")
        for name, version in MODELS.items():
            results[name] = measure_model(project, version, bare_port, args.seconds)
            metadata = json.loads((project / "models" / version / "metadata.json").read_text())
            results[name]["estimator"] = metadata["estimator"]
    finally:
        stop(bare)
    worker = json.loads(run_in(project, HERE / "serving_worker.py"))
    report(results, args.seconds, worker)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "serving.json").write_text(
        json.dumps({"models": results, "in_process": worker}, indent=2), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
