"""The Spark engine gives what the pandas path gives: the same reports, predictions, profiles.

These run only where the spark extra is installed (``uv sync --extra spark``; Java too), in a
Spark of two cores on this machine; without it they are skipped. ``-m 'not spark'`` leaves
them out where it is installed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyspark", reason="the Spark engine is optional: uv sync --extra spark")

from pyspark.sql import SparkSession

from ..batch import predict_file
from ..cli import EXIT_FAILED, EXIT_OK, main
from ..contract import Contract, load_contract
from ..data import DataError, load_table
from ..identity import PACKAGE
from ..predictor import LocalPredictor
from ..profile import PROFILE_FILE, build_profile, load_profile
from ..registry import Registry, RegistryError
from ..settings import ENV_PREFIX
from ..spark import predict_path, profile_path, spark_session, validate_path
from ..spark import validation as spark_validation
from ..spark.batch import ShippedModel, _predictor
from ..spark.profile import ACCURACY
from ..spark.session import LOCAL_CONFIG, SparkError, start
from ..validation import InvalidDataError, validate_frame
from .conftest import UNKNOWN, invalid_value, number_feature
from .test_validation import _plan

pytestmark = [
    pytest.mark.spark,
    # PySpark leaves the socket of each collect() to the garbage collector.
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
]


@pytest.fixture(scope="module", autouse=True)
def spark() -> Iterator[SparkSession]:
    """Spark on two cores of this machine, for the module: the engine's functions use it."""
    with spark_session("local[2]") as session:
        yield session


@pytest.fixture
def predictor(trained_models: Path, contract: Contract) -> LocalPredictor:
    return LocalPredictor.from_registry(trained_models, None, contract)


def _local_report(path: Path, contract: Contract) -> object:
    return validate_frame(load_table(path, contract), contract, source=str(path))


def _read_folder(path: Path) -> pd.DataFrame:
    """A file the pandas path wrote, or a folder of part files Spark wrote, as text."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path).astype(str)
    parts = sorted(path.glob("part-*")) if path.is_dir() else [path]
    return pd.concat([pd.read_csv(part, dtype=str) for part in parts], ignore_index=True)


def _broken_rows(
    sample_rows: pd.DataFrame, contract: Contract, *, typed_only: bool = False
) -> pd.DataFrame:
    """The sample rows with one defect of each kind test_validation plans (``typed_only``: none
    that mixes text into a number column, which Parquet cannot hold)."""
    frame = sample_rows.assign(**{UNKNOWN: "red"})
    for kind, defect in _plan(contract, sample_rows).items():
        if not (typed_only and kind == "wrong type"):
            frame = defect.apply(frame)
    return frame


@pytest.fixture(scope="module")
def broken_csv(
    tmp_path_factory: pytest.TempPathFactory, _sample_rows: pd.DataFrame, contract: Contract
) -> Path:
    """The sample rows with one defect of each kind, as a CSV file."""
    path = tmp_path_factory.mktemp("broken") / "broken.csv"
    _broken_rows(_sample_rows, contract).to_csv(path, index=False)
    return path


def test_local_spark_listens_on_loopback_only_without_a_web_ui(spark: SparkSession) -> None:
    for key, value in LOCAL_CONFIG.items():
        assert spark.conf.get(key) == value
    assert spark.conf.get("spark.ui.enabled") == "false"
    assert spark.conf.get("spark.driver.bindAddress") == "127.0.0.1"


def test_without_java_spark_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(SparkError, match="Spark needs Java"):
        start("local[1]")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_valid_rows_get_the_same_report(
    tmp_path: Path, suffix: str, sample_rows: pd.DataFrame, contract: Contract
) -> None:
    path = tmp_path / f"rows{suffix}"
    if suffix == ".csv":
        sample_rows.to_csv(path, index=False)
    else:
        sample_rows.to_parquet(path, index=False)
    report = validate_path(path, contract)
    assert report.success, report.render()
    assert report == _local_report(path, contract)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_broken_rules_get_the_same_report(
    tmp_path: Path, suffix: str, sample_rows: pd.DataFrame, contract: Contract
) -> None:
    """Same verdict, same failing rules, counts, shares and example rows, word for word."""
    path = tmp_path / f"broken{suffix}"
    if suffix == ".csv":
        _broken_rows(sample_rows, contract).to_csv(path, index=False)
    else:
        _broken_rows(sample_rows, contract, typed_only=True).to_parquet(path, index=False)
    report, local = validate_path(path, contract), _local_report(path, contract)
    assert not report.success
    assert report.render() == local.render()
    assert report == local


def test_a_folder_of_part_files_is_one_table(
    tmp_path: Path, sample_rows: pd.DataFrame, contract: Contract
) -> None:
    folder = tmp_path / "rows.csv"
    folder.mkdir()
    half = len(sample_rows) // 2
    sample_rows.iloc[:half].to_csv(folder / "part-0.csv", index=False)
    sample_rows.iloc[half:].to_csv(folder / "part-1.csv", index=False)
    report = validate_path(folder, contract)
    assert report.success, report.render()
    assert report.rows == len(sample_rows)


def test_great_expectations_runs_the_suite_as_spark_jobs(
    spark: SparkSession, monkeypatch: pytest.MonkeyPatch, broken_csv: Path, contract: Contract
) -> None:
    """No quiet fallback: Spark jobs compute the rules, nothing is collected into pandas."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the table was collected into pandas")

    monkeypatch.setattr(type(spark.range(1)), "toPandas", refuse)
    context = spark.sparkContext
    context.setJobGroup("contract-suite", "the contract's suite")
    try:
        report = validate_path(broken_csv, contract)
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
    assert context.statusTracker().getJobIdsForGroup("contract-suite")
    assert report == _local_report(broken_csv, contract)
    suite = spark_validation.spark_suite(spark_validation.build_suite(contract))
    type_lists = [e.type_list for e in suite.expectations if hasattr(e, "type_list")]
    assert all(name.endswith("Type") for names in type_lists for name in names)


def test_a_rule_spark_cannot_check_is_an_error_not_a_failure(
    monkeypatch: pytest.MonkeyPatch, data_path: Path, contract: Contract
) -> None:
    if not any(c.type in spark_validation.SPARK_TYPES for c in contract.columns):
        pytest.skip("the contract has no column with a type rule")
    monkeypatch.setitem(spark_validation.SPARK_TYPES, "integer", ["NoSuchType"])
    monkeypatch.setitem(spark_validation.SPARK_TYPES, "float", ["NoSuchType"])
    monkeypatch.setitem(spark_validation.SPARK_TYPES, "boolean", ["NoSuchType"])
    with pytest.raises(SparkError, match="Great Expectations could not check"):
        validate_path(data_path, contract)


def test_unreadable_inputs_are_one_line_errors(tmp_path: Path, contract: Contract) -> None:
    with pytest.raises(DataError, match="no such file or folder"):
        validate_path(tmp_path / "nowhere.csv", contract)
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="the file is empty"):
        validate_path(tmp_path / "empty.csv", contract)
    (tmp_path / "twice.csv").write_text("a,b,a\n1,2,3\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"repeats the columns \['a'\]"):
        validate_path(tmp_path / "twice.csv", contract)
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"cannot read it \(Malformed CSV record: 3,4,5\)"):
        validate_path(tmp_path / "ragged.csv", contract)
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "a.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "mixed" / "b.txt").write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(DataError, match="files of one kind"):
        validate_path(tmp_path / "mixed", contract)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predictions_are_the_local_ones_to_the_last_bit(
    tmp_path: Path,
    suffix: str,
    data_path: Path,
    predictor: LocalPredictor,
) -> None:
    result = predict_path(data_path, tmp_path / f"spark{suffix}", predictor)
    local = predict_file(data_path, tmp_path / f"local{suffix}", predictor)
    assert result == local
    written, expected = (_read_folder(tmp_path / f"{n}{suffix}") for n in ("spark", "local"))
    assert written.columns.tolist() == expected.columns.tolist()
    numbers = [c for c in expected.columns if c.startswith("probability_")]
    if suffix == ".csv":  # text: Java and Python may spell one float differently
        for name in [
            *numbers,
            *(["prediction"] if predictor.contract.task != "classification" else []),
        ]:
            written[name], expected[name] = (
                written[name].astype(float),
                expected[name].astype(float),
            )
    pd.testing.assert_frame_equal(written, expected, check_exact=True)


def test_invalid_rows_are_refused_or_set_aside_as_locally(
    tmp_path: Path,
    contract: Contract,
    predictor: LocalPredictor,
    sample_rows: pd.DataFrame,
) -> None:
    first, number = contract.features[0], number_feature(contract)
    source = tmp_path / "rows.csv"
    rows = sample_rows.astype({first.name: object, number.name: object})
    rows.loc[4, first.name] = invalid_value(first)
    rows.loc[8, number.name] = "lots"  # text in a number column: the whole column reads as text
    if number.max is not None:  # hidden behind the type rule until the text row is set aside
        rows.loc[11, number.name] = number.max * 10 + 1
    rows.to_csv(source, index=False)
    with pytest.raises(InvalidDataError) as refused:
        predict_path(source, tmp_path / "out.parquet", predictor)
    with pytest.raises(InvalidDataError) as refused_locally:
        predict_file(source, tmp_path / "local.parquet", predictor)
    assert str(refused.value) == str(refused_locally.value)
    assert not (tmp_path / "out.parquet").exists()

    result = predict_path(source, tmp_path / "out.csv", predictor, rejects=tmp_path / "bad.csv")
    local = predict_file(
        source, tmp_path / "local.csv", predictor, rejects=tmp_path / "local-bad.csv"
    )
    assert result == local
    rejected, expected = (
        _read_folder(tmp_path / "bad.csv"),
        _read_folder(tmp_path / "local-bad.csv"),
    )
    assert rejected[["row", "reasons"]].equals(expected[["row", "reasons"]])
    assert rejected.columns.tolist() == expected.columns.tolist()
    written, scored = _read_folder(tmp_path / "out.csv"), _read_folder(tmp_path / "local.csv")
    assert written["row"].tolist() == scored["row"].tolist()
    if contract.task == "classification":
        assert written["prediction"].tolist() == scored["prediction"].tolist()
    else:
        assert np.array_equal(
            written["prediction"].astype(float), scored["prediction"].astype(float)
        )


def test_outputs_never_replace_the_input_or_existing_ones_unasked(
    tmp_path: Path, data_path: Path, predictor: LocalPredictor
) -> None:
    source = tmp_path / "rows.csv"
    source.write_bytes(data_path.read_bytes())
    with pytest.raises(DataError, match="is the input"):
        predict_path(source, tmp_path / "." / "rows.csv", predictor)
    output = tmp_path / "out.parquet"
    output.write_text("mine\n", encoding="utf-8")
    with pytest.raises(DataError, match="exists; pass --overwrite to replace it"):
        predict_path(source, output, predictor)
    assert output.read_text(encoding="utf-8") == "mine\n"
    predict_path(source, output, predictor, overwrite=True)
    assert len(pd.read_parquet(output)) == len(pd.read_csv(source))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet", "rows.csv"]
    with pytest.raises(DataError, match="the output and the rejects file must differ"):
        predict_path(source, tmp_path / "o.csv", predictor, rejects=tmp_path / "o.csv")
    with pytest.raises(DataError, match="unsupported output type"):
        predict_path(source, tmp_path / "out.xlsx", predictor)


def test_each_worker_unpickles_the_model_once_and_checks_it(predictor: LocalPredictor) -> None:
    shipped = ShippedModel.of(predictor)
    assert _predictor(shipped) is _predictor(shipped)
    tampered = dataclasses.replace(shipped, pickled=shipped.pickled + b" ", sha256="0" * 64)
    with pytest.raises(RegistryError, match="changed on the way"):
        _predictor(tampered)


def test_the_profile_counts_what_pandas_counts(
    tmp_path: Path, sample_rows: pd.DataFrame, contract: Contract
) -> None:
    path = tmp_path / "rows.parquet"
    sample_rows.to_parquet(path, index=False)
    profile, local = profile_path(path, contract), build_profile(sample_rows, contract)
    assert profile.rows == local.rows == len(sample_rows)
    for feature, expected in zip(profile.features, local.features, strict=True):
        values = sample_rows[feature.name]
        assert (feature.name, feature.kind) == (expected.name, expected.kind)
        if feature.kind == "categorical":
            assert feature == expected
            continue
        # Bins are deciles here too, exact data values (pandas interpolates between them)...
        present = np.sort(values.dropna().to_numpy(dtype=float))
        slack = 1 + len(present) // ACCURACY
        for decile, edge in zip(np.linspace(0.1, 0.9, 9), feature.bins, strict=False):
            rank = decile * (len(present) - 1)
            low = present[max(int(np.floor(rank)) - slack, 0)]
            high = present[min(int(np.ceil(rank)) + slack, len(present) - 1)]
            assert low <= edge <= high
        # ... and each bin's share is what pandas counts in the same bins.
        same_bins = dataclasses.replace(expected, bins=feature.bins)
        shares = same_bins.counts(values) / len(values)
        assert feature.shares == [round(float(share), 6) for share in shares]


def test_the_profile_of_invalid_data_is_refused(broken_csv: Path, contract: Contract) -> None:
    with pytest.raises(InvalidDataError):
        profile_path(broken_csv, contract)


def test_validate_engine_spark_prints_what_pandas_prints(
    monkeypatch: pytest.MonkeyPatch,
    data_path: Path,
    broken_csv: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}SPARK_MASTER", "local[2]")
    for path, code in ((data_path, EXIT_OK), (broken_csv, EXIT_FAILED)):
        reports = []
        for engine in ("pandas", "spark"):
            assert main(["validate", str(path), "--format", "json", "--engine", engine]) == code
            reports.append(json.loads(capsys.readouterr().out))
        assert reports[0] == reports[1]


def test_predict_and_profile_engine_spark(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    trained_models: Path,
    data_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    models = tmp_path / "models"
    shutil.copytree(trained_models, models)
    monkeypatch.setenv(f"{ENV_PREFIX}MODELS_DIR", str(models))
    monkeypatch.setenv(f"{ENV_PREFIX}SPARK_MASTER", "local[2]")
    rows = len(pd.read_csv(data_path))
    output = tmp_path / "scored.parquet"
    assert main(["predict", str(data_path), str(output), "--engine", "spark"]) == EXIT_OK
    assert f"wrote {rows} predictions to {output}" in capsys.readouterr().out
    assert len(pd.read_parquet(output)) == rows
    before = (models / "v1" / PROFILE_FILE).read_text(encoding="utf-8")
    assert main(["profile", str(data_path), "--engine", "spark"]) == EXIT_OK
    assert f"wrote the profile of {rows} rows" in capsys.readouterr().out
    assert load_profile(Registry(models), "v1").rows == rows  # all rows: train profiles a split
    assert (models / "v1" / PROFILE_FILE).read_text(encoding="utf-8") != before


@pytest.fixture(scope="module")
def connect_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Spark Connect server on 127.0.0.1 (a free port), as a cluster offers one."""
    import pyspark

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        **LOCAL_CONFIG,
    }
    command = [
        str(Path(pyspark.__file__).parent / "bin" / "spark-submit"),
        *("--class", "org.apache.spark.sql.connect.service.SparkConnectServer"),
        *("--master", "local[2]"),
        *(part for key, value in settings.items() for part in ("--conf", f"{key}={value}")),
        "spark-internal",
    ]
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    log = tmp_path_factory.mktemp("connect") / "server.log"
    with (
        log.open("wb") as output,
        subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT) as server,
    ):
        try:
            deadline = time.monotonic() + 180
            while not _listening(port):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"no Spark Connect server: {log.read_text()[-2000:]}")
                time.sleep(0.5)
            yield f"sc://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=60)


def _listening(port: int) -> bool:
    with socket.socket() as client:
        return client.connect_ex(("127.0.0.1", port)) == 0


def test_a_spark_connect_server_gives_the_same_answers(
    connect_url: str, tmp_path: Path, trained_models: Path, data_path: Path, broken_csv: Path
) -> None:
    """The spark_master setting ``sc://host:port``: the commands run on the server's Spark."""
    env = {
        **os.environ,
        f"{ENV_PREFIX}SPARK_MASTER": connect_url,
        f"{ENV_PREFIX}MODELS_DIR": str(trained_models),
    }

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        run = [sys.executable, "-m", PACKAGE, *args, "--engine", "spark"]
        return subprocess.run(run, env=env, capture_output=True, text=True, check=False)

    contract = load_contract()
    checked = command("validate", str(broken_csv), "--format", "json")
    assert checked.returncode == EXIT_FAILED, checked.stderr
    report = json.loads(checked.stdout)
    assert report == json.loads(_local_report(broken_csv, contract).to_json())
    output = tmp_path / "scored.parquet"
    scored = command("predict", str(data_path), str(output))
    assert scored.returncode == EXIT_OK, scored.stderr
    predict_file(
        data_path, tmp_path / "local.parquet", LocalPredictor.from_registry(trained_models)
    )
    pd.testing.assert_frame_equal(
        pd.read_parquet(output), pd.read_parquet(tmp_path / "local.parquet"), check_exact=True
    )
