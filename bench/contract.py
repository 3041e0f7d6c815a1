"""Data-contract benchmark: Great Expectations suite vs plain pandas checks of the same rules.

Run on demand:  uv run python bench/contract.py [--sizes 10000 100000 1000000] [--repeat 5]

Renders the default project, syncs it, and runs `contract_worker.py` with the project's Python:
it validates the example data resampled to each size with the generated suite and with a plain
pandas implementation of the same rules (the baseline), and times one pydantic request check.
Target at 1M rows: the suite within 10x of plain pandas.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from _project import run_in, synced_project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    project = synced_project()
    worker = Path(__file__).with_name("contract_worker.py")
    sizes = [str(size) for size in args.sizes]
    rows = json.loads(run_in(project, worker, "--repeat", str(args.repeat), *sizes))

    print(f"{'rows':>10}{'GX suite ms':>14}{'pandas ms':>12}{'ratio':>8}  (medians)")
    for row in rows["validation"]:
        ratio = row["gx_ms"] / row["pandas_ms"]
        print(f"{row['rows']:>10,}{row['gx_ms']:>14.1f}{row['pandas_ms']:>12.1f}{ratio:>8.1f}")
    print(f"pydantic request check: {rows['pydantic_us']:.1f} us per row")
    print(f"checks per run: {rows['checks']}; both agree on every size: {rows['agree']}")
    results = Path(__file__).with_name("results")
    results.mkdir(exist_ok=True)
    (results / "contract.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
