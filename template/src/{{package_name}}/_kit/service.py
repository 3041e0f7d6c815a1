"""The prediction service: the registered model behind FastAPI (the ``serve`` command).

The model is loaded once at start-up. Without a usable model the service still starts:
liveness answers, readiness (and every prediction) answers 503 saying why, so an orchestrator
waits rather than restarting it in a loop. Request bodies are the contract's pydantic models,
so the OpenAPI schema (``/docs``) documents the real fields and a bad payload gets a 422 naming
each field. Every request is logged as one JSON line, and every prediction, with its inputs, to
the prediction log that ``monitor`` reads (``prediction_log.py``). Great Expectations is never
imported.
"""

# No `from __future__ import annotations`: FastAPI reads the request and response types from
# the annotations, and here they are classes built from the contract at start-up.
import asyncio
import itertools
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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


def create_app(settings: Settings | None = None, *, max_batch: int = DEFAULT_BATCH) -> FastAPI:
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
            slot.problem = str(exc)
            log.warning("not ready: %s", exc)
        async with _writing(journal):
            yield

    app = FastAPI(
        title=f"{project_title()} predictions",
        version=distribution_version(),
        description=contract.description,
        lifespan=lifespan,
    )
    app.add_middleware(RequestLog, slot=slot)
    app.add_exception_handler(RequestValidationError, _invalid_request)

    @app.get("/health/live", summary="The process is up")
    async def live() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/health/ready", summary="A model is loaded and predictions can be served")
    async def ready() -> dict[str, str]:
        return {"status": "ready", "model_version": slot.get().model_version}

    @app.get("/model", summary="The serving model's registry metadata")
    async def model() -> Metadata:
        return slot.get().metadata

    @app.post("/predict", response_model=One, summary="Predict one row")
    async def predict(row: Row, request: Request) -> Response:
        predictor = slot.get()
        [prediction] = predictor.predict_valid([row])
        if journal is not None:
            journal.write(request.state.request_id, predictor.model_version, [row], [prediction])
        return _json({**_answer(prediction), "model_version": predictor.model_version})

    @app.post("/predict/batch", response_model=Many, summary=f"Predict up to {max_batch} rows")
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
    """422 naming each field; a whole row or body is not echoed back (an oversized batch)."""
    errors = [
        {key: value for key, value in error.items() if key != "input" or _scalar(value)}
        for error in exc.errors()
    ]
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})


def _scalar(value: Any) -> bool:
    return not isinstance(value, list | dict)


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
