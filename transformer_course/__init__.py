"""Helpers shared by every chapter of the course: profiles, devices, data, plots, training, grading.

Each chapter starts with ``course = setup_chapter()``, which fixes the seed, chooses the
device and the run profile, and prints both.
"""
from __future__ import annotations

import platform
from dataclasses import dataclass

import torch

from .data import data_path, load_sentiment, load_text, split_train_val
from .device import get_device, set_seed
from .profiles import Profile, current_profile

__all__ = ["Chapter", "setup_chapter", "environment_report", "get_device", "set_seed", "current_profile",
           "Profile", "data_path", "load_text", "load_sentiment", "split_train_val"]


@dataclass(frozen=True)
class Chapter:
    """What a chapter needs to size and place its runs."""

    profile: Profile
    device: torch.device
    seed: int


def environment_report(chapter: Chapter | None = None) -> dict[str, str]:
    """Versions, device and profile, as a small table for the top of a chapter."""
    chapter = chapter or Chapter(current_profile(), get_device(), 0)
    report = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "device": str(chapter.device),
        "profile": str(chapter.profile),
        "CPU threads": str(torch.get_num_threads()),
        "seed": str(chapter.seed),
    }
    if chapter.device.type == "cuda":
        report["GPU"] = torch.cuda.get_device_name(chapter.device)
    return report


def setup_chapter(seed: int = 0, *, quiet: bool = False) -> Chapter:
    """Seed everything, pick device and profile, and print them in one line."""
    set_seed(seed)
    chapter = Chapter(profile=current_profile(), device=get_device(), seed=seed)
    if not quiet:
        print(f"profile: {chapter.profile} | device: {chapter.device} | torch {torch.__version__} | seed {seed}")
    return chapter
