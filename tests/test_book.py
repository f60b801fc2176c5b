"""The book builds with warnings as errors, shows real outputs, and serves no solution."""
from __future__ import annotations

import html
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from autograder.notebooks import normalise, secret_lines
from conftest import CHAPTERS, REPO_ROOT
from transformer_course.profiles import current_profile

HTML = REPO_ROOT / "_build" / "html"


@pytest.fixture(scope="module")
def book(built_book):
    return built_book


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
    # MathJax's files are byte copies of the npm package (test_mathjax_is_served_with_the_book checks it).
    files = [p for p in (REPO_ROOT / "_build").rglob("*")
             if p.is_file() and p.suffix in {".html", ".ipynb", ".txt", ".js", ".json", ".py", ".md"}
             and "mathjax" not in p.relative_to(REPO_ROOT / "_build").parts]
    assert files
    for path in files:
        text = _text(path)
        leaked = [line for line in secrets if line in text]
        assert not leaked, f"{path} contains solution or hidden-test lines: {leaked[:3]}"


class _Resources(HTMLParser):
    """Every URL a page would load by itself: scripts, styles, icons, fonts, images, frames, media."""

    LOADING_ATTRIBUTES = {("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src"),
                          ("video", "src"), ("video", "poster"), ("audio", "src"), ("embed", "src"),
                          ("object", "data"), ("input", "src"), ("track", "src")}
    # <link rel=...> values whose href the browser fetches.
    LOADING_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "prefetch",
                    "modulepreload", "manifest", "dns-prefetch", "preconnect", "mask-icon"}

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for element, attribute in self.LOADING_ATTRIBUTES:
            if tag == element and attrs.get(attribute):
                self.urls.append(attrs[attribute])
        if tag == "img" and attrs.get("srcset"):
            self.urls += [part.strip().split(" ")[0] for part in attrs["srcset"].split(",")]
        if tag == "link" and set((attrs.get("rel") or "").lower().split()) & self.LOADING_RELS:
            self.urls.append(attrs.get("href") or "")
        if attrs.get("style"):
            self.urls += _css_urls(attrs["style"])
        self._in_style = tag == "style"

    def handle_data(self, data):
        if self._in_style:
            self.urls += _css_urls(data)

    def handle_endtag(self, tag):
        self._in_style = False


def _css_urls(css: str) -> list[str]:
    return re.findall(r"""url\(\s*['"]?([^'")\s]+)""", css) + re.findall(r"""@import\s+['"]([^'"]+)""", css)


def _remote(url: str) -> bool:
    return bool(re.match(r"^(https?:)?//", url.strip(), re.IGNORECASE))


def test_no_page_loads_anything_from_the_network(book):
    """Scripts, styles, fonts, icons and images of every page (and of every stylesheet the book
    ships) come from the book itself: opened offline, nothing is missing. No exceptions."""
    pages = sorted(book.rglob("*.html"))
    assert len(pages) > len(CHAPTERS)
    remote = []
    for page in pages:
        parser = _Resources()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.urls or page.stat().st_size < 2000, f"no resources found in {page}: is the parser broken?"
        remote += [f"{page.relative_to(book)}: {url}" for url in parser.urls if _remote(url)]
    for css in sorted(book.rglob("*.css")):
        remote += [f"{css.relative_to(book)}: {url}" for url in _css_urls(css.read_text(encoding="utf-8"))
                   if _remote(url)]
    assert not remote, "the book loads these from the network:\n" + "\n".join(remote[:30])


def test_mathjax_is_served_with_the_book(book):
    intro = (book / "book" / "intro.html").read_text(encoding="utf-8")
    scripts = [src.split("?")[0] for src in re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', intro, re.I)]
    assert scripts == ["../_static/mathjax/tex-svg.js"], f"MathJax scripts on the landing page: {scripts}"
    served = [p for p in (REPO_ROOT / "_build").rglob("*") if "mathjax" in p.relative_to(REPO_ROOT / "_build").parts
              and p.is_file()]
    assert (book / "_static" / "mathjax" / "tex-svg.js") in served
    npm_copy = REPO_ROOT / "node_modules" / "mathjax" / "es5"
    for path in served:
        relative = Path(*path.parts[path.parts.index("mathjax") + 1:])
        assert path.read_bytes() == (npm_copy / relative).read_bytes(), f"{path} differs from npm's MathJax"
    assert (book / "_static" / "mathjax" / "input" / "tex" / "extensions" / "boldsymbol.js").is_file(), \
        "the TeX extensions that MathJax autoloads must be served too"


def test_every_figure_has_alt_text(book):
    """Every image has a text alternative; the chapters' figures get one written from the figure."""
    missing, figures, described = [], 0, 0
    for page in sorted((book / "book").rglob("*.html")):
        for tag in re.findall(r"<img\b[^>]*>", page.read_text(encoding="utf-8")):
            alt = html.unescape((re.search(r'\balt="([^"]*)"', tag) or [None, ""])[1]).strip()
            src = (re.search(r'\bsrc="([^"]*)"', tag) or [None, ""])[1]
            if "_images/" in src and page.parent.name == "chapters":
                figures += 1
                described += alt.startswith("Figure")  # written by the build from the figure itself
                if not alt or "_images/" in alt:  # myst-nb's default alt is the file's path
                    missing.append(f"{page.name}: {src} has alt {alt!r}")
            elif not alt or alt == src:
                missing.append(f"{page.name}: {src} has alt {alt!r}")
    assert figures >= len(CHAPTERS), f"only {figures} figures found in the chapter pages"
    assert described >= figures // 2, f"only {described} of {figures} figures got a description from the build"
    assert not missing, "images without a real text alternative:\n" + "\n".join(missing[:20])


def test_landing_page_has_the_learning_path_and_the_measured_times(book):
    sys.path.insert(0, str(REPO_ROOT / "tools"))
    import book_pages

    intro = (book / "book" / "intro.html").read_text(encoding="utf-8")
    assert re.search(r'<img[^>]+src="[^"]*learning-path\.svg"[^>]+alt="Learning path', intro) or \
        re.search(r'<img[^>]+alt="Learning path[^>]+src="[^"]*learning-path\.svg"', intro), \
        "the landing page does not show the learning-path figure with its alt text"
    record = book_pages.read_record(REPO_ROOT / "book" / "build-times.json")
    profile = current_profile().name
    text = _text(book / "book" / "intro.html")
    for chapter_id in CHAPTERS:
        assert profile in record.get(chapter_id, {}), f"no {profile} time recorded for {chapter_id}"
        seconds = record[chapter_id][profile]["seconds"]
        row = re.search(rf"{chapter_id}((?:\s*(?:not measured|[0-9.]+ (?:s|min)))+)", text)
        assert row, f"no row for {chapter_id} in the landing page's times table"
        assert book_pages._duration(seconds) in row.group(1), \
            f"{chapter_id}: the table does not show the recorded {seconds} s"


def test_every_chapter_page_names_the_profile_of_its_outputs(book):
    for chapter_id in CHAPTERS:
        built = nbformat.read(REPO_ROOT / "book" / "chapters" / f"{chapter_id}.ipynb", as_version=4)
        profile = built.metadata["course_build"]["profile"]
        text = _text(book / "book" / "chapters" / f"{chapter_id}.html")
        assert f"Outputs made with the {profile} run profile" in text, f"{chapter_id}: no run-profile note"
