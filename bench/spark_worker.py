"""Runs inside a generated project synced with the spark extra (see spark.py); prints JSON."""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from my_ml_project._kit.batch import predict_file
from my_ml_project._kit.contract import load_contract
from my_ml_project._kit.data import load_table
from my_ml_project._kit.predictor import LocalPredictor
from my_ml_project._kit.spark import predict_path, spark_session, validate_path
from my_ml_project._kit.validation import validate_frame


def resample(frame: pd.DataFrame, rows: int) -> pd.DataFrame:
    picked = frame.sample(n=rows, replace=True, random_state=np.random.default_rng(0))
    return picked.reset_index(drop=True).assign(order_id=np.arange(1, rows + 1))


def peak() -> float:
    """The most memory this process has held so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(repeat: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("sizes", type=int, nargs="+")
    args = parser.parse_args()
    os.environ["PYSPARK_SUBMIT_ARGS"] = "--driver-memory 4g pyspark-shell"
    contract = load_contract()
    predictor = LocalPredictor.from_registry(Path("models"), None, contract)
    example = load_table("data/example/deliveries.csv", contract)
    folder = Path(tempfile.mkdtemp(prefix="bench-spark-"))
    runs, agree = [], True
    start = time.perf_counter()
    with spark_session("local[*]") as spark:
        start_s = time.perf_counter() - start
        cores = spark.sparkContext.defaultParallelism
        warm = folder / "warm.parquet"
        example.to_parquet(warm, index=False)
        validate_path(warm, contract)  # first-call costs: imports, Python workers, JIT
        predict_path(warm, folder / "warm-out.parquet", predictor)
        for rows in args.sizes:
            source = folder / f"rows-{rows}.parquet"
            resample(example, rows).to_parquet(source, index=False)

            def pandas_validate(path=source):
                return validate_frame(load_table(path, contract), contract, source=str(path))

            pandas_s, local = timed(args.repeat, pandas_validate)
            peak_mb = peak()  # this process's most memory so far: pandas' at this size
            spark_s, report = timed(args.repeat, lambda path=source: validate_path(path, contract))
            agree &= report == local
            runs.append(
                {"rows": rows, "step": "validate", "pandas_s": pandas_s, "spark_s": spark_s}
                | {"pandas_peak_mb": peak_mb}
            )

            def scored(engine: str, path=source, rows=rows) -> Path:
                output = folder / f"{engine}-{rows}.parquet"
                shutil.rmtree(output, ignore_errors=True)
                output.unlink(missing_ok=True)
                score = predict_path if engine == "spark" else predict_file
                score(path, output, predictor)
                return output

            pandas_s, local_out = timed(args.repeat, lambda: scored("pandas"))
            peak_mb = peak()
            spark_s, spark_out = timed(args.repeat, lambda: scored("spark"))
            agree &= pd.read_parquet(local_out).equals(pd.read_parquet(spark_out))
            runs.append(
                {"rows": rows, "step": "predict", "pandas_s": pandas_s, "spark_s": spark_s}
                | {"pandas_peak_mb": peak_mb}
            )
            source.unlink()
    shutil.rmtree(folder)
    print(json.dumps({"cores": cores, "start_s": start_s, "runs": runs, "agree": bool(agree)}))


if __name__ == "__main__":
    main()
