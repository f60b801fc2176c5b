"""The service from the command line.

    COURSE_API_KEY=$(python -c "import secrets; print(secrets.token_urlsafe(24))") \
        python -m transformer_course.serving --host 127.0.0.1 --port 8000 \
        [--batcher FILE.py:ClassName] [--max-batch-size 8] [--max-wait-ms 5]

The API key comes from the environment variable ``COURSE_API_KEY`` (at least 16 characters):
never from the command line, which every user of the machine can read in the process list.
Without one the service refuses to start. It binds only to this machine (127.0.0.1, localhost
or ::1); a service for other machines belongs behind a reverse proxy that terminates TLS.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import fields

from .app import MIN_KEY_CHARS, ServiceSettings, create_app

LOOPBACK = ("127.0.0.1", "localhost", "::1")
KEY_VARIABLE = "COURSE_API_KEY"


def stop_when_orphaned(poll_s: float = 0.5) -> threading.Thread:
    """Send this process SIGTERM (uvicorn's graceful shutdown) once the process that started it is
    gone, so that a server started from a notebook does not outlive a killed kernel. The parent is
    gone when ``os.getppid()`` changes: the orphan has been handed to init or a subreaper."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(poll_s)
        os.kill(os.getpid(), signal.SIGTERM)

    watcher = threading.Thread(target=watch, name="stop-when-orphaned", daemon=True)
    watcher.start()
    return watcher


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m transformer_course.serving",
                                description="Serve the course's GPT and sentiment classifier over HTTP.",
                                epilog=f"The API key is read from the environment variable {KEY_VARIABLE}.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind: 127.0.0.1 (default), localhost or ::1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--batcher", default=None, help="FILE.py:ClassName of a batcher (default: NoBatching)")
    p.add_argument("--max-wait-ms", type=float, default=5.0, help="the batcher's max_wait_s, in milliseconds")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--stop-with-parent", action="store_true",
                   help="shut down when the process that started this one exits (running_service sets it)")
    defaults = ServiceSettings.__dataclass_fields__
    for field in fields(ServiceSettings):
        if field.name in ("api_key", "batcher", "max_wait_s"):
            continue
        p.add_argument(f"--{field.name.replace('_', '-')}", type=type(defaults[field.name].default),
                       default=field.default, help="ServiceSettings.%s (default: %%(default)s)" % field.name)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    key = os.environ.get(KEY_VARIABLE, "")
    if not key:  # a key that is too short is refused by ServiceSettings below
        print(f"refusing to start: set {KEY_VARIABLE} to an API key of at least {MIN_KEY_CHARS} characters "
              f"(python -c \"import secrets; print(secrets.token_urlsafe(24))\")", file=sys.stderr)
        return 2
    if args.host not in LOOPBACK:
        print(f"refusing to bind {args.host!r}: this course's service listens on this machine only "
              f"({', '.join(LOOPBACK)})", file=sys.stderr)
        return 2
    import torch
    import uvicorn

    torch.set_num_threads(args.threads)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    limits = {f.name: getattr(args, f.name) for f in fields(ServiceSettings)
              if f.name not in ("api_key", "batcher", "max_wait_s")}
    try:
        settings = ServiceSettings(api_key=key, batcher=args.batcher, max_wait_s=args.max_wait_ms / 1e3, **limits)
        app = create_app(settings)
    except ValueError as error:
        print(f"refusing to start: {error}", file=sys.stderr)
        return 2
    if args.stop_with_parent:
        stop_when_orphaned()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False,
                limit_concurrency=4 * settings.max_queued_requests, timeout_keep_alive=5, workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
