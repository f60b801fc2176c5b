"""The HTTP service: a FastAPI app around the course's GPT and sentiment classifier.

``create_app(ServiceSettings(api_key=...))`` builds the app; ``python -m transformer_course.serving``
runs it with uvicorn. A request passes through three layers before it reaches a model::

    MetricsAndLog  -> counts it, times it, writes one log line (route, status, ms: never a body or key)
    RequireApiKey  -> 401 unless the header X-API-Key matches (every route but /health)
    LimitBody      -> 413 if the body is larger than max_body_bytes, 408 if it trickles in too slowly
    FastAPI route  -> pydantic validates the JSON (422 with a clear message), then the model runs

Each model runs in a single worker thread of its own (``ModelWorker``): one model call at a time,
in arrival order, while the event loop stays free to answer ``/health`` and ``/metrics``.
Requests that would wait behind more than ``max_queued_requests`` others are refused with 503
at once instead of piling up.

Routes (JSON in and out):

* ``GET /health`` -> ``{"status": "ok", "models": [...]}``; no key needed, for a load balancer.
* ``POST /v1/generate`` ``{"prompt", "max_new_tokens", "temperature", "top_k", "top_p", "seed",
  "stream"}`` -> ``{"text", "tokens", "prefill_ms", "decode_ms"}``. With ``"stream": true`` the
  answer is newline-delimited JSON (``application/x-ndjson``): one ``{"text": "<character>"}``
  line per generated token, then ``{"done": true, "tokens", "prefill_ms", "decode_ms"}``.
* ``POST /v1/classify`` ``{"texts": [...]}`` -> ``{"labels": [...], "probabilities": [[...]]}``;
  each text is one ``submit`` to the batcher.
* ``GET /metrics``: Prometheus' text format (see ``metrics.py``).
"""
# No ``from __future__ import annotations`` here: FastAPI reads the routes' annotations at run
# time, and the request classes are local to ``create_app`` (their limits come from the settings).
import asyncio
import hmac
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields

import torch
from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from typing import Annotated

from .batching import load_batcher_class
from .generation import generate_steps
from .metrics import ServiceMetrics
from .models import ServiceModels

log = logging.getLogger("transformer_course.serving")

API_KEY_HEADER = "X-API-Key"
ROUTES = ("/health", "/v1/generate", "/v1/classify", "/metrics")
OPEN_ROUTES = ("/health",)
MIN_KEY_CHARS = 16


# --- Settings ----------------------------------------------------------------------------------

@dataclass
class ServiceSettings:
    """Everything that configures one service. Only ``api_key`` is required.

    The limits bound the work any single request can cause: a prompt of at most
    ``max_prompt_chars`` characters, at most ``max_new_tokens_limit`` new tokens, a body of at
    most ``max_body_bytes`` bytes, at most ``max_texts`` texts of ``max_text_chars`` each per
    classification, and at most ``max_queued_requests`` requests waiting for a model.
    ``batcher`` names a batcher class as ``"path/to/file.py:ClassName"`` (``None``: ``NoBatching``).
    """

    api_key: str
    batcher: str | None = None
    max_batch_size: int = 8
    max_wait_s: float = 0.005
    max_prompt_chars: int = 128
    max_new_tokens_limit: int = 128
    max_body_bytes: int = 16_384
    max_texts: int = 32
    max_text_chars: int = 1_000
    max_temperature: float = 5.0
    max_queued_requests: int = 64
    body_timeout_s: float = 10.0

    def __post_init__(self):
        if not isinstance(self.api_key, str) or len(self.api_key) < MIN_KEY_CHARS:
            raise ValueError(f"api_key must be a string of at least {MIN_KEY_CHARS} characters "
                             "(secrets.token_urlsafe() makes one)")
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name in ("api_key", "batcher"):
                continue
            if not (value >= 0 if field.name == "max_wait_s" else value > 0):  # a batcher may wait 0 s
                raise ValueError(f"{field.name} must be {'>= 0' if field.name == 'max_wait_s' else 'positive'}, "
                                 f"got {value!r}")

    def __repr__(self) -> str:  # never print the key
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.name != "api_key")
        return f"ServiceSettings(api_key=<hidden>, {shown})"


# --- Request and response bodies -----------------------------------------------------------------

class GenerateResponse(BaseModel):
    text: str
    tokens: int
    prefill_ms: float
    decode_ms: float


class ClassifyResponse(BaseModel):
    labels: list[str]
    probabilities: list[list[float]]


def request_models(settings: ServiceSettings, vocab_size: int):
    """The request bodies, with this service's limits. ``extra="forbid"`` refuses unknown fields and
    ``strict=True`` refuses values of the wrong type instead of converting them ("5" is not 5)."""

    class GenerateRequest(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        prompt: str = Field(min_length=1, max_length=settings.max_prompt_chars)
        max_new_tokens: int = Field(default=64, ge=1, le=settings.max_new_tokens_limit)
        temperature: float = Field(default=1.0, ge=0.0, le=settings.max_temperature, allow_inf_nan=False)
        top_k: int | None = Field(default=None, ge=1, le=vocab_size)
        top_p: float | None = Field(default=None, gt=0.0, le=1.0, allow_inf_nan=False)
        seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
        stream: bool = False

    Text = Annotated[str, StringConstraints(min_length=1, max_length=settings.max_text_chars)]

    class ClassifyRequest(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        texts: list[Text] = Field(min_length=1, max_length=settings.max_texts)

    return GenerateRequest, ClassifyRequest


# --- Running the models off the event loop -----------------------------------------------------

class ModelWorker:
    """One model's own worker thread: calls run one at a time, in arrival order.

    ``await worker.run(fn)`` runs ``fn()`` in that thread; the event loop meanwhile serves other
    requests. ``admit()`` counts the requests waiting for or using the model (the queue depth
    gauge) and refuses one more than ``limit`` with 503.
    """

    def __init__(self, name: str, limit: int, metrics: ServiceMetrics):
        self.name, self.limit, self.metrics = name, limit, metrics
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"model-{name}")
        self.lock = threading.Lock()  # also held by calls that arrive from other threads (a batcher's)
        self.waiting = 0

    def check_room(self, n: int = 1) -> None:
        """503 now if ``n`` more requests would make the queue longer than ``limit``."""
        if self.waiting + n > self.limit:
            raise HTTPException(503, f"the {self.name} model is busy ({self.waiting} requests queued); retry later",
                                headers={"Retry-After": "1"})

    @asynccontextmanager
    async def admit(self, n: int = 1):
        self.check_room(n)
        self.waiting += n
        self.metrics.queue_depth.labels(self.name).set(self.waiting)
        try:
            yield
        finally:
            self.waiting -= n
            self.metrics.queue_depth.labels(self.name).set(self.waiting)

    def call(self, fn, *args):
        """Run ``fn(*args)`` holding the model's lock (in whatever thread calls this)."""
        with self.lock:
            return fn(*args)

    async def run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.call, fn, *args)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


# --- The app ------------------------------------------------------------------------------------

class Service:
    """The state behind the routes: settings, models, metrics, workers and the batcher."""

    def __init__(self, settings: ServiceSettings, models: ServiceModels):
        self.settings, self.models = settings, models
        self.metrics = ServiceMetrics.create()
        self.gpt = ModelWorker("gpt", settings.max_queued_requests, self.metrics)
        self.classifier = ModelWorker("classifier", settings.max_queued_requests, self.metrics)
        self.batcher_class = load_batcher_class(settings.batcher)  # fails now, not at the first request
        self.batcher = None

    # generation

    def prompt_ids(self, prompt: str, max_new_tokens: int) -> torch.Tensor:
        """The prompt as character ids; 422 naming any character the model has never seen."""
        vocabulary = self.models.gpt_tokenizer.stoi
        unknown = sorted({c for c in prompt if c not in vocabulary})
        if unknown:
            raise HTTPException(422, "characters not in the model's vocabulary: "
                                + ", ".join(repr(c) for c in unknown[:10]) + (" ..." if len(unknown) > 10 else ""))
        positions = self.models.gpt.config.n_positions
        if len(prompt) + max_new_tokens > positions:
            raise HTTPException(422, f"prompt ({len(prompt)} characters) plus max_new_tokens ({max_new_tokens}) "
                                     f"exceed the model's {positions} positions")
        return self.models.gpt_tokenizer.encode(prompt)

    def steps(self, request, prompt_ids: torch.Tensor):
        return generate_steps(self.models.gpt, [prompt_ids], max_new_tokens=request.max_new_tokens,
                              temperature=request.temperature, top_k=request.top_k, top_p=request.top_p,
                              seed=request.seed)

    def record_generation(self, tokens: int, prefill_s: float, decode_s: float) -> dict:
        self.metrics.tokens.inc(tokens)
        self.metrics.prefill.observe(prefill_s)
        self.metrics.decode.observe(decode_s)
        return {"tokens": tokens, "prefill_ms": round(prefill_s * 1e3, 3), "decode_ms": round(decode_s * 1e3, 3)}

    async def generate(self, request, prompt_ids: torch.Tensor) -> GenerateResponse:
        def run():
            steps = list(self.steps(request, prompt_ids))
            ids = torch.stack([tokens[0] for tokens, _ in steps])
            seconds = [step_seconds for _, step_seconds in steps]
            return ids, seconds[0], sum(seconds[1:])

        async with self.gpt.admit():
            ids, prefill_s, decode_s = await self.gpt.run(run)
        return GenerateResponse(text=self.models.gpt_tokenizer.decode(ids),
                                **self.record_generation(len(ids), prefill_s, decode_s))

    async def stream(self, request, prompt_ids: torch.Tensor):
        """NDJSON lines: one per token while the worker thread generates, then a summary line."""
        loop, queue, stop = asyncio.get_running_loop(), asyncio.Queue(), threading.Event()

        def run():
            try:
                for tokens, seconds in self.steps(request, prompt_ids):
                    loop.call_soon_threadsafe(queue.put_nowait, (int(tokens[0]), seconds))
                    if stop.is_set():  # the client went away: stop generating
                        break
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, None)

        async with self.gpt.admit():
            work = asyncio.ensure_future(self.gpt.run(run))
            timings = []
            try:
                while (item := await queue.get()) is not None:
                    token, seconds = item
                    timings.append(seconds)
                    yield json.dumps({"text": self.models.gpt_tokenizer.decode([token])}) + "\n"
                await work  # raises what the worker raised
                yield json.dumps({"done": True, **self.record_generation(len(timings), timings[0],
                                                                          sum(timings[1:]))}) + "\n"
            finally:
                stop.set()

    # classification

    def classify_rows(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The batcher's ``model_fn``: logits ``(B, labels)`` for right-padded ids and their mask."""
        self.metrics.batch_size.observe(len(ids))

        @torch.inference_mode()
        def forward():
            return self.models.classifier(input_ids=ids, attention_mask=mask).logits.float()

        return self.classifier.call(forward)

    async def classify(self, texts: list[str]) -> ClassifyResponse:
        if self.batcher is None:
            raise RuntimeError("the app has not started: use it as `with TestClient(app) as client:`")
        requests = [self.models.classifier_ids(text) for text in texts]
        async with self.classifier.admit(len(requests)):
            rows = await asyncio.gather(*(self.batcher.submit(ids) for ids in requests))
        probabilities = [torch.softmax(torch.as_tensor(row).float(), dim=-1) for row in rows]
        return ClassifyResponse(labels=[self.models.labels[int(p.argmax())] for p in probabilities],
                                probabilities=[[round(float(x), 6) for x in p] for p in probabilities])

    # lifetime

    async def start(self) -> None:
        """Build the batcher inside the running event loop (a batcher may start tasks there)."""
        self.batcher = self.batcher_class(self.classify_rows, max_batch_size=self.settings.max_batch_size,
                                          max_wait_s=self.settings.max_wait_s,
                                          pad_id=self.models.classifier_pad_id)

    async def stop(self) -> None:
        if self.batcher is not None:
            await self.batcher.aclose()
        self.gpt.close()
        self.classifier.close()


def create_app(settings: ServiceSettings, models: ServiceModels | None = None) -> FastAPI:
    """The service as a FastAPI app. ``models`` defaults to ``ServiceModels.load()`` (tests pass
    one loaded copy to several apps). Use it as ``with TestClient(app):`` so that its start-up and
    shut-down run (they build and close the batcher)."""
    service = Service(settings, models or ServiceModels.load())
    GenerateRequest, ClassifyRequest = request_models(settings, len(service.models.gpt_tokenizer))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await service.start()
        log.info("serving %s with batcher %s", ", ".join(service.models.names), service.batcher_class.__name__)
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title="transformer_course service", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)  # no unauthenticated pages
    app.state.service = service

    @app.get("/health")
    async def health():
        return {"status": "ok", "models": list(service.models.names)}

    @app.post("/v1/generate", response_model=GenerateResponse)
    async def generate(request: GenerateRequest):
        prompt_ids = service.prompt_ids(request.prompt, request.max_new_tokens)
        if request.stream:
            service.gpt.check_room()  # a 503 must come before the stream's 200 is sent
            return StreamingResponse(service.stream(request, prompt_ids), media_type="application/x-ndjson")
        return await service.generate(request, prompt_ids)

    @app.post("/v1/classify", response_model=ClassifyResponse)
    async def classify(request: ClassifyRequest):
        return await service.classify(request.texts)

    @app.get("/metrics")
    async def metrics():
        return PlainTextResponse(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request, error: RequestValidationError):
        """422 that says which field is wrong and why, without echoing the input back."""
        problems = [{"field": ".".join(str(part) for part in e["loc"]), "message": e["msg"]} for e in error.errors()]
        return JSONResponse({"detail": problems}, status_code=422)

    @app.exception_handler(ValueError)
    async def refused_by_model(request, error: ValueError):
        """A ``ValueError`` from the model code (a batcher refusing a request, say) is the client's 422."""
        return JSONResponse({"detail": str(error)}, status_code=422)

    app.add_middleware(LimitBody, max_bytes=settings.max_body_bytes, timeout_s=settings.body_timeout_s)
    app.add_middleware(RequireApiKey, api_key=settings.api_key)
    app.add_middleware(MetricsAndLog, metrics=service.metrics)  # added last = outermost
    return app


# --- Middleware (plain ASGI, so that they also see requests that never reach a route) -------------

async def send_json(send, status: int, body: dict, headers: tuple = ()) -> None:
    payload = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": payload})


def endpoint_label(path: str) -> str:
    """The route as a metrics label; anything else is "other" (clients must not invent labels)."""
    return path if path in ROUTES else "other"


ERROR_REASONS = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
                 408: "body_timeout", 413: "body_too_large", 422: "invalid_input", 503: "overloaded"}


class MetricsAndLog:
    """Counts and times every request and logs one line: method, route, status, milliseconds."""

    def __init__(self, app, metrics: ServiceMetrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        endpoint, started, status = endpoint_label(scope["path"]), time.perf_counter(), [500]

        async def send_and_watch(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.requests.labels(endpoint, str(status[0])).inc()
            self.metrics.latency.labels(endpoint).observe(seconds)
            if status[0] >= 400:
                reason = ERROR_REASONS.get(status[0], "server_error" if status[0] >= 500 else "client_error")
                self.metrics.errors.labels(endpoint, reason).inc()
            log.info("%s %s %d %.1f ms", scope["method"], endpoint, status[0], seconds * 1e3)


class RequireApiKey:
    """401 unless the ``X-API-Key`` header equals the key, compared in constant time
    (``hmac.compare_digest``: how long the comparison takes says nothing about the key)."""

    def __init__(self, app, api_key: str):
        self.app, self.key = app, api_key.encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in OPEN_ROUTES:
            return await self.app(scope, receive, send)
        given = dict(scope["headers"]).get(API_KEY_HEADER.lower().encode(), b"")
        if not hmac.compare_digest(given, self.key):
            return await send_json(send, 401, {"detail": f"missing or wrong API key (header {API_KEY_HEADER})"},
                                   headers=((b"www-authenticate", b"ApiKey"),))
        await self.app(scope, receive, send)


class LimitBody:
    """413 for a body over ``max_bytes`` (announced or actual), 408 if it takes over ``timeout_s``.

    The body is read here in full, at most ``max_bytes``, and handed on to the app, so that no
    route ever reads an unbounded body and a client that stops sending halfway stalls nothing.
    """

    def __init__(self, app, max_bytes: int, timeout_s: float):
        self.app, self.max_bytes, self.timeout_s = app, max_bytes, timeout_s

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        announced = dict(scope["headers"]).get(b"content-length")
        if announced is not None and (not announced.isdigit() or int(announced) > self.max_bytes):
            return await send_json(send, 413, {"detail": f"request body over {self.max_bytes} bytes"})
        body = bytearray()
        try:
            async with asyncio.timeout(self.timeout_s):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    body += message.get("body", b"")
                    if len(body) > self.max_bytes:
                        return await send_json(send, 413, {"detail": f"request body over {self.max_bytes} bytes"})
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            return await send_json(send, 408, {"detail": f"request body not received within {self.timeout_s} s"})
        delivered = False

        async def replay():
            nonlocal delivered
            if delivered:
                return await receive()  # only http.disconnect is left to wait for
            delivered = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)
