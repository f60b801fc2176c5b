"""Chapter 11's service: the course's GPT and sentiment classifier behind an HTTP API.

* ``create_app(ServiceSettings(api_key=...))``: the FastAPI app (``app.py``);
* ``python -m transformer_course.serving``: the same app under uvicorn (``__main__.py``);
* ``running_service()`` and ``run_load()``: start it as a process, load it, stop it (``client.py``);
* ``generate_ids()``: the generation loop with a key/value cache (``generation.py``);
* ``NoBatching`` and ``load_batcher_class()``: how classification requests reach the model (``batching.py``);
* ``ServiceMetrics``: the Prometheus series (``metrics.py``); ``ServiceModels``: the models (``models.py``).

Importing this package imports neither FastAPI nor ``transformers``; they load with the app.
"""
from __future__ import annotations

from .batching import NoBatching, load_batcher_class
from .client import LoadReport, RunningService, run_load, run_load_async, running_service
from .generation import GenerationResult, generate_ids, generate_steps

__all__ = ["GenerationResult", "LoadReport", "NoBatching", "RunningService", "ServiceModels", "ServiceSettings",
           "create_app", "generate_ids", "generate_steps", "load_batcher_class", "run_load", "run_load_async",
           "running_service"]


def __getattr__(name: str):
    """``create_app`` and ``ServiceSettings`` import FastAPI and pydantic, so only when asked for."""
    if name in ("create_app", "ServiceSettings", "ServiceModels"):
        from . import app, models

        return {"create_app": app.create_app, "ServiceSettings": app.ServiceSettings,
                "ServiceModels": models.ServiceModels}[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
