"""The book builds with warnings as errors, shows real outputs, and serves no solution."""
from __future__ import annotations

import html
import re
import subprocess
import sys

import pytest

from autograder.notebooks import normalise, secret_lines
from conftest import CHAPTERS, REPO_ROOT

HTML = REPO_ROOT / "_build" / "html"


@pytest.fixture(scope="module")
def book():
    done = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "build_book.py")], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    print(done.stdout[-4000:])
    assert done.returncode == 0, f"the book build failed:\n{done.stdout[-6000:]}\n{done.stderr[-6000:]}"
    return HTML


def _text(path) -> str:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        raw = html.unescape(re.sub(r"<[^>]+>", "", raw))
    return normalise(raw)


def test_every_chapter_is_in_the_table_of_contents():
    sys.path.insert(0, str(REPO_ROOT / "tools"))
    from build_book import toc_chapters

    assert toc_chapters() == CHAPTERS, "_toc.yml must list every chapter of solutions/, in order"


def test_every_chapter_has_a_page_with_outputs(book):
    for chapter_id in CHAPTERS:
        page = book / "book" / "chapters" / f"{chapter_id}.html"
        assert page.is_file(), f"no page for {chapter_id}"
        content = page.read_text(encoding="utf-8")
        assert "cell_output" in content, f"{chapter_id}'s page shows no outputs"
        assert "NotImplementedError" in content, f"{chapter_id}'s page should show the exercise stubs"


def test_the_download_is_the_learner_notebook(book):
    downloads = list((book / "_downloads").rglob("*.ipynb"))
    assert sorted(p.name for p in downloads) == sorted(f"{c}.ipynb" for c in CHAPTERS)
    for path in downloads:
        learner = REPO_ROOT / "chapters" / path.stem / path.name
        assert path.read_bytes() == learner.read_bytes(), f"{path} is not the learner notebook"


def test_no_notebook_source_is_served(book):
    assert not (book / "_sources").exists(), "html_copy_source must stay off"


def test_no_solution_or_hidden_test_reaches_the_book(book):
    secrets = secret_lines(CHAPTERS)
    files = [p for p in (REPO_ROOT / "_build").rglob("*")
             if p.is_file() and p.suffix in {".html", ".ipynb", ".txt", ".js", ".json", ".py", ".md"}]
    assert files
    for path in files:
        text = _text(path)
        leaked = [line for line in secrets if line in text]
        assert not leaked, f"{path} contains solution or hidden-test lines: {leaked[:3]}"
