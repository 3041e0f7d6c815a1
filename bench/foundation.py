"""Foundation benchmark: how long generating a project and getting it green takes.

Run on demand (not part of the test suite):  uv run python bench/foundation.py [--repeat 5]

Measures, each next to a baseline taken in the same run so the ratio means something on any
machine:
- `copier copy --defaults` wall time, against `python -c "import copier"` (its import floor);
- the generated project's `pytest` (the fast loop, median) and `pytest -m "" --cov` (the whole
  suite, as its CI runs it; one run), against importing its stack (pandas, sklearn, fastapi,
  pydantic);
- copy to green with a warm uv cache (copy + uv sync + pytest), against that `uv sync` alone,
  once with the generated README's plain commands (Python caching the bytecode of what it
  imports, as `helpers.clean_env` lets it) and once compiling the whole environment at sync (as
  CI and Docker do, for machines where Python may not write .pyc files).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers import clean_env, snapshot_template

COPIER = Path(sys.executable).with_name("copier")


def timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=clean_env(), check=True, capture_output=True)
    return time.perf_counter() - start


def run_quiet(args: list[str], cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, env=clean_env(), check=True, capture_output=True)


def median_of(repeat: int, make_args, cwd: Path) -> float:
    return statistics.median(timed(make_args(i), cwd) for i in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-foundation-"))
    src = snapshot_template(work / "template")
    rows: dict[str, tuple[float, float, str]] = {}

    import_copier = median_of(args.repeat, lambda i: [sys.executable, "-c", "import copier"], work)
    copy = median_of(
        args.repeat,
        lambda i: [str(COPIER), "copy", "--defaults", "--quiet", str(src), str(work / f"c{i}")],
        work,
    )
    rows["copier copy --defaults"] = (copy, import_copier, "import copier")

    sync_plain = ["uv", "sync", "--quiet"]
    sync_compiled = [*sync_plain, "--compile-bytecode"]
    for label, sync in (("README commands", sync_plain), ("compiled bytecode", sync_compiled)):
        project = work / label.replace(" ", "-")
        start = time.perf_counter()
        run_quiet([str(COPIER), "copy", "--defaults", "--quiet", str(src), str(project)], work)
        run_quiet(sync, project)
        run_quiet(["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], project)
        copy_to_green = time.perf_counter() - start
        shutil.rmtree(project / ".venv")
        rows[f"copy to green, {label}"] = (copy_to_green, timed(sync, project), "its uv sync")

    python = str(project / ".venv/bin/python")
    floor = "import pandas, sklearn, fastapi, pydantic"
    stack = median_of(args.repeat, lambda i: [python, "-c", floor], project)
    pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    fast = median_of(args.repeat, lambda i: pytest, project)
    rows["project pytest (fast loop)"] = (fast, stack, floor)
    whole = timed([*pytest, "-m", "", "--cov"], project)  # one run: it takes minutes
    rows["project pytest -m '' --cov"] = (whole, stack, floor)

    print(f"{'measurement':<32}{'seconds':>9}{'baseline':>10}{'ratio':>7}  baseline is")
    for name, (value, base, label) in rows.items():
        print(f"{name:<32}{value:>9.2f}{base:>10.2f}{value / base:>7.2f}  {label}")
    results = Path(__file__).with_name("results")
    results.mkdir(exist_ok=True)
    (results / "foundation.json").write_text(
        json.dumps(
            {
                k: {"seconds": v, "baseline": b, "baseline_is": lbl}
                for k, (v, b, lbl) in rows.items()
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
