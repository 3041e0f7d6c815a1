from __future__ import annotations

import argparse
import json
import runpy
import sys
from importlib import import_module
from pathlib import Path

import pytest

from ..cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, build_parser, main
from ..contract import Contract
from ..errors import ProjectError
from ..identity import PACKAGE, distribution_version
from ..prediction_log import PredictionLog
from ..predictor import Prediction
from ..records import Metadata
from ..registry import Registry
from ..settings import ENV_PREFIX, Settings
from ..tasks import CLASSIFICATION
from ..user import model_spec

PROJECT_ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(autouse=True)
def _run_from_project_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT)


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return parser._subparsers._group_actions[0]


def _your_register(monkeypatch: pytest.MonkeyPatch, register: object) -> None:
    """Stand in for ``register`` in the project's commands.py."""
    monkeypatch.setattr(import_module(f"{PACKAGE}.commands"), "register", register)


def test_every_command_explains_itself_in_help(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _your_register(monkeypatch, lambda commands: None)  # the kit's commands only
    subcommands = _subcommands(build_parser())
    summaries = {action.dest: action.help for action in subcommands._choices_actions}
    assert subcommands.choices, "the CLI has no subcommands"
    for name, parser in subcommands.choices.items():
        assert summaries.get(name), f"`{name}` has no summary in the command list"
        with pytest.raises(SystemExit) as done:
            main([name, "--help"])
        assert done.value.code == 0
        out = " ".join(capsys.readouterr().out.split())
        assert f"usage: {parser.prog}" in out
        # The kit's commands describe themselves; the gate prints its own parser's help.
        if parser.get_default("handler").__module__ == main.__module__ and parser.add_help:
            assert parser.description, f"`{name} --help` has no description"
            assert parser.description in out


def test_baseline_reports_holdout_metrics(
    contract: Contract, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["baseline"]) == EXIT_OK
    out = capsys.readouterr().out
    rule = "most frequent label" if contract.task == CLASSIFICATION else "mean target"
    assert f"baseline ({rule} per region) on 200 holdout rows" in out
    assert model_spec(contract).primary_metric in out


def _broken_copy(tmp_path: Path, column: str, row: int, value: str) -> Path:
    lines = (PROJECT_ROOT / "data/example/deliveries.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells)
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_validate_passes_the_example_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == EXIT_OK
    assert "data/example/deliveries.csv: valid (1000 rows" in capsys.readouterr().out


def test_validate_reports_broken_data_with_exit_code_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _broken_copy(tmp_path, "hour", 5, "25")
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([f"{lines[0]},colour", *(f"{x},red" for x in lines[1:])]) + "\n")
    assert main(["validate", str(path)]) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "INVALID" in out
    assert "(table): extra columns ['colour']" in out
    assert "hour: values must be at most 23" in out
    assert "row 5 = 25" in out


def test_validate_json_for_machines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _broken_copy(tmp_path, "region", 1, "mars")
    assert main(["validate", str(path), "--format", "json"]) == EXIT_FAILED
    report = json.loads(capsys.readouterr().out)
    assert report["success"] is False
    assert [failure["column"] for failure in report["failures"]] == ["region"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "the file is empty"),
        (b"region\n\xff\xfe\n", "not UTF-8 text"),
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
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _broken_copy(tmp_path, "distance_km", 3, "-4.0")
    assert main(["baseline", "--data", str(path)]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "distance_km: values must be at least 0" in captured.err


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
        raise ProjectError("no such region: mars")

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
    assert capsys.readouterr().err == "error: no such region: mars\n"


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
    monkeypatch.delattr(import_module(f"{PACKAGE}.commands"), "register")
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


def test_train_registers_and_reports_model_against_baseline(
    models_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train"]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"registered model v1 in {models_env}/" in out
    assert "the model beats the baseline" in out
    assert "v1 is now current" in out
    assert main(["train", "--no-promote"]) == EXIT_OK
    assert "the current model is unchanged" in capsys.readouterr().out


def test_models_list_verify_and_promote(
    models_env: Path, capsys: pytest.CaptureFixture[str]
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


def test_a_broken_metadata_record_is_a_one_line_error(
    models_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["train"])
    path = models_env / "v1" / "metadata.json"
    saved = json.loads(path.read_text(encoding="utf-8"))
    saved["metrics"]["model"] = "good"
    path.write_text(json.dumps(saved), encoding="utf-8")
    capsys.readouterr()
    assert main(["models"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"error: model v1: {path}: metrics.model: Input should be an object")
    assert err.count("\n") == 1
    assert main(["models", "verify", "--format", "json"]) == EXIT_FAILED
    verified = json.loads(capsys.readouterr().out)
    assert verified["verified"] is False
    assert "metrics.model" in verified["problem"]


def test_verify_refuses_a_tampered_model(
    models_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["train"])
    pickle_path = models_env / "v1" / "model.pkl"
    pickle_path.write_bytes(pickle_path.read_bytes()[:-1])
    capsys.readouterr()
    assert main(["models", "verify"]) == EXIT_FAILED
    assert "does not match its recorded SHA-256" in capsys.readouterr().out
    assert main(["predict", "data/example/deliveries.csv", "out.csv"]) == EXIT_USAGE


def test_predict_writes_predictions(
    models_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["train"])
    output = tmp_path / "predictions.csv"
    assert main(["predict", "data/example/deliveries.csv", str(output)]) == EXIT_OK
    assert f"wrote 1000 predictions to {output}" in capsys.readouterr().out
    assert output.read_text(encoding="utf-8").startswith("order_id,prediction")


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
    main(["train"])
    capsys.readouterr()
    assert main(["models", "verify", "--format", "json"]) == EXIT_OK
    verified = json.loads(capsys.readouterr().out)
    assert verified["tuning"]["trials"] == 3

    monkeypatch.chdir(tmp_path)  # the card is written to the working directory
    assert main(["model-card"]) == EXIT_OK
    assert capsys.readouterr().out == "wrote MODEL_CARD.md for model v1\n"
    assert "3 trials of TPESampler" in (tmp_path / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert main(["model-card", "--check"]) == EXIT_OK
    assert capsys.readouterr().out == "MODEL_CARD.md is up to date for model v1\n"
    monkeypatch.chdir(PROJECT_ROOT)
    main(["train"])
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


def test_monitor_exit_codes(
    models_env: Path,
    trained_models: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(f"{ENV_PREFIX}MODELS_DIR", str(trained_models))
    log = models_env.parent / "predictions.jsonl"
    assert main(["monitor"]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        f"error: {log}: no prediction log: serve the model and send it requests first\n"
    )
    rows = [
        {"region": "north", "distance_km": 60.0 + n % 30, "items": 2, "hour": n % 24}
        for n in range(150)
    ]
    writer = PredictionLog(log, max_bytes=10**6)
    writer.open()
    writer.write("far-away", "v1", rows, [Prediction(0.0)] * len(rows))
    writer.close()
    assert main(["monitor", "--format", "json"]) == EXIT_FAILED
    report = json.loads(capsys.readouterr().out)
    assert report["rows"] == 150
    assert "distance_km" in [d["feature"] for d in report["drift"] if d["status"] == "drift"]
    monkeypatch.setenv(f"{ENV_PREFIX}PREDICTIONS_LOG", "")
    assert main(["monitor"]) == EXIT_USAGE
    assert "PREDICTIONS_LOG is empty" in capsys.readouterr().err
