"""Build the HTML book from the chapters.

For every chapter this executes the instructor's notebook (``solutions/<id>/<id>.ipynb``)
with the current run profile, then writes ``book/chapters/<id>.ipynb``: the *learner*
notebook (``chapters/<id>/<id>.ipynb``: exercise stubs, no hidden tests) carrying the
outputs of that reference run. Readers see real figures and tables but never solution
code. Executions are cached in ``.cache/book/`` under a key made of the notebook, the
helper package, the data, the profile and the PyTorch version, so an unchanged
rebuild executes nothing. Then Jupyter Book builds ``_build/html`` with warnings as errors.

    python tools/build_book.py                # profile of this machine
    COURSE_PROFILE=smoke python tools/build_book.py
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from transformer_course.profiles import current_profile  # noqa: E402

CACHE_DIR = REPO_ROOT / ".cache" / "book"
BOOK_CHAPTERS = REPO_ROOT / "book" / "chapters"
CELL_TIMEOUT = 3600


def toc_chapters() -> list[str]:
    """The chapters the book lists, in the order of ``_toc.yml``."""
    import re

    toc = (REPO_ROOT / "_toc.yml").read_text(encoding="utf-8")
    return re.findall(r"file:\s*book/chapters/(\S+)", toc)


def cache_key(chapter_id: str, profile: str) -> str:
    import torch

    digest = hashlib.sha256()
    digest.update(f"{profile}\0{torch.__version__}\0".encode())
    sources = [REPO_ROOT / "solutions" / chapter_id / f"{chapter_id}.ipynb"]
    sources += sorted((REPO_ROOT / "transformer_course").glob("*.py"))
    sources += sorted(p for p in (REPO_ROOT / "data").rglob("*") if p.is_file())
    for path in sources:
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def execute(chapter_id: str, profile: str) -> tuple[nbformat.NotebookNode, float | None]:
    """The executed reference notebook, from the cache when nothing it depends on changed."""
    key = cache_key(chapter_id, profile)
    cached = CACHE_DIR / f"{chapter_id}.{profile}.{key}.ipynb"
    if cached.is_file():
        return nbformat.read(cached, as_version=4), None
    source = REPO_ROOT / "solutions" / chapter_id / f"{chapter_id}.ipynb"
    notebook = nbformat.read(source, as_version=4)
    os.environ["COURSE_PROFILE"] = profile  # the kernel inherits the environment
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(source.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        raise SystemExit(f"{chapter_id}: a cell failed while executing the reference notebook:\n{error}")
    seconds = time.perf_counter() - start
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    for stale in CACHE_DIR.glob(f"{chapter_id}.{profile}.*.ipynb"):
        stale.unlink()
    nbformat.write(notebook, cached)
    return notebook, seconds


def download_note(chapter_id: str):
    return nbformat.v4.new_markdown_cell(
        ":::{admonition} Work through this chapter yourself\n"
        ":class: tip\n"
        f"Download the exercise notebook {{download}}`{chapter_id}.ipynb <../../chapters/{chapter_id}/{chapter_id}.ipynb>` "
        "and open it in JupyterLab (see [How to use this course](../how-to-use.md)). The outputs below come from "
        "a run of the reference solution; the exercise cells show what you will fill in.\n"
        ":::"
    )


def book_page(chapter_id: str, executed: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The learner notebook with the reference run's outputs, and nothing of nbgrader's metadata."""
    learner_path = REPO_ROOT / "chapters" / chapter_id / f"{chapter_id}.ipynb"
    if not learner_path.is_file():
        raise SystemExit(f"{learner_path} is missing: run `make chapters` first")
    learner = nbformat.read(learner_path, as_version=4)
    outputs = {cell.get("id"): cell for cell in executed.cells}
    page = copy.deepcopy(learner)
    for cell in page.cells:
        reference = outputs.get(cell.get("id"))
        if reference is None or reference.cell_type != cell.cell_type:
            raise SystemExit(f"{chapter_id}: chapters/ is out of date with solutions/ (cell {cell.get('id')}); "
                             "run `make chapters`")
        if cell.cell_type == "code":
            cell.outputs = reference.outputs
            cell.execution_count = reference.execution_count
        for key in ("nbgrader", "deletable", "editable"):
            cell.metadata.pop(key, None)
    page.cells.insert(1, download_note(chapter_id))
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help="chapter ids (default: all)")
    parser.add_argument("--no-html", action="store_true", help="only prepare book/chapters/, skip Jupyter Book")
    args = parser.parse_args(argv)
    profile = current_profile()
    print(f"building the book with the {profile} profile")
    BOOK_CHAPTERS.mkdir(parents=True, exist_ok=True)
    timings = []
    for chapter_id in args.chapters or toc_chapters():
        executed, seconds = execute(chapter_id, profile.name)
        nbformat.write(book_page(chapter_id, executed), BOOK_CHAPTERS / f"{chapter_id}.ipynb")
        timings.append((chapter_id, seconds))
        print(f"  {chapter_id}: " + ("cached" if seconds is None else f"executed in {seconds:.1f} s"), flush=True)
    if args.no_html:
        return 0
    start = time.perf_counter()
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(REPO_ROOT),
               "--warningiserror", "--keep-going", "--quiet"]
    done = subprocess.run(command, cwd=REPO_ROOT)
    if done.returncode != 0:
        print("jupyter-book failed (warnings are errors); see the messages above", file=sys.stderr)
        return done.returncode
    index = REPO_ROOT / "_build" / "html" / "index.html"
    print(f"Jupyter Book built in {time.perf_counter() - start:.1f} s\nthe book: {index}\n"
          f"open it with `make serve` (http://localhost:8000) or in a browser as file://{index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
