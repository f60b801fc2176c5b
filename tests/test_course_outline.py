"""Chapter 00's table of chapters lists exactly the chapters the book has, with their titles."""
from __future__ import annotations

import re
import sys

from conftest import REPO_ROOT

from autograder.notebooks import read, source_path

sys.path.insert(0, str(REPO_ROOT / "tools"))
from build_book import toc_chapters  # noqa: E402


def _title(chapter_id: str) -> str:
    first = read(source_path(chapter_id)).cells[0].source.splitlines()[0]
    return first.split("·", 1)[1].strip()


def test_chapter_00_lists_the_chapters_of_the_table_of_contents():
    notebook = read(source_path("00_welcome"))
    outline = next(c.source for c in notebook.cells if c.cell_type == "markdown" and "| chapter | topic |" in c.source)
    rows = re.findall(r"^\| (\d\d) \| ([^|]+?) \|", outline, flags=re.M)
    listed = [(number, topic) for number, topic in rows]
    expected = [(chapter_id[:2], _title(chapter_id)) for chapter_id in toc_chapters()]
    assert listed == expected, f"chapter 00 lists {listed}, the book has {expected}"
