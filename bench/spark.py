"""Spark benchmark: validating and batch-scoring a table with pandas and with Spark local.

Run on demand:  uv run python bench/spark.py [--sizes 1000000 10000000] [--repeat 1]

Renders the default project, syncs it with the spark extra, trains its model on the example
data, then runs `spark_worker.py` with the project's Python: the example data resampled to each
size and written as one Parquet file, then for each engine `validate` (read, type, the
contract's suite) and `predict` (read, validate, score, write Parquet), as the commands run them,
and the most memory pandas held.
Spark runs `local[*]` with a 4 GB driver, started once; its start-up is timed apart. Prints the
table with Spark's time over pandas' and the crossover, where the two lines (a fixed cost plus
a cost per row, fitted through the sizes measured) meet.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from _project import run_in, synced_project
from helpers import clean_env


def crossover(sizes: list[int], pandas: list[float], spark: list[float]) -> float | None:
    """The rows at which Spark's fitted line meets pandas' (None if Spark never catches up)."""
    (low, high), lines = (sizes[0], sizes[-1]), []
    for times in (pandas, spark):
        per_row = (times[-1] - times[0]) / (high - low)
        lines.append((times[0] - per_row * low, per_row))
    (fixed_p, row_p), (fixed_s, row_s) = lines
    return (fixed_s - fixed_p) / (row_p - row_s) if row_p > row_s else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    project = synced_project()
    env = clean_env()
    subprocess.run(
        ["uv", "sync", "--quiet", "--compile-bytecode", "--extra", "spark"],
        cwd=project,
        env=env,
        check=True,
    )
    subprocess.run(
        ["uv", "run", "--no-sync", "my-ml-project", "train"],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    worker = Path(__file__).with_name("spark_worker.py")
    sizes = [str(size) for size in args.sizes]
    found = json.loads(run_in(project, worker, "--repeat", str(args.repeat), *sizes))

    print(f"Spark local[*] on {found['cores']} cores; session start {found['start_s']:.1f} s")
    print(f"{'rows':>12}{'step':>10}{'pandas s':>10}{'Spark s':>9}{'Spark/pandas':>14}")
    for step in ("validate", "predict"):
        rows = [row for row in found["runs"] if row["step"] == step]
        for row in rows:
            ratio = row["spark_s"] / row["pandas_s"]
            print(
                f"{row['rows']:>12,}{step:>10}{row['pandas_s']:>10.1f}{row['spark_s']:>9.1f}"
                f"{ratio:>14.2f}  (pandas peak {row['pandas_peak_mb']:,.0f} MB)"
            )
        meet = crossover(
            [r["rows"] for r in rows], [r["pandas_s"] for r in rows], [r["spark_s"] for r in rows]
        )
        where = f"about {meet:,.0f} rows" if meet else "none: Spark's cost per row is higher"
        print(f"{'':>12}{step:>10} crossover: {where}")
    print(f"same reports and predictions on every size: {found['agree']}")
    results = Path(__file__).with_name("results")
    results.mkdir(exist_ok=True)
    (results / "spark.json").write_text(json.dumps(found, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
