"""Serving benchmark: the generated service against a bare FastAPI endpoint, on loopback.

Run on demand:  uv run python bench/serving.py [--seconds 5]

Renders the default project, syncs and trains it, then measures with the project's Python:
- start-up: from launching `serve` to the first ready answer (median of 3; target <= 3 s);
- single-row predict vs a bare endpoint returning a constant (the ceiling), with load from a
  second process (bench/loadgen.py) on 1 and 4 keep-alive connections: requests per second and
  p50/p99 latency (target: at least half the bare throughput);
- a batch of 1,000 rows: the server's own time from its request log (median of 20; <= 50 ms).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _project import synced_project

HERE = Path(__file__).resolve().parent
ROW = {"region": "north", "distance_km": 3.2, "items": 2, "hour": 12, "courier_rating": 4.5}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    return subprocess.Popen(command, cwd=cwd, stdout=log.open("w"), stderr=subprocess.STDOUT)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per load run")
    args = parser.parse_args()
    project = synced_project()
    python = str(project / ".venv/bin/python")
    subprocess.run(
        [python, "-m", "my_ml_project", "train"], cwd=project, check=True, capture_output=True
    )
    serve = [python, "-m", "my_ml_project", "serve", "--port"]

    startups = []
    for _ in range(3):
        port = free_port()
        server = start([*serve, str(port)], project, project / "serve.log")
        startups.append(wait_for(f"http://127.0.0.1:{port}/health/ready"))
        server.terminate()
        server.wait()

    port, bare_port = free_port(), free_port()
    servers = [
        start([*serve, str(port)], project, project / "requests.log"),
        start([python, str(HERE / "bare_app.py"), str(bare_port)], project, project / "bare.log"),
    ]
    try:
        wait_for(f"http://127.0.0.1:{port}/health/ready")
        time.sleep(1)
        runs = {}
        for connections in (1, 4):
            runs[f"bare, {connections} conn"] = load(
                f"http://127.0.0.1:{bare_port}/constant", ROW, args.seconds, connections
            )
            runs[f"predict, {connections} conn"] = load(
                f"http://127.0.0.1:{port}/predict", ROW, args.seconds, connections
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
            server.terminate()
            server.wait()
    lines = (project / "requests.log").read_text(encoding="utf-8").splitlines()
    batch_ms = [json.loads(line)["latency_ms"] for line in lines if '"/predict/batch"' in line]

    print(f"start-up to ready: {statistics.median(startups):.2f} s (median of 3; target <= 3 s)")
    head = f"load ({args.seconds:g} s each)"
    print(f"{head:<20}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs bare':>9}")
    for name, run in runs.items():
        bare = runs[f"bare, {name.split(', ')[1]}"]["requests_per_second"]
        ratio = run["requests_per_second"] / bare
        print(
            f"{name:<20}{run['requests_per_second']:>9.0f}{run['p50_ms']:>9.2f}{run['p99_ms']:>9.2f}"
            f"{ratio:>9.2f}"
        )
    print(
        f"batch of 1,000 rows, server time: median {statistics.median(batch_ms):.1f} ms, "
        f"max {max(batch_ms):.1f} ms (target <= 50 ms)"
    )
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "serving.json").write_text(
        json.dumps({"startup_s": startups, "load": runs, "batch_1000_ms": batch_ms}, indent=2),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
