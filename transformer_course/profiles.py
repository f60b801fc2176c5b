"""Run profiles: one switch that sizes every experiment in the course.

``smoke``  seconds per cell; what CI runs to prove every notebook executes.
``cpu``    the default without a GPU: meaningful results in minutes on a laptop.
``gpu``    full size, for a CUDA machine.

The profile is chosen automatically and can be forced with the environment
variable ``COURSE_PROFILE`` (``smoke``, ``cpu`` or ``gpu``):

* ``CI`` set to a true value  -> ``smoke``
* CUDA available              -> ``gpu``
* otherwise (MPS or CPU)      -> ``cpu`` (an Apple laptop's GPU is laptop-sized, so it
  gets laptop-sized runs, executed on the MPS device)
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TypeVar

PROFILE_NAMES = ("smoke", "cpu", "gpu")
PROFILE_ENV = "COURSE_PROFILE"

T = TypeVar("T")


@dataclass(frozen=True)
class Profile:
    """The active run profile; ``pick`` chooses a size for it."""

    name: str
    reason: str

    def pick(self, *, smoke: T, cpu: T, gpu: T) -> T:
        """Return the value given for this profile, e.g. ``steps = P.pick(smoke=20, cpu=2000, gpu=5000)``."""
        return {"smoke": smoke, "cpu": cpu, "gpu": gpu}[self.name]

    @property
    def is_smoke(self) -> bool:
        return self.name == "smoke"

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "false", "no", "off")


def current_profile() -> Profile:
    """Work out the profile from ``COURSE_PROFILE``, ``CI`` and the hardware."""
    forced = os.environ.get(PROFILE_ENV, "").strip().lower()
    if forced:
        if forced not in PROFILE_NAMES:
            raise ValueError(
                f"{PROFILE_ENV}={forced!r} is not a profile; choose one of {', '.join(PROFILE_NAMES)}"
            )
        return Profile(forced, f"forced by {PROFILE_ENV}")
    if _truthy(os.environ.get("CI")):
        return Profile("smoke", "CI is set")
    import torch

    if torch.cuda.is_available():
        return Profile("gpu", "CUDA is available")
    return Profile("cpu", "no CUDA device")
