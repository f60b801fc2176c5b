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


@pytest.fixture(scope="session")
def built_book() -> Path:
    """``_build/html``, built once per test run by ``tools/build_book.py`` (test_book.py,
    test_browser.py and test_translation.py use it). The PDF edition is built too when Chromium is
    installed. Under pytest-xdist (``make test`` runs two workers) the workers share one build: the
    first to ask builds it under a file lock, and the others find the stamp of this run and wait."""
    import os
    import shutil
    import subprocess

    from filelock import FileLock

    html = REPO_ROOT / "_build" / "html"
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    stamp = REPO_ROOT / "_build" / f".built-for-run-{run}"
    stamp.parent.mkdir(exist_ok=True)
    with FileLock(str(REPO_ROOT / "_build" / ".book-build.lock")):
        if run and stamp.is_file():
            assert stamp.read_text() == "ok", "the book build failed in another test worker (see its output)"
            return html
        for old in stamp.parent.glob(".built-for-run-*"):
            old.unlink()
        command = [sys.executable, str(REPO_ROOT / "tools" / "build_book.py")]
        if shutil.which("chromium"):
            command.append("--pdf")
        done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
        print(done.stdout[-4000:])
        if run:
            stamp.write_text("ok" if done.returncode == 0 else "failed")
        assert done.returncode == 0, f"the book build failed:\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
    return html
