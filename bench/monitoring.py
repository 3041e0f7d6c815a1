"""Monitoring benchmark: what the prediction log costs the service, and `monitor` at 1M rows.

Run on demand:  uv run python bench/monitoring.py [--seconds 5] [--rounds 3] [--rows 1000000]

Renders the default project, syncs and trains it, then with the project's Python:
- single-row predict with the prediction log on and off, two servers of the same project side by
  side, loaded in turn from a second process (bench/loadgen.py, 1 and 4 keep-alive connections)
  for several rounds; the overhead is logged vs unlogged p50 latency and throughput, each the
  median over the rounds (target: logging adds under 10% to single-row latency);
- the same overhead in-process, free of the load generator's noise: the time one `write` and
  a share of a `flush` take per single-row request, against the unlogged p50 latency;
- `monitor` over a log of 1M predictions (rows resampled from the example data, written by the
  project's own PredictionLog, so rotated files are read too): the command's wall time (median of
  3; the baseline is `python -c "import <package>.monitor"`, its import floor) and, from
  monitoring_worker.py, the time of each step in-process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path

from _project import run_in, synced_project
from helpers import clean_env
from serving import ROW, free_port, load, wait_for

HERE = Path(__file__).resolve().parent
PACKAGE = "my_ml_project"


def logging_overhead(project: Path, seconds: float, rounds: int) -> dict:
    python = str(project / ".venv/bin/python")
    serve = [python, "-m", PACKAGE, "serve", "--port"]
    ports = {"logged": free_port(), "unlogged": free_port()}
    logs = {"logged": str(project / "bench-logs/predictions.jsonl"), "unlogged": ""}
    servers = []
    for name, port in ports.items():
        env = clean_env({f"{PACKAGE.upper()}_PREDICTIONS_LOG": logs[name]})
        log = (project / f"{name}.out").open("w")
        command = [*serve, str(port)]
        servers.append(subprocess.Popen(command, cwd=project, env=env, stdout=log, stderr=log))
    runs: dict[str, list[dict]] = {}
    try:
        for port in ports.values():
            wait_for(f"http://127.0.0.1:{port}/health/ready")
        time.sleep(1)
        for _ in range(rounds):
            for connections in (1, 4):
                for name, port in ports.items():  # in turn, so both see the same machine
                    key = f"{name}, {connections} conn"
                    url = f"http://127.0.0.1:{port}/predict"
                    runs.setdefault(key, []).append(load(url, ROW, seconds, connections))
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    logged_lines = Path(logs["logged"]).read_bytes().count(b"\n")
    summary = {
        key: {
            "requests_per_second": statistics.median(r["requests_per_second"] for r in results),
            "p50_ms": statistics.median(r["p50_ms"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results),
            "errors": sum(r["errors"] for r in results),
        }
        for key, results in runs.items()
    }
    return {"runs": runs, "summary": summary, "logged_lines": logged_lines}


def monitor_at_scale(project: Path, rows: int) -> dict:
    log = project / "bench-logs/million.jsonl"
    worker = json.loads(run_in(project, HERE / "monitoring_worker.py", str(log), str(rows)))
    python = str(project / ".venv/bin/python")
    env = clean_env({f"{PACKAGE.upper()}_PREDICTIONS_LOG": str(log)})
    command = [python, "-m", PACKAGE, "monitor", "--last", str(rows), "--format", "json"]
    floor = [python, "-c", f"import {PACKAGE}.monitor"]
    times, floors = [], []
    for _ in range(3):
        start_time = time.perf_counter()
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start_time)
        start_time = time.perf_counter()
        subprocess.run(floor, cwd=project, env=env, check=True)
        floors.append(time.perf_counter() - start_time)
    report = json.loads(result.stdout)
    assert report["rows"] == rows, report
    return {**worker, "command_s": times, "import_floor_s": floors, "success": report["success"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per load run")
    parser.add_argument("--rounds", type=int, default=3, help="load runs per server and setting")
    parser.add_argument("--rows", type=int, default=1_000_000, help="logged rows for monitor")
    args = parser.parse_args()
    project = synced_project()
    python = str(project / ".venv/bin/python")
    subprocess.run(
        [python, "-m", PACKAGE, "train"],
        cwd=project,
        env=clean_env(),
        check=True,
        capture_output=True,
    )
    overhead = logging_overhead(project, args.seconds, args.rounds)
    scale = monitor_at_scale(project, args.rows)

    print(f"single-row predict, median of {args.rounds} rounds of {args.seconds:g} s")
    print(f"{'':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    summary = overhead["summary"]
    for key, run in summary.items():
        print(
            f"{key:<22}{run['requests_per_second']:>9.0f}{run['p50_ms']:>9.3f}{run['p99_ms']:>9.3f}"
        )
    for connections in (1, 4):
        logged, unlogged = (summary[f"{n}, {connections} conn"] for n in ("logged", "unlogged"))
        latency = logged["p50_ms"] / unlogged["p50_ms"] - 1
        throughput = 1 - logged["requests_per_second"] / unlogged["requests_per_second"]
        print(
            f"logging, {connections} conn: p50 latency {latency:+.1%}, "
            f"throughput {-throughput:+.1%} (target: latency under +10%)"
        )
    print(f"lines in the logged server's prediction log: {overhead['logged_lines']:,}")
    unlogged = summary["unlogged, 1 conn"]["p50_ms"] * 1000
    print(
        f"logging in-process (best of 3): {scale['log_cost_us']:.1f} us per single-row request, "
        f"{scale['log_cost_us'] / unlogged:.1%} of the unlogged p50 ({unlogged:.0f} us)"
    )
    print(
        f"monitor over {args.rows:,} logged rows ({scale['files']} files, "
        f"{scale['megabytes']:.0f} MB): command {statistics.median(scale['command_s']):.2f} s "
        f"(median of 3; importing it alone {statistics.median(scale['import_floor_s']):.2f} s)"
    )
    steps = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in scale["steps_s"].items())
    print(f"  in-process: {steps}")
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "monitoring.json").write_text(
        json.dumps({"overhead": overhead, "monitor": scale}, indent=2), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
