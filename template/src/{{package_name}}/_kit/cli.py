"""Command line of the project: one subcommand per step from raw data to a served model.

Each subcommand is a short function; add yours the same way. Handlers import what they need
when they run, so ``--help`` is instant and each command loads only its own dependencies.
Exit codes: 0 success, 1 the check failed (for example invalid data), 2 usage or input error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .errors import ProjectError
from .identity import PACKAGE, distribution, distribution_version
from .settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
Handler = Callable[[argparse.Namespace, Settings], int]


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = Settings.load()
        args = build_parser(settings).parse_args(argv)
        _configure_logging(verbose=args.verbose)
        code = args.handler(args, settings)
        sys.stdout.flush()  # here, so a closed pipe is caught below rather than at exit
        return code
    except ProjectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # The reader stopped early (`validate | head`): end quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


def _configure_logging(*, verbose: bool) -> None:
    """This package logs progress (details with --verbose); libraries only warnings and errors.

    A filter rather than logger levels, because some libraries set their own loggers' levels.
    """
    handler = logging.StreamHandler()
    handler.addFilter(
        lambda record: record.levelno >= logging.WARNING or record.name.startswith(PACKAGE)
    )
    logging.basicConfig(
        handlers=[handler], format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    logging.getLogger(PACKAGE).setLevel(logging.DEBUG if verbose else logging.INFO)


def build_parser(settings: Settings | None = None) -> argparse.ArgumentParser:
    """The kit's subcommands, then yours (``commands.py``); defaults come from ``settings``."""
    from .user import register_commands

    settings = settings or Settings.load()
    parser = argparse.ArgumentParser(prog=distribution(), description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=distribution_version())
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _data_commands(commands)
    _model_commands(commands, settings)
    _operations_commands(commands, settings)
    register_commands(commands)
    return parser


def _data_commands(commands: argparse._SubParsersAction) -> None:
    """From a data file to a contract, validated data and the baseline's score."""
    draft = _command(
        commands,
        "draft-contract",
        run_draft_contract,
        "Draft contract.toml from a data file, to review before use.",
    )
    draft.add_argument("path", help="a .csv or .parquet file of your data")
    draft.add_argument("--target", help="the column to predict (default: guessed)")
    draft.add_argument("--force", action="store_true", help="replace an existing contract")

    sample = _command(
        commands,
        "sample-data",
        run_sample_data,
        "Write rows made from the contract alone (for CI without your data, and tests).",
    )
    sample.add_argument("output", nargs="?", help="a .csv or .parquet file; default: settings")
    sample.add_argument("--rows", type=_positive(int), default=1000, help="default: %(default)s")
    sample.add_argument("--seed", type=int, default=0, help="default: %(default)s")

    validate = _command(
        commands, "validate", run_validate, "Check a data file against the data contract."
    )
    validate.add_argument(
        "path", nargs="?", help="a .csv or .parquet file (or folder, on Spark); default: settings"
    )
    validate.add_argument("--format", choices=["text", "json"], default="text")
    _engine(validate)

    baseline = _command(
        commands, "baseline", run_baseline, "Fit the baseline and score it on the holdout."
    )
    baseline.add_argument("--data", help="training data (.csv or .parquet); default: settings")


def _model_commands(commands: argparse._SubParsersAction, settings: Settings) -> None:
    """Tune, train, predict, serve and manage registered models."""
    tune = _command(
        commands, "tune", run_tune, "Search the model's parameters by cross-validation."
    )
    tune.add_argument(
        "--trials", type=_positive(int), default=settings.tune_trials, help="default: %(default)s"
    )
    tune.add_argument(
        "--timeout",
        type=_positive(float),
        default=settings.tune_timeout,
        help="seconds (default: %(default)s)",
    )

    train = _command(
        commands, "train", run_train, "Train, score against the baseline, and register a model."
    )
    train.add_argument(
        "--no-promote", action="store_true", help="register without making it current"
    )

    predict = _command(
        commands, "predict", run_predict, "Predict a file of rows with the registered model."
    )
    predict.add_argument("input", help="rows to predict (.csv or .parquet)")
    predict.add_argument("output", help="where to write them with predictions (.csv or .parquet)")
    predict.add_argument("--model", help="registered version (default: the current one)")
    predict.add_argument(
        "--rejects",
        metavar="PATH",
        help="score the valid rows and write the others, with their reasons, here "
        "(default: refuse the whole file if any row breaks the contract)",
    )
    predict.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    _engine(predict)

    serve = _command(commands, "serve", run_serve, "Serve the current model over HTTP.")
    serve.add_argument("--host", default=settings.host, help="address (default: %(default)s)")
    serve.add_argument("--port", type=int, default=settings.port, help="default: %(default)s")
    serve.add_argument(
        "--max-batch",
        type=_positive(int),
        default=settings.max_batch,
        help="rows per batch request (default: %(default)s)",
    )

    models = _command(commands, "models", run_models, "List, check or promote registered models.")
    models.add_argument("action", choices=["list", "verify", "promote"], nargs="?", default="list")
    models.add_argument("version", nargs="?", help="for verify (default: current) and promote")
    models.add_argument("--format", choices=["text", "json"], default="text")


def _operations_commands(commands: argparse._SubParsersAction, settings: Settings) -> None:
    """Watch the served model, describe it, and check MVP readiness."""
    monitor = _command(
        commands, "monitor", run_monitor, "Check logged predictions for contract breaks and drift."
    )
    monitor.add_argument("--last", type=_positive(int), default=10_000, help="latest N rows")
    monitor.add_argument("--since", help="only rows logged since this ISO date or time (UTC)")
    monitor.add_argument("--model", help="registered version (default: the current one)")
    monitor.add_argument("--log", help="prediction log (default: settings)")
    monitor.add_argument("--format", choices=["text", "json"], default="text")

    profile = _command(
        commands,
        "profile",
        run_profile,
        "Recompute a model's training profile, what monitor compares with, from a data file.",
    )
    profile.add_argument("path", nargs="?", help="the training data; default: settings")
    profile.add_argument("--model", help="registered version (default: the current one)")
    _engine(profile)

    card = _command(
        commands, "model-card", run_model_card, "Write MODEL_CARD.md for the current model."
    )
    card.add_argument("--check", action="store_true", help="exit 1 if it is missing or stale")
    card.add_argument("--format", choices=["text", "json"], default="text")
    # The gate parses its own arguments (gate/__main__.py), its --help included.
    gate = commands.add_parser(
        "gate", add_help=False, help="The MVP gate: what is ready, what blocks (gate --help)."
    )
    gate.set_defaults(handler=run_gate)
    gate.add_argument("-h", "--help", action="store_true", dest="gate_help", help=argparse.SUPPRESS)
    gate.add_argument("gate_args", nargs=argparse.REMAINDER, help="check | pr-body ...")


def _command(
    commands: argparse._SubParsersAction, name: str, handler: Handler, summary: str
) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=summary, description=summary)
    parser.set_defaults(handler=handler)
    return parser


def _engine(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=["pandas", "spark"],
        default="pandas",
        help="pandas in this process (default), or Spark (docs/spark.md)",
    )


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` above zero."""

    def parse(text: str) -> Any:
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value

    return parse


def run_draft_contract(args: argparse.Namespace, settings: Settings) -> int:
    from .contract import CONTRACT_PATH
    from .data import load_table
    from .draft import draft_contract, write_draft

    draft = draft_contract(load_table(args.path), source=args.path, target=args.target)
    write_draft(draft, CONTRACT_PATH, force=args.force)
    print(f"wrote a DRAFT contract for a {draft.task} model to {CONTRACT_PATH}")
    for note in draft.notes:
        print(f"  {note}")
    print("review every rule, then: validate, baseline, tune, train")
    return EXIT_OK


def run_sample_data(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from .contract import load_contract
    from .data import write_table
    from .samples import sample_frame

    output = Path(args.output or settings.data)
    frame = sample_frame(load_contract(), rows=args.rows, seed=args.seed)
    write_table(frame, output)
    print(f"wrote {len(frame)} rows made from the contract to {output}")
    return EXIT_OK


def run_validate(args: argparse.Namespace, settings: Settings) -> int:
    from .contract import load_contract
    from .data import load_table
    from .validation import validate_frame

    contract = load_contract()
    path = args.path or settings.data
    if args.engine == "spark":
        from .spark import spark_session, validate_path

        with spark_session(settings.spark_master):
            report = validate_path(path, contract)
    else:
        report = validate_frame(load_table(path, contract), contract, source=str(path))
    print(report.to_json() if args.format == "json" else report.render())
    return EXIT_OK if report.success else EXIT_FAILED


def run_baseline(args: argparse.Namespace, settings: Settings) -> int:
    from .contract import load_contract
    from .evaluate import holdout_split, score, split_features_target
    from .user import build_baseline
    from .validation import load_valid

    contract = load_contract()
    frame = load_valid(args.data or settings.data, contract)
    train, holdout = holdout_split(
        frame, contract, test_size=settings.test_size, seed=settings.seed
    )
    model = build_baseline(contract).fit(*split_features_target(train, contract))
    features, target = split_features_target(holdout, contract)
    scores = score(contract.task, target, model.predict(features))
    rule = model.describe() if hasattr(model, "describe") else type(model).__name__
    print(f"baseline ({rule}) on {len(holdout)} holdout rows:")
    for name, value in scores.items():
        print(f"  {name:<18} {value:.4f}")
    return EXIT_OK


def run_tune(args: argparse.Namespace, settings: Settings) -> int:
    from .contract import load_contract
    from .params import save_params
    from .tracking import Tracker
    from .tune import tune

    contract = load_contract()
    tracker = Tracker.open(settings, "tune")
    params = tune(settings, contract, trials=args.trials, timeout=args.timeout, tracker=tracker)
    record = params.tuning
    if record is not None:  # always: tune records its search
        print(
            f"{record.trials} trials in {record.elapsed_s} s (stopped by {record.stopped_by}; "
            f"{record.sampler}, seed {record.seed})"
        )
        print(
            f"  {record.cv_folds}-fold cross-validated {record.metric}: "
            f"{record.best_score:.4f} (defaults {record.default_score:.4f})"
        )
    for name, value in params.values.items():
        print(f"  {name} = {value!r}")
    save_params(settings.params, params)
    print(f"wrote {settings.params}: the train command fits with these parameters")
    if tracker is not None:
        tracker.check(f"{settings.params} is written")
    return EXIT_OK


def run_train(args: argparse.Namespace, settings: Settings) -> int:
    from .contract import load_contract
    from .tracking import Tracker
    from .train import train

    contract = load_contract()
    tracker = Tracker.open(settings, "train")
    metadata, current = train(settings, contract, promote=not args.no_promote, tracker=tracker)
    metrics = metadata.metrics
    print(f"registered model {metadata.version} in {settings.models_dir}/")
    print(f"  {'':<18} {'model':>8} {'baseline':>9}")
    for name, value in metrics.model.items():
        print(f"  {name:<18} {value:>8.4f} {metrics.baseline[name]:>9.4f}")
    verdict = "beats" if metadata.beats_baseline else "does NOT beat"
    print(f"the model {verdict} the baseline on {metrics.primary}", end="")
    print(f"; {metadata.version} is now current" if current else "; the current model is unchanged")
    if metrics.outside_target_range is not None:
        print(
            f"{metrics.outside_target_range} of {metrics.holdout_rows} holdout predictions fell "
            "outside the target's contract range (clipped when served)"
        )
    if tracker is not None:
        tracker.check(f"model {metadata.version} is registered")
    return EXIT_OK


def run_predict(args: argparse.Namespace, settings: Settings) -> int:
    from .batch import predict_file
    from .contract import load_contract
    from .predictor import LocalPredictor

    predictor = LocalPredictor.from_registry(settings.models_dir, args.model, load_contract())
    outputs = {"rejects": args.rejects, "overwrite": args.overwrite}
    if args.engine == "spark":
        from .spark import predict_path, spark_session

        with spark_session(settings.spark_master):
            result = predict_path(args.input, args.output, predictor, **outputs)
    else:
        result = predict_file(args.input, args.output, predictor, **outputs)
    print(f"wrote {result.predicted} predictions to {args.output}")
    if args.rejects is not None:
        print(f"wrote {result.rejected} rows that break the contract to {args.rejects}")
    return EXIT_OK


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from .service import REQUEST_LOG, create_app

    requests = logging.StreamHandler(sys.stdout)  # one JSON object per line, nothing around it
    REQUEST_LOG.addHandler(requests)
    REQUEST_LOG.propagate = False
    app = create_app(settings, max_batch=args.max_batch)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return EXIT_OK


def run_models(args: argparse.Namespace, settings: Settings) -> int:
    from .registry import Registry

    registry = Registry(settings.models_dir)
    if args.action == "promote":
        if not args.version:
            print("error: models promote needs a VERSION", file=sys.stderr)
            return EXIT_USAGE
        registry.promote(args.version)
        print(f"{args.version} is now the current model")
        return EXIT_OK
    if args.action == "verify":
        return _verify(registry, args.version, json_output=args.format == "json")
    current, problems = registry.current(), registry.problems()
    if not registry.versions() and not problems:
        print(f"no registered models in {settings.models_dir}/: run the train command")
    for name in registry.versions():
        metrics = registry.metadata(name).metrics
        marker = "*" if name == current else " "
        print(
            f"{marker} {name:<5} {metrics.primary} {metrics.model_score:.4f} "
            f"(baseline {metrics.baseline_score:.4f})"
        )
    for name, problem in problems.items():
        print(f"! {name:<5} cannot be used: {problem}")
    return EXIT_FAILED if problems else EXIT_OK


def run_monitor(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from .contract import load_contract
    from .monitor import MonitorError, Window, monitor
    from .registry import Registry
    from .settings import ENV_PREFIX

    log_path = args.log or settings.predictions_log
    if log_path is None:
        raise MonitorError(f"the prediction log is off ({ENV_PREFIX}PREDICTIONS_LOG is empty)")
    window = Window(version=args.model, last=args.last, since=args.since)
    registry, contract = Registry(settings.models_dir), load_contract()
    report = monitor(registry, contract, Path(log_path), window, settings.drift_report)
    print(report.to_json() if args.format == "json" else report.render())
    return EXIT_OK if report.success else EXIT_FAILED


def run_profile(args: argparse.Namespace, settings: Settings) -> int:
    from .contract import load_contract
    from .profile import PROFILE_FILE, build_profile
    from .registry import Registry, write_atomically
    from .validation import load_valid

    contract, path = load_contract(), args.path or settings.data
    registry = Registry(settings.models_dir)
    version = registry.verify(args.model, contract_fingerprint=contract.fingerprint()).version
    if args.engine == "spark":
        from .spark import profile_path, spark_session

        with spark_session(settings.spark_master):
            profile = profile_path(path, contract)
    else:
        profile = build_profile(load_valid(path, contract), contract)
    write_atomically(registry.path(version, PROFILE_FILE), profile.to_json())
    print(f"wrote the profile of {profile.rows} rows of {path} for model {version}")
    return EXIT_OK


def run_model_card(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import asdict

    from .contract import load_contract
    from .model_card import MODEL_CARD, build_card, check_card, write_card
    from .registry import Registry

    card = build_card(Registry(settings.models_dir), load_contract())
    if not args.check:
        write_card(card)
        print(f"wrote {MODEL_CARD} for model {card.version}")
        return EXIT_OK
    result = check_card(card)
    if args.format == "json":
        print(json.dumps(asdict(result), indent=2))
    else:
        print(result.problem or f"{result.path} is up to date for model {result.version}")
    return EXIT_OK if result.up_to_date else EXIT_FAILED


def run_gate(args: argparse.Namespace, settings: Settings) -> int:
    from .gate.__main__ import main as gate_main

    return gate_main(["--help"] if args.gate_help else args.gate_args or ["check"])


def _verify(registry: Any, version: str | None, *, json_output: bool) -> int:
    """Can the model be loaded, and does it beat the baseline? Exit 1 if not.

    As JSON: the version, the verdict and the problem, then the model's metadata record.
    """
    from .contract import load_contract
    from .registry import RegistryError

    try:
        metadata = registry.verify(version, contract_fingerprint=load_contract().fingerprint())
    except RegistryError as exc:
        result = {"version": version or registry.current(), "verified": False, "problem": str(exc)}
    else:
        result = {
            "version": metadata.version,
            "verified": True,
            "problem": None,
            "beats_baseline": metadata.beats_baseline,
            **metadata.model_dump(mode="json"),
        }
    ok = result["verified"] and result["beats_baseline"]
    if json_output:
        print(json.dumps(result, indent=2))
    elif not result["verified"]:
        print(result["problem"])
    else:
        verdict = "beats" if ok else "does NOT beat"
        print(f"model {result['version']}: loads safely (checksum, libraries, contract)", end="")
        print(f" and {verdict} the baseline")
    return EXIT_OK if ok else EXIT_FAILED
