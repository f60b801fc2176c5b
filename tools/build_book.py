"""Build the HTML book from the chapters.

For every chapter this executes the instructor's notebook (``solutions/<id>/<id>.ipynb``)
with the current run profile, then writes ``book/chapters/<id>.ipynb``: the *learner*
notebook (``chapters/<id>/<id>.ipynb``: exercise stubs, no hidden tests) carrying the
outputs of that reference run. Readers see real figures and tables but never solution
code. Executions are cached in ``.cache/book/`` under a key made of the notebook, the
helper package, the data, the profile and the PyTorch version, so an unchanged
rebuild executes nothing. Then Jupyter Book builds ``_build/html`` with warnings as errors.

Around that:

* each execution's time is recorded in ``book/build-times.json`` (chapter, profile, machine),
  and the landing page's times table and learning-path figure are generated into
  ``book/_generated/`` (``tools/book_pages.py``);
* every figure gets a text alternative (``alt``) written from the figure itself
  (``transformer_course.plotting.describe_figure``: titles, axes, what is drawn);
* MathJax is installed from npm (``npm ci``, pinned in ``package-lock.json``) and copied into
  ``_build/book-extra/``, so the book's maths renders with no network; without Node.js the
  book falls back to MathJax's CDN and says so;
* ``--pdf`` also builds the print edition: a single-page HTML build printed to
  ``transformer-course.pdf`` by headless Chromium (skipped, with a message, without Chromium).

    python tools/build_book.py                # profile of this machine
    COURSE_PROFILE=smoke python tools/build_book.py
    python tools/build_book.py --pdf          # what `make book` runs
"""
from __future__ import annotations

import argparse
import copy
import datetime
import hashlib
import json
import os
import platform
import shutil
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
from tools.kernels import encrypt_kernel_transport  # noqa: E402

encrypt_kernel_transport()  # kernels without the "running over TCP without encryption" warning

sys.path.insert(0, str(REPO_ROOT / "tools"))
import book_pages  # noqa: E402

CACHE_DIR = REPO_ROOT / ".cache" / "book"
BOOK_CHAPTERS = REPO_ROOT / "book" / "chapters"
GENERATED = REPO_ROOT / "book" / "_generated"
TIMES_RECORD = REPO_ROOT / "book" / "build-times.json"
EXTRA = REPO_ROOT / "_build" / "book-extra"   # html_extra_path in _config.yml
MATHJAX_SOURCE = REPO_ROOT / "node_modules" / "mathjax" / "es5"
PDF_NAME = "transformer-course.pdf"
CELL_TIMEOUT = 3600

# Run in the kernel before the notebook (and removed afterwards): every matplotlib figure
# then carries, next to its PNG, a text description that becomes the image's alt text.
# (Registered around every cell: `%matplotlib inline` drops the formatters of Figure.)
ALT_TEXT_HOOK = """\
def _course_alt_text_hook(*_):
    import matplotlib.figure
    from transformer_course.plotting import describe_figure
    get_ipython().display_formatter.formatters["text/plain"].for_type(
        matplotlib.figure.Figure, lambda figure, printer, cycle: printer.text(describe_figure(figure)))
get_ipython().events.register("pre_run_cell", _course_alt_text_hook)
get_ipython().events.register("post_execute", _course_alt_text_hook)  # before inline's flush_figures
"""


def toc_chapters() -> list[str]:
    """The chapters the book lists, in the order of ``_toc.yml``."""
    import re

    toc = (REPO_ROOT / "_toc.yml").read_text(encoding="utf-8")
    return re.findall(r"file:\s*book/chapters/(\S+)", toc)


def cache_key(chapter_id: str, profile: str) -> str:
    import torch

    digest = hashlib.sha256()
    digest.update(f"{profile}\0{torch.__version__}\0{ALT_TEXT_HOOK}\0".encode())
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
    notebook.cells.insert(0, nbformat.v4.new_code_cell(ALT_TEXT_HOOK))
    os.environ["COURSE_PROFILE"] = profile  # the kernel inherits the environment
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(source.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        raise SystemExit(f"{chapter_id}: a cell failed while executing the reference notebook:\n{error}")
    seconds = time.perf_counter() - start
    notebook.cells.pop(0)
    notebook.metadata["course_build"] = {"profile": profile, "seconds": round(seconds, 2),
                                         "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                                             timespec="seconds")}
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    for stale in CACHE_DIR.glob(f"{chapter_id}.{profile}.*.ipynb"):
        stale.unlink()
    nbformat.write(notebook, cached)
    return notebook, seconds


def machine() -> str:
    import torch

    threads = torch.get_num_threads()
    return f"{platform.machine()} {platform.system()}, {threads} PyTorch thread{'s' * (threads > 1)}"


def record_time(chapter_id: str, profile: str, seconds: float) -> None:
    """Add one measured execution to ``book/build-times.json`` (the landing page's table)."""
    record = book_pages.read_record(TIMES_RECORD)
    record.setdefault(chapter_id, {})[profile] = {
        "seconds": round(seconds, 1), "machine": machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    TIMES_RECORD.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def download_note(chapter_id: str, executed: nbformat.NotebookNode):
    run = executed.metadata.get("course_build", {})
    profile = run.get("profile", "unknown")
    when = f" on {run['date'][:10]}" if "date" in run else ""
    took = f", {run['seconds']:.0f} s for the whole notebook" if "seconds" in run else ""
    notebook = f"chapters/{chapter_id}/{chapter_id}.ipynb"
    return nbformat.v4.new_markdown_cell(
        ":::{admonition} Work through this chapter yourself\n"
        ":class: tip\n"
        f"Download the exercise notebook {{download}}`{chapter_id}.ipynb <../../{notebook}>` "
        "and open it in JupyterLab (see [How to use this course](../how-to-use.md)); if your JupyterLab "
        f"is already running from `make lab`, <a href=\"http://localhost:8888/lab/tree/{notebook}\">open "
        f"`{notebook}` in it</a>. The outputs below come from a run of the reference solution; "
        "the exercise cells show what you will fill in.\n\n"
        f"Outputs made with the **`{profile}`** run profile "
        f"({book_pages.PROFILE_NOTES.get(profile, 'see Setup')}){when}{took}. "
        "Your own run picks the profile for your machine ([Setup](../setup.md#run-profiles)).\n"
        ":::"
    )


def alt_texts(outputs) -> list[str]:
    """The descriptions the alt-text hook attached to the figures among a cell's outputs."""
    return [output["data"]["text/plain"] for output in outputs
            if output.get("output_type") in ("display_data", "execute_result")
            and any(key.startswith("image/") for key in output.get("data", {}))
            and str(output["data"].get("text/plain", "")).startswith("Figure")]


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
            described = alt_texts(cell.outputs)
            if described:  # myst-nb applies the cell's image options to each image it shows
                # An alt text the chapter's author wrote (cell metadata mystnb.image.alt) wins.
                cell.metadata.setdefault("mystnb", {}).setdefault("image", {}).setdefault("alt", " / ".join(described))
        for key in ("nbgrader", "deletable", "editable"):
            cell.metadata.pop(key, None)
    page.metadata["course_build"] = executed.metadata.get("course_build", {})
    page.cells.insert(1, download_note(chapter_id, executed))
    return page


def install_mathjax() -> str:
    """Copy MathJax into ``_build/book-extra/_static/mathjax``; say where maths will come from."""
    target = EXTRA / "_static" / "mathjax"
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text(encoding="utf-8"))
    wanted = lock["packages"]["node_modules/mathjax"]["version"]
    installed = REPO_ROOT / "node_modules" / "mathjax" / "package.json"
    if not installed.is_file() or json.loads(installed.read_text(encoding="utf-8"))["version"] != wanted:
        npm = shutil.which("npm")
        if npm is None:
            shutil.rmtree(target, ignore_errors=True)
            return ("*** Node.js/npm not found: MathJax is not installed, so the book's maths loads from a CDN "
                    "and needs a network connection. Install Node.js (see book/setup.md) and rebuild. ***")
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=REPO_ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"`npm ci` failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    # Only what tex-svg.js loads: the combined file, TeX extensions it autoloads, the
    # accessibility menu's pieces. The other combined builds and the CHTML fonts stay out.
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copy2(MATHJAX_SOURCE / "tex-svg.js", target / "tex-svg.js")
    for folder in ("input", "a11y", "sre", "ui", "adaptors"):
        shutil.copytree(MATHJAX_SOURCE / folder, target / folder)
    return f"maths: MathJax {wanted} served with the book (no network needed)"


def generate_landing_parts(chapters: list[str]) -> None:
    """The learning-path figure and the measured-times table that book/intro.md includes."""
    book_pages.check(chapters)
    GENERATED.mkdir(parents=True, exist_ok=True)
    book_pages.draw_learning_path(GENERATED / "learning-path.svg")
    (GENERATED / "learning-path.md").write_text(
        f"```{{image}} _generated/learning-path.svg\n:alt: {book_pages.alt_text()}\n:width: 100%\n```\n", encoding="utf-8")
    (GENERATED / "build-times.md").write_text(
        book_pages.times_table(book_pages.read_record(TIMES_RECORD), chapters), encoding="utf-8")
    pdf = EXTRA / PDF_NAME
    (GENERATED / "pdf-edition.md").write_text(
        f'The whole book in one file for printing or reading offline: <a href="../{PDF_NAME}">{PDF_NAME}</a> '
        f'({pdf.stat().st_size / 2**20:.1f} MiB, built with this edition).\n'
        if pdf.is_file() else
        "The PDF edition is built by `make book` on a machine with Chromium (`python tools/build_book.py --pdf`); "
        "this build does not include it.\n", encoding="utf-8")


def jupyter_book(*extra: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(REPO_ROOT), "--quiet", *extra]
    return subprocess.run(command, cwd=REPO_ROOT)


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def build_pdf() -> str:
    """The print edition: a single-page HTML build printed by headless Chromium."""
    browser = chromium()
    (EXTRA / PDF_NAME).unlink(missing_ok=True)
    if browser is None:
        return "*** PDF edition skipped: no Chromium on this machine (apt-get install chromium) ***"
    start = time.perf_counter()
    done = jupyter_book("--builder", "singlehtml")
    built = REPO_ROOT / "_build" / "singlehtml" / "book" / "intro.html"  # index.html only redirects here
    if done.returncode != 0 or not built.is_file():
        raise SystemExit("the single-page build for the PDF edition failed; see the messages above")
    # The single page's links to _static/ and _images/ are written relative to the build's root.
    single = REPO_ROOT / "_build" / "singlehtml" / "print.html"
    shutil.copy2(built, single)
    # The virtual-time budget lets MathJax typeset every formula before the page is printed.
    printed = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-background-networking", "--no-pdf-header-footer",
                              "--run-all-compositor-stages-before-draw", "--virtual-time-budget=120000",
                              f"--print-to-pdf={EXTRA / PDF_NAME}", single.as_uri()],
                             capture_output=True, text=True, timeout=600)
    if printed.returncode != 0 or not (EXTRA / PDF_NAME).is_file():
        raise SystemExit(f"Chromium could not print the PDF edition:\n{printed.stderr[-3000:]}")
    return f"PDF edition: {EXTRA / PDF_NAME} ({time.perf_counter() - start:.1f} s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help="chapter ids (default: all)")
    parser.add_argument("--no-html", action="store_true", help="only prepare book/chapters/, skip Jupyter Book")
    parser.add_argument("--pdf", action="store_true", help="also build the PDF edition (needs Chromium)")
    args = parser.parse_args(argv)
    profile = current_profile()
    print(f"building the book with the {profile} profile")
    BOOK_CHAPTERS.mkdir(parents=True, exist_ok=True)
    timings = []
    for chapter_id in args.chapters or toc_chapters():
        executed, seconds = execute(chapter_id, profile.name)
        nbformat.write(book_page(chapter_id, executed), BOOK_CHAPTERS / f"{chapter_id}.ipynb")
        timings.append((chapter_id, seconds))
        if seconds is not None:
            record_time(chapter_id, profile.name, seconds)
        print(f"  {chapter_id}: " + ("cached" if seconds is None else f"executed in {seconds:.1f} s"), flush=True)
    if args.no_html:
        return 0
    start = time.perf_counter()
    EXTRA.mkdir(parents=True, exist_ok=True)
    print(install_mathjax(), flush=True)
    generate_landing_parts(toc_chapters())
    if args.pdf:
        print(build_pdf(), flush=True)
        generate_landing_parts(toc_chapters())  # now with the link to the PDF
    done = jupyter_book("--warningiserror", "--keep-going")
    if done.returncode != 0:
        print("jupyter-book failed (warnings are errors); see the messages above", file=sys.stderr)
        return done.returncode
    zh_start = time.perf_counter()
    from tools import editions  # the Chinese edition, from the same pages, into _build/html/zh/

    if editions.build_zh() != 0:
        print("the Chinese edition failed (warnings are errors); see the messages above", file=sys.stderr)
        return 1
    print(f"Chinese edition built in {time.perf_counter() - zh_start:.1f} s: {editions.ZH_HTML / 'index.html'}")
    index = REPO_ROOT / "_build" / "html" / "index.html"
    print(f"Jupyter Book built in {time.perf_counter() - start:.1f} s\nthe book: {index}\n"
          f"open it with `make serve` (http://localhost:8000) or in a browser as file://{index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
