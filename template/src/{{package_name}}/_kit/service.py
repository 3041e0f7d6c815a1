"""The prediction service: the registered model behind FastAPI (the ``serve`` command).

The model is loaded once at start-up. Without a usable model the service still starts:
liveness answers, readiness (and every prediction) answers 503 saying why, so an orchestrator
waits rather than restarting it in a loop. Request bodies are the contract's pydantic models,
so the OpenAPI schema (``/docs``) documents the real fields and a bad payload gets a 422 naming
each field. Every request is logged as one JSON line, and every prediction, with its inputs, to
the prediction log that ``monitor`` reads (``prediction_log.py``). Great Expectations is never
imported.

No body gets a 5xx: one that is not JSON, or not UTF-8, gets 400; one over ``MAX_BODY_BYTES``
(``create_app(max_body_bytes=...)``) gets 413 before it is parsed; one that breaks the contract,
non-finite numbers (``NaN``, ``Infinity``, ``1e400``) included, gets 422, which echoes an input
only when it is a short plain value. The OpenAPI schema lists each of these answers, and 503.
Answers never show server paths: ``/model`` gives the training data's file name, not its path.
"""

# No `from __future__ import annotations`: FastAPI reads the request and response types from
# the annotations, and here they are classes built from the contract at start-up.
import asyncio
import itertools
import logging
import math
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pydantic_core import to_json
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .contract import load_contract
from .errors import ProjectError
from .identity import distribution_version, project_title
from .prediction_log import PredictionLog
from .predictor import DEFAULT_BATCH, LocalPredictor, Prediction
from .records import Metadata
from .schema import batch_model, response_models, row_model
from .settings import Settings

REQUEST_LOG = logging.getLogger(f"{__package__}.requests")
FLUSH_EVERY = 1.0  # seconds between writes of the prediction log to disk
MAX_BODY_BYTES = 10_000_000  # 10 kB for each row of a 1000-row batch; larger bodies get 413
ECHO_CHARS = 200  # the longest text a 422 echoes back; longer is cut
log = logging.getLogger(__name__)


class ModelSlot:
    """The model the service answers with, filled once at start-up (or the reason it is not)."""

    def __init__(self) -> None:
        self.predictor: LocalPredictor | None = None
        self.problem = "the service is starting"

    def get(self) -> LocalPredictor:
        if self.predictor is None:
            raise HTTPException(status_code=503, detail=f"no model loaded: {self.problem}")
        return self.predictor


class Problem(BaseModel):
    """A request the service cannot answer, and why."""

    detail: str


class FieldProblem(BaseModel):
    """One thing wrong with a request body: where (``loc``), what, and the input if short."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None
    ctx: dict[str, Any] | None = None


class InvalidRequest(BaseModel):
    """A body that breaks the data contract: one entry per problem."""

    detail: list[FieldProblem]


def _answers(*statuses: int, max_body_bytes: int = MAX_BODY_BYTES) -> dict[int | str, Any]:
    """The OpenAPI ``responses`` of a route: its error answers besides 200."""
    documented: dict[int | str, Any] = {
        400: {"model": Problem, "description": "The body cannot be read as JSON"},
        413: {"model": Problem, "description": f"The body is over {max_body_bytes} bytes"},
        422: {
            "model": InvalidRequest,
            "description": "The body breaks the data contract; each error names its field",
        },
        503: {"model": Problem, "description": "No model is loaded; the detail says why"},
    }
    return {status: documented[status] for status in statuses}


def create_app(
    settings: Settings | None = None,
    *,
    max_batch: int = DEFAULT_BATCH,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The application; the model loads when it starts (uvicorn, or a TestClient block)."""
    settings = settings or Settings.load()
    contract = load_contract()
    Row, Batch = row_model(contract), batch_model(contract, max_rows=max_batch)  # noqa: N806
    One, Many = response_models(contract)  # noqa: N806
    slot = ModelSlot()
    journal = _prediction_log(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            slot.predictor = LocalPredictor.from_registry(settings.models_dir, contract=contract)
            log.info("serving model %s", slot.predictor.model_version)
        except ProjectError as exc:
            slot.problem = without_paths(str(exc), settings.models_dir)
            log.warning("not ready: %s", exc)
        async with _writing(journal):
            yield

    app = FastAPI(
        title=f"{project_title()} predictions",
        version=distribution_version(),
        description=contract.description,
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(RequestLog, slot=slot)  # the outer one: it logs 413s too
    app.add_exception_handler(RequestValidationError, _invalid_request)
    posted = _answers(400, 413, 422, 503, max_body_bytes=max_body_bytes)

    @app.get("/health/live", summary="The process is up")
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    @app.get(
        "/health/ready",
        summary="A model is loaded and predictions can be served",
        responses=_answers(503),
    )
    async def ready() -> dict[str, str]:
        return {"status": "ready", "model_version": slot.get().model_version}

    @app.get(
        "/model",
        summary="The serving model's registry metadata (file names, not server paths)",
        responses=_answers(503),
    )
    async def model() -> Metadata:
        return _public(slot.get().metadata)

    @app.post("/predict", response_model=One, summary="Predict one row", responses=posted)
    async def predict(row: Row, request: Request) -> Response:
        predictor = slot.get()
        [prediction] = predictor.predict_valid([row])
        if journal is not None:
            journal.write(request.state.request_id, predictor.model_version, [row], [prediction])
        return _json({**_answer(prediction), "model_version": predictor.model_version})

    @app.post(
        "/predict/batch",
        response_model=Many,
        summary=f"Predict up to {max_batch} rows",
        responses=posted,
    )
    async def predict_batch(batch: Batch, request: Request) -> Response:
        predictor = slot.get()
        predictions = predictor.predict_valid(batch.rows)
        if journal is not None:
            journal.write(
                request.state.request_id, predictor.model_version, batch.rows, predictions
            )
        answers = [_answer(prediction) for prediction in predictions]
        return _json({"predictions": answers, "model_version": predictor.model_version})

    return app


def _prediction_log(settings: Settings) -> PredictionLog | None:
    """The prediction log the settings ask for (none when its path is empty)."""
    if settings.predictions_log is None:
        return None
    max_bytes = int(settings.predictions_log_max_mb * 1_000_000)
    return PredictionLog(settings.predictions_log, max_bytes=max_bytes)


@asynccontextmanager
async def _writing(journal: PredictionLog | None) -> AsyncIterator[None]:
    """The prediction log open while the service runs, written to disk every FLUSH_EVERY s."""
    if journal is None:
        yield
        return
    journal.open()
    flusher = asyncio.create_task(_flush_periodically(journal))
    try:
        yield
    finally:
        flusher.cancel()
        journal.close()  # writes out the queue: a clean shutdown loses no prediction


async def _flush_periodically(journal: PredictionLog) -> None:
    while True:
        await asyncio.sleep(FLUSH_EVERY)
        try:
            journal.flush()
        except OSError as exc:  # a full disk, say: lose log lines, never predictions
            log.error("prediction log: %s", exc)


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 naming each field. An input is echoed only if it is a plain value JSON can carry,
    cut to ECHO_CHARS: never a whole row or body (an oversized batch), nor NaN or infinity."""
    errors = [
        {
            key: value if key in ("msg", "type") else _bounded(value)
            for key, value in error.items()
            if key != "input" or _echoable(value)
        }
        for error in exc.errors()
    ]
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})


def _echoable(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return not isinstance(value, list | dict)


def _bounded(value: Any) -> Any:
    """``value`` as JSON can carry it, its text cut to ECHO_CHARS (a field name 10 MB long)."""
    if isinstance(value, list | tuple):
        return [_bounded(item) for item in value]
    if isinstance(value, dict):
        return {_bounded(str(key)): _bounded(item) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)
    elif isinstance(value, int) and value.bit_length() > 600:  # JSON allows 4300 digits
        value = "a number too long to show"
    elif not (value is None or isinstance(value, int | float | str)):
        value = str(value)  # an exception in a validator's context, say
    if isinstance(value, str):  # cut, and a lone surrogate ("\ud800") spelt out: no UTF-8 has it
        value = value if len(value) <= ECHO_CHARS else value[:ECHO_CHARS] + "..."
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


_ABSOLUTE_PATH = re.compile(r"(?<![\w.-])(?:[A-Za-z]:)?(?:[\\/][\w.-]+)+([\\/]?)")


def without_paths(text: str, models_dir: Path | None = None) -> str:
    """``text`` with the registry's folder as its name (``/srv/models/v1`` -> ``models/v1``)
    and any other absolute path cut to its last part."""
    if models_dir is not None and models_dir.is_absolute():
        text = text.replace(str(models_dir), models_dir.name)
    return _ABSOLUTE_PATH.sub(lambda match: _name(match.group(0)), text)


def _name(path: str) -> str:
    """The last part of a path, and its trailing separator if it has one."""
    trailing = path[-1:] if path[-1:] in ("\\", "/") else ""
    return re.split(r"[\\/]", path.rstrip("\\/"))[-1] + trailing


def _public(metadata: Metadata) -> Metadata:
    """The metadata with the training data's file name in place of its path."""
    data = metadata.data.model_copy(update={"path": _name(metadata.data.path)})
    tuning = metadata.tuning
    if tuning is not None:
        tuning_data = tuning.data.model_copy(update={"path": _name(tuning.data.path)})
        tuning = tuning.model_copy(update={"data": tuning_data})
    return metadata.model_copy(update={"data": data, "tuning": tuning})


def _json(answer: dict[str, Any]) -> Response:
    """Answers are built from checked predictions: send them as they are. ``response_model``
    still documents them in the OpenAPI schema; skipping its second check saves a tenth of the
    time of a single-row request."""
    return Response(to_json(answer), media_type="application/json")  # compact, as FastAPI's


def _answer(prediction: Prediction) -> dict[str, Any]:
    answer = {"prediction": prediction.value}
    if prediction.probabilities is not None:
        answer["probabilities"] = prediction.probabilities
    return answer


class BodyLimit:
    """413 for a body over ``limit`` bytes: by its Content-Length before reading it, or once
    that many bytes have arrived. Plain ASGI, as RequestLog."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit
        self.detail = f"the request body is over the limit of {limit} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _content_length(scope) > self.limit:
            response = JSONResponse({"detail": self.detail}, status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:  # a body sent in chunks, with no length announced
                raise HTTPException(status_code=413, detail=self.detail)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int:
    """The body's announced length; 0 if none (the server refuses a malformed one)."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value) if len(value) <= 18 else 10**18
    return 0


class RequestLog:
    """One JSON log line per request: id, method, path, status, outcome, latency, model version.

    The request id comes from the ``X-Request-ID`` header (or is numbered) and is echoed back,
    so a caller can find its request in the log; endpoints read it as ``request.state.request_id``.
    Plain ASGI: cheaper than an HTTP middleware.
    """

    def __init__(self, app: ASGIApp, slot: ModelSlot) -> None:
        self.app, self.slot = app, slot
        # Ids unique across processes and restarts, without a random draw per request.
        self._prefix, self._count = uuid.uuid4().hex[:12], itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500
        request_id = _request_id(scope) or f"{self._prefix}-{next(self._count)}".encode()
        scope.setdefault("state", {})["request_id"] = request_id.decode()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            predictor = self.slot.predictor
            REQUEST_LOG.info(
                to_json(
                    {
                        "request_id": request_id.decode(),
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "outcome": _outcome(status),
                        "latency_ms": round((time.perf_counter() - start) * 1000, 3),
                        "model_version": predictor.model_version if predictor else None,
                    }
                ).decode()
            )


def _request_id(scope: Scope) -> bytes | None:
    """The caller's X-Request-ID, when it is a sensible one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id" and 0 < len(value) <= 128 and value.isascii():
            return value
    return None


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    return {422: "invalid", 503: "unavailable"}.get(status, "refused" if status < 500 else "error")
