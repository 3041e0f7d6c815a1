from __future__ import annotations

import argparse
import json
import runpy
import subprocess
import sys
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from .. import train as train_module
from ..cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, build_parser, main
from ..contract import Column, Contract
from ..errors import ProjectError
from ..evaluate import holdout_split, split_features_target
from ..identity import PACKAGE, distribution_version
from ..prediction_log import PredictionLog
from ..predictor import Prediction
from ..records import Metadata
from ..registry import Registry
from ..settings import ENV_PREFIX, Settings
from ..tasks import CLASSIFICATION, METRICS
from ..user import build_baseline, model_spec
from .conftest import UNKNOWN, invalid_value, outside, request_rows
from .reference import reference_model

PROJECT_ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(autouse=True)
def _run_from_project_root(monkeypatch: pytest.MonkeyPatch, data_path: Path) -> None:
    """The project's pyproject.toml applies, except that the data setting is the sample rows."""
    monkeypatch.chdir(PROJECT_ROOT)
    monkeypatch.setenv(f"{ENV_PREFIX}DATA", str(data_path))


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return parser._subparsers._group_actions[0]


def _your_commands(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The project's commands.py (a stand-in when it has none)."""
    name = f"{PACKAGE}.commands"
    try:
        return import_module(name)
    except ModuleNotFoundError:
        stand_in = ModuleType(name)
        monkeypatch.setitem(sys.modules, name, stand_in)
        return stand_in


def _your_register(monkeypatch: pytest.MonkeyPatch, register: object) -> None:
    """Stand in for ``register`` in the project's commands.py."""
    monkeypatch.setattr(_your_commands(monkeypatch), "register", register, raising=False)


def _help(name: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main([name, "--help"])
    assert done.value.code == 0, f"`{name} --help` failed"
    return " ".join(capsys.readouterr().out.split())


def test_every_command_explains_itself_in_help(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    yours = getattr(_your_commands(monkeypatch), "register", None)
    _your_register(monkeypatch, lambda commands: None)
    kit = _subcommands(build_parser())
    summaries = {action.dest: action.help for action in kit._choices_actions}
    assert kit.choices, "the CLI has no subcommands"

    def register(commands: argparse._SubParsersAction) -> None:
        if yours is not None:
            yours(commands)  # your own commands: they may do without a summary or description
        commands.add_parser("undescribed").set_defaults(handler=lambda args, settings: EXIT_OK)

    _your_register(monkeypatch, register)
    everything = _subcommands(build_parser()).choices
    assert set(kit.choices) < set(everything)
    for name, parser in everything.items():
        out = _help(name, capsys)
        assert f"usage: {parser.prog}" in out
        if name not in kit.choices:
            continue
        assert summaries.get(name), f"`{name}` has no summary in the command list"
        if parser.add_help:  # the gate prints its own parser's help
            assert parser.description, f"`{name} --help` has no description"
            assert parser.description in out


def _holdout(frame: pd.DataFrame, contract: Contract) -> tuple[pd.DataFrame, pd.DataFrame]:
    settings = Settings.load()
    return holdout_split(frame, contract, test_size=settings.test_size, seed=settings.seed)


def test_baseline_reports_holdout_metrics(
    contract: Contract, sample_rows: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["baseline"]) == EXIT_OK
    out = capsys.readouterr().out
    train, holdout = _holdout(sample_rows, contract)
    baseline = build_baseline(contract).fit(*split_features_target(train, contract))
    rule = baseline.describe() if hasattr(baseline, "describe") else type(baseline).__name__
    assert f"baseline ({rule}) on {len(holdout)} holdout rows" in out
    assert model_spec(contract).primary_metric in out
    assert all(metric in out for metric in METRICS[contract.task])


def _broken_copy(
    tmp_path: Path, frame: pd.DataFrame, column: Column, row: int, value: object
) -> Path:
    """The rows with ``value`` in ``column`` of row ``row`` (from 1), as a CSV file."""
    broken = frame.astype({column.name: object})
    broken.loc[row - 1, column.name] = value
    path = tmp_path / "broken.csv"
    broken.to_csv(path, index=False)
    return path


def _limit_rule(column: Column, bound: str) -> str:
    """How the validation report words a broken bound."""
    words = "at most" if bound == "max" else "at least"
    return f"{column.name}: values must be {words} {getattr(column, bound):g}"


def test_validate_passes_the_sample_rows(
    data_path: Path, sample_rows: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate"]) == EXIT_OK, "the data setting"
    assert f"{data_path}: valid ({len(sample_rows)} rows" in capsys.readouterr().out


def test_validate_reports_broken_data_with_exit_code_1(
    tmp_path: Path,
    sample_rows: pd.DataFrame,
    bounded: tuple[Column, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    column, bound = bounded
    value = outside(column, bound)
    sample_rows[UNKNOWN] = "red"
    path = _broken_copy(tmp_path, sample_rows, column, 5, value)
    assert main(["validate", str(path)]) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "INVALID" in out
    assert f"(table): extra columns [{UNKNOWN!r}]" in out
    assert _limit_rule(column, bound) in out
    assert f"row 5 = {value!r}" in out


def test_validate_json_for_machines(
    tmp_path: Path,
    contract: Contract,
    sample_rows: pd.DataFrame,
    capsys: pytest.CaptureFixture[str],
) -> None:
    column = contract.features[0]
    path = _broken_copy(tmp_path, sample_rows, column, 1, invalid_value(column))
    assert main(["validate", str(path), "--format", "json"]) == EXIT_FAILED
    report = json.loads(capsys.readouterr().out)
    assert report["success"] is False
    assert [failure["column"] for failure in report["failures"]] == [column.name]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "the file is empty"),
        (b"x\n\xff\xfe\n", "not UTF-8 text"),
    ],
)
def test_validate_input_problems_are_one_line_errors_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "input.csv"
    if content is not None:
        path.write_bytes(content)
    assert main(["validate", str(path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: {message}")
    assert err.count("\n") == 1


def test_baseline_refuses_invalid_data_with_the_report(
    tmp_path: Path,
    sample_rows: pd.DataFrame,
    bounded: tuple[Column, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    column, bound = bounded
    path = _broken_copy(tmp_path, sample_rows, column, 3, outside(column, bound))
    assert main(["baseline", "--data", str(path)]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert captured.out == ""
    assert _limit_rule(column, bound) in captured.err


def test_missing_data_file_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline", "--data", "no/such.csv"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == "error: no/such.csv: no such file\n"


def test_bad_environment_setting_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}SEED", "abc")
    assert main(["baseline"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"error: invalid setting seed ({ENV_PREFIX}SEED or ")
    assert err.count("\n") == 1


def test_python_dash_m_runs_the_same_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", [PACKAGE, "--version"])
    with pytest.raises(SystemExit) as done:
        runpy.run_module(PACKAGE, run_name="__main__")
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == distribution_version() != "0+unknown"


def test_no_command_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == EXIT_USAGE


def test_your_commands_from_commands_py_run_beside_the_kits(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    given: list[Settings] = []

    def hello(args: argparse.Namespace, settings: Settings) -> int:
        given.append(settings)
        sys.stdout.write(f"hello {args.name}\n")
        return 3

    def refuse(args: argparse.Namespace, settings: Settings) -> int:
        raise ProjectError("nothing to refuse here")

    def register(commands: argparse._SubParsersAction) -> None:
        greet = commands.add_parser("hello", help="Say hello.")
        greet.add_argument("name")
        greet.set_defaults(handler=hello)
        commands.add_parser("refuse", help="Fail.").set_defaults(handler=refuse)

    _your_register(monkeypatch, register)
    monkeypatch.setenv(f"{ENV_PREFIX}SEED", "7")
    assert main(["hello", "Ana"]) == 3, "the handler's return value is the exit code"
    assert capsys.readouterr().out == "hello Ana\n"
    assert given[0].seed == 7, "the handler gets the same settings as the kit's commands"
    commands = _subcommands(build_parser()).choices
    assert {"train", "serve", "hello", "refuse"} <= set(commands)
    assert main(["refuse"]) == EXIT_USAGE
    assert capsys.readouterr().err == "error: nothing to refuse here\n"


def test_a_command_named_like_one_of_the_kits_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _your_register(monkeypatch, lambda commands: commands.add_parser("train"))
    assert main(["validate"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"error: src/{PACKAGE}/commands.py adds a command the kit already has")
    assert "train" in err
    assert err.count("\n") == 1


def test_commands_py_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    _your_register(monkeypatch, lambda commands: None)
    kit = set(_subcommands(build_parser()).choices)
    monkeypatch.delattr(_your_commands(monkeypatch), "register")
    assert set(_subcommands(build_parser()).choices) == kit
    monkeypatch.setitem(sys.modules, f"{PACKAGE}.commands", None)  # no commands.py at all
    assert set(_subcommands(build_parser()).choices) == kit


@pytest.fixture
def models_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point the commands at an empty registry, parameters file and log in a temporary folder."""
    models = tmp_path / "models"
    monkeypatch.setenv(f"{ENV_PREFIX}MODELS_DIR", str(models))
    monkeypatch.setenv(f"{ENV_PREFIX}PARAMS", str(tmp_path / "params.json"))
    monkeypatch.setenv(f"{ENV_PREFIX}PREDICTIONS_LOG", str(tmp_path / "predictions.jsonl"))
    return models


def _the_baseline(contract: Contract, params: object = None) -> Pipeline:
    """A model exactly as good as the baseline: it does not beat it."""
    return Pipeline([("features", "passthrough"), ("estimator", build_baseline(contract))])


MODELS: dict[str, Callable[..., Pipeline] | None] = {
    "yours": None,  # model.py's, as it is
    "reference": lambda contract, params=None: reference_model(contract),  # beats the baseline
    "the baseline": _the_baseline,
}


@pytest.fixture
def reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """The train command fits the kit's reference pipeline, which beats the baseline."""
    monkeypatch.setattr(train_module, "build_model", MODELS["reference"])


@pytest.mark.parametrize("model", list(MODELS))
def test_train_registers_and_reports_model_against_baseline(
    models_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    model: str,
) -> None:
    if MODELS[model] is not None:
        monkeypatch.setattr(train_module, "build_model", MODELS[model])
    assert main(["train"]) == EXIT_OK
    out = capsys.readouterr().out
    metadata = Registry(models_env).metadata("v1")
    if model != "yours":
        assert metadata.beats_baseline is (model == "reference")
    beats = metadata.beats_baseline
    assert f"registered model v1 in {models_env}/" in out
    verdict = "beats" if beats else "does NOT beat"
    assert f"the model {verdict} the baseline on {metadata.metrics.primary}" in out
    assert ("v1 is now current" if beats else "the current model is unchanged") in out
    assert main(["models", "verify", "v1"]) == (EXIT_OK if beats else EXIT_FAILED)
    assert f"and {verdict} the baseline" in capsys.readouterr().out
    assert main(["train", "--no-promote"]) == EXIT_OK
    assert "the current model is unchanged" in capsys.readouterr().out
    assert Registry(models_env).current() == ("v1" if beats else None)


def test_models_list_verify_and_promote(
    models_env: Path, reference: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models"]) == EXIT_OK
    assert "no registered models" in capsys.readouterr().out
    main(["train"])
    main(["train", "--no-promote"])
    capsys.readouterr()
    assert main(["models", "list"]) == EXIT_OK
    listing = capsys.readouterr().out.splitlines()
    assert [line[:4] for line in listing] == ["* v1", "  v2"]
    assert main(["models", "promote", "v2"]) == EXIT_OK
    assert main(["models", "verify", "--format", "json"]) == EXIT_OK
    verified = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert (verified["version"], verified["verified"], verified["beats_baseline"]) == (
        "v2",
        True,
        True,
    )
    record = {name: verified[name] for name in Metadata.model_fields}
    assert Metadata.model_validate(record) == Registry(models_env).metadata("v2"), "the record"
    assert main(["models", "promote"]) == EXIT_USAGE


def test_a_broken_metadata_record_is_listed_with_its_reason(
    models_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["train"])
    main(["train"])
    path = models_env / "v1" / "metadata.json"
    saved = json.loads(path.read_text(encoding="utf-8"))
    saved["metrics"]["model"] = "good"
    path.write_text(json.dumps(saved), encoding="utf-8")
    capsys.readouterr()
    assert main(["models"]) == EXIT_FAILED
    out = capsys.readouterr().out.splitlines()
    assert out[0][2:].startswith("v2 "), out  # the good model, current or not
    assert out[1].startswith(f"! v1    cannot be used: model v1: {path}: metrics.model: Input")
    assert len(out) == 2
    assert main(["models", "verify", "v1", "--format", "json"]) == EXIT_FAILED
    verified = json.loads(capsys.readouterr().out)
    assert verified["verified"] is False
    assert "metrics.model" in verified["problem"]


def test_verify_refuses_a_tampered_model(
    models_env: Path, tmp_path: Path, data_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["train"])
    pickle_path = models_env / "v1" / "model.pkl"
    pickle_path.write_bytes(pickle_path.read_bytes()[:-1])
    capsys.readouterr()
    assert main(["models", "verify", "v1"]) == EXIT_FAILED
    assert "does not match its recorded SHA-256" in capsys.readouterr().out
    output = tmp_path / "out.csv"
    assert main(["predict", str(data_path), str(output), "--model", "v1"]) == EXIT_USAGE
    assert not output.exists()


def test_predict_writes_predictions(
    models_env: Path, tmp_path: Path, contract: Contract, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["train"])
    data, output = Settings.load().data, tmp_path / "predictions.csv"
    rows = len(pd.read_csv(data))
    assert main(["predict", str(data), str(output), "--model", "v1"]) == EXIT_OK
    assert f"wrote {rows} predictions to {output}" in capsys.readouterr().out
    ids = [column.name for column in contract.columns if column.role == "id"]
    assert output.read_text(encoding="utf-8").startswith(",".join([*ids, "prediction"]))
    written = pd.read_csv(output, dtype={"prediction": str})
    assert len(written) == rows
    if contract.task == CLASSIFICATION:
        assert set(written["prediction"]) <= set(contract.target.allowed or ("False", "True"))
    else:
        assert np.isfinite(written["prediction"].astype(float)).all()
    assert main(["predict", str(data), str(output)]) == EXIT_USAGE
    assert f"{output}: exists; pass --overwrite to replace it" in capsys.readouterr().err
    rejects = tmp_path / "rejects.csv"
    assert (
        main(["predict", str(data), str(output), "--overwrite", "--rejects", str(rejects)])
        == EXIT_OK
    )
    said = capsys.readouterr().out
    assert f"wrote {rows} predictions to {output}\nwrote 0 rows that break" in said
    assert pd.read_csv(rejects).empty


def test_serve_runs_uvicorn_on_localhost_by_default(
    monkeypatch: pytest.MonkeyPatch, models_env: Path
) -> None:
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    assert main(["serve"]) == EXIT_OK
    assert (calls[0]["host"], calls[0]["port"]) == ("127.0.0.1", 8000)
    assert main(["serve", "--host", "0.0.0.0", "--port", "9000"]) == EXIT_OK
    assert (calls[1]["host"], calls[1]["port"]) == ("0.0.0.0", 9000)


@pytest.mark.slow  # a search and pictures
def test_tune_then_train_then_the_model_card(
    models_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["tune", "--trials", "3", "--timeout", "30"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "3 trials in " in out
    assert f"wrote {tmp_path / 'params.json'}" in out
    main(["train", "--no-promote"])
    main(["models", "promote", "v1"])  # the card describes the current model
    capsys.readouterr()
    beats = Registry(models_env).metadata("v1").beats_baseline
    assert main(["models", "verify", "--format", "json"]) == (EXIT_OK if beats else EXIT_FAILED)
    verified = json.loads(capsys.readouterr().out)
    assert verified["verified"] is True
    assert verified["tuning"]["trials"] == 3

    monkeypatch.chdir(tmp_path)  # the card is written to the working directory
    assert main(["model-card"]) == EXIT_OK
    assert capsys.readouterr().out == "wrote MODEL_CARD.md for model v1\n"
    assert "3 trials of TPESampler" in (tmp_path / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert main(["model-card", "--check"]) == EXIT_OK
    assert capsys.readouterr().out == "MODEL_CARD.md is up to date for model v1\n"
    monkeypatch.chdir(PROJECT_ROOT)
    main(["train", "--no-promote"])
    main(["models", "promote", "v2"])
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["model-card", "--check", "--format", "json"]) == EXIT_FAILED
    check = json.loads(capsys.readouterr().out)
    assert (check["version"], check["up_to_date"]) == ("v2", False)


def test_tune_refuses_a_budget_of_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["tune", "--trials", "0"])
    assert done.value.code == EXIT_USAGE
    assert "--trials: must be positive, not 0" in capsys.readouterr().err


@pytest.fixture
def drifted(
    sample_rows: pd.DataFrame, contract: Contract, bounded: tuple[Column, str]
) -> tuple[str, list[dict[str, object]]]:
    """A feature and 150 requests in which every value of it is at its bound."""
    column, bound = bounded
    rows = request_rows(sample_rows.head(150), contract)
    return column.name, [{**row, column.name: getattr(column, bound)} for row in rows]


@pytest.mark.slow  # pictures
def test_monitor_exit_codes(
    models_env: Path,
    trained_models: Path,
    drifted: tuple[str, list[dict[str, object]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}MODELS_DIR", str(trained_models))
    log = models_env.parent / "predictions.jsonl"
    assert main(["monitor"]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        f"error: {log}: no prediction log: serve the model and send it requests first\n"
    )
    name, shifted = drifted
    writer = PredictionLog(log, max_bytes=10**6)
    writer.open()
    writer.write("far-away", "v1", shifted, [Prediction(0.0)] * len(shifted))
    writer.close()
    assert main(["monitor", "--format", "json"]) == EXIT_FAILED
    report = json.loads(capsys.readouterr().out)
    assert report["rows"] == 150
    assert name in [d["feature"] for d in report["drift"] if d["status"] == "drift"]
    monkeypatch.setenv(f"{ENV_PREFIX}PREDICTIONS_LOG", "")
    assert main(["monitor"]) == EXIT_USAGE
    assert "PREDICTIONS_LOG is empty" in capsys.readouterr().err


@pytest.mark.slow  # a new process
def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    """`validate | head`: a closed pipe is no traceback."""
    chatty = (
        f"from {PACKAGE}._kit import cli\n"
        "def chatty(args, settings):\n"
        "    for number in range(200_000):\n"
        "        print('line', number)\n"
        "    return 0\n"
        "cli.run_validate = chatty\n"
        "raise SystemExit(cli.main(['validate']))\n"
    )
    command = [sys.executable, "-c", chatty]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout.readline() == b"line 0\n"
        process.stdout.close()
        errors = process.stderr.read().decode()
    assert process.returncode == EXIT_FAILED
    assert "Traceback" not in errors
    assert "Exception ignored" not in errors
