"""Runs inside a generated project's environment (see contract.py); prints JSON results."""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import pandas as pd
from my_ml_project._kit.contract import Contract, load_contract
from my_ml_project._kit.data import load_table
from my_ml_project._kit.schema import row_model
from my_ml_project._kit.validation import build_suite, validate_frame

NUMERIC = {"integer": pd.api.types.is_integer_dtype, "float": pd.api.types.is_numeric_dtype}


def pandas_failures(frame: pd.DataFrame, contract: Contract) -> int:
    """The contract's rules in plain pandas: the number of rules broken."""
    failed = int(set(frame.columns) != {column.name for column in contract.columns})
    failed += int(len(frame) < contract.min_rows)
    if contract.unique:
        failed += int(frame.duplicated(subset=list(contract.unique)).any())
    for column in contract.columns:
        values = frame[column.name]
        if column.type in NUMERIC:
            failed += int(not NUMERIC[column.type](values))
        if not column.nullable:
            failed += int(values.isna().any())
        if column.min is not None:
            failed += int((values < column.min).any())
        if column.max is not None:
            failed += int((values > column.max).any())
        if column.allowed:
            failed += int((~values.isin(column.allowed) & values.notna()).any())
    return failed


def resample(frame: pd.DataFrame, rows: int) -> pd.DataFrame:
    picked = frame.sample(n=rows, replace=True, random_state=np.random.default_rng(0))
    return picked.reset_index(drop=True).assign(order_id=np.arange(1, rows + 1))


def median_ms(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("sizes", type=int, nargs="+")
    args = parser.parse_args()
    contract = load_contract()
    example = load_table("data/example/deliveries.csv", contract)
    validate_frame(example, contract)  # warm-up: imports and first-call costs
    results, agree = [], True
    for rows in args.sizes:
        frame = resample(example, rows)
        agree &= validate_frame(frame, contract).success == (pandas_failures(frame, contract) == 0)
        gx_ms = median_ms(args.repeat, lambda f=frame: validate_frame(f, contract))
        pandas_ms = median_ms(args.repeat, lambda f=frame: pandas_failures(f, contract))
        results.append({"rows": rows, "gx_ms": gx_ms, "pandas_ms": pandas_ms})
    model = row_model(contract)
    request = example[contract.feature_names].iloc[0].to_dict()
    request = {k: (None if pd.isna(v) else v) for k, v in request.items()}
    start = time.perf_counter()
    for _ in range(10_000):
        model.model_validate(request)
    pydantic_us = (time.perf_counter() - start) / 10_000 * 1e6
    checks = len(build_suite(contract).expectations)
    print(
        json.dumps(
            {"validation": results, "pydantic_us": pydantic_us, "checks": checks, "agree": agree}
        )
    )


if __name__ == "__main__":
    main()
