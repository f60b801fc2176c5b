"""The course's data files: found in the repository's ``data/`` folder, never downloaded."""
from __future__ import annotations

import os
import random
from pathlib import Path

DATA_ENV = "COURSE_DATA_DIR"


def data_dir() -> Path:
    """The folder that holds the course data (``COURSE_DATA_DIR`` overrides it)."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "data"


def data_path(name: str) -> Path:
    """Path of a shipped data file, with a clear error if it is missing."""
    path = data_dir() / name
    if not path.is_file():
        raise FileNotFoundError(
            f"course data file {name!r} not found at {path}. The course ships its data in the "
            f"repository's data/ folder; run the notebook from a full clone of the course, "
            f"or point {DATA_ENV} at a folder that holds {name!r}."
        )
    return path


def load_text(name: str = "tinyshakespeare.txt") -> str:
    """A shipped text file, read as UTF-8."""
    return data_path(name).read_text(encoding="utf-8")


SENTIMENT_SOURCES = ("amazon_cells", "imdb", "yelp")


def load_sentiment(sources=SENTIMENT_SOURCES) -> list[tuple[str, int, str]]:
    """The labelled sentiment sentences as ``(sentence, label, source)``; label 1 is positive."""
    rows = []
    for source in sources:
        if source not in SENTIMENT_SOURCES:
            raise ValueError(f"unknown sentiment source {source!r}; choose from {SENTIMENT_SOURCES}")
        for line_number, line in enumerate(
            data_path(f"sentiment/{source}_labelled.txt").read_text(encoding="utf-8").splitlines(), 1
        ):
            if not line.strip():
                continue
            sentence, sep, label = line.rpartition("\t")
            if not sep or label.strip() not in ("0", "1"):
                raise ValueError(f"{source}_labelled.txt line {line_number} is not 'sentence<TAB>0|1'")
            rows.append((sentence.strip(), int(label), source))
    return rows


def split_train_val(items: list, val_fraction: float = 0.1, seed: int = 0) -> tuple[list, list]:
    """A stable shuffled split: the same seed always gives the same two lists."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    n_val = max(1, round(len(items) * val_fraction))
    val = [items[i] for i in order[:n_val]]
    train = [items[i] for i in order[n_val:]]
    return train, val
