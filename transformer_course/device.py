"""Device choice and reproducible seeds."""
from __future__ import annotations

import os
import random

import numpy as np
import torch

DEVICE_ENV = "COURSE_DEVICE"


def get_device() -> torch.device:
    """CUDA, then Apple MPS, then CPU; ``COURSE_DEVICE=cpu`` (or ``cuda``, ``mps``) forces one."""
    forced = os.environ.get(DEVICE_ENV, "").strip().lower()
    if forced:
        device = torch.device(forced)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"{DEVICE_ENV}={forced} but CUDA is not available on this machine")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(f"{DEVICE_ENV}={forced} but MPS is not available on this machine")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch (all devices) so that a rerun repeats its results."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
