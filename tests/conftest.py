from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from autograder.course import chapter_ids  # noqa: E402

CHAPTERS = chapter_ids()
WRONG_ANSWERS = REPO_ROOT / "tests" / "wrong_answers"


def wrong_answers(chapter_id: str) -> list[Path]:
    return sorted((WRONG_ANSWERS / chapter_id).glob("*__*.py"))


def answer_id_of(path: Path) -> str:
    return path.stem.split("__", 1)[0]


@pytest.fixture(params=CHAPTERS)
def chapter_id(request) -> str:
    return request.param
