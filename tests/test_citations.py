"""Every citation in a chapter (solutions/) or a book page has an entry in book/references.md.

A citation is one of these forms (the year may follow after a comma, a space or a
parenthesis, or be left out):

    Vaswani et al. 2017    Vaswani et al., 2017    Vaswani et al. (2017)    Xiong et al.
    Press & Wolf, 2017     Loshchilov & Hutter     Ba, Kiros and Hinton, 2016
    (Gage, 1994)           Gage (1994)

and a few works the chapters name instead (RoFormer, GELU, FlashAttention, nanoGPT, ...,
in ``NAMED_WORKS`` below). An entry of book/references.md starts with its key in bold:
``- **Vaswani et al. 2017.** A. Vaswani, ...``. A citation matches an entry when the first
author's surname is the same and, if the citation gives a year, so is the year.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from conftest import REPO_ROOT

REFERENCES = REPO_ROOT / "book" / "references.md"

# Vaswani, Lee-Thorp, Holtzman, and surnames of two words (Ben Zaken, van Merriënboer).
_NAME = r"(?:(?:Ben|van|von|de|der|Le|Di) )?[A-Z][a-zà-ÿ]+(?:[-'][A-Z]?[a-zà-ÿ]+)*"
_YEAR = r"(?:19|20)\d\d"
# "Vaswani et al.", "Press & Wolf", "Ba, Kiros and Hinton" (the "and" form needs a year:
# "Encoder and Decoder" is not a citation), then an optional year.
_CITATION = re.compile(
    rf"\b(?P<first>{_NAME})(?:"
    rf"\s+et\s+al\.(?:'s)?(?:,?\s*\(?(?P<year1>{_YEAR})\b)?"
    rf"|\s+&\s+{_NAME}(?:,?\s*\(?(?P<year2>{_YEAR})\b)?"
    rf"|(?:,\s+{_NAME})*,?\s+and\s+{_NAME},?\s*\(?(?P<year3>{_YEAR})\b"
    rf")")
# One author with a year: "(Gage, 1994)" or "Gage (1994)".
_SINGLE = re.compile(rf"(?:\((?P<first>{_NAME}),\s+(?P<year>{_YEAR})\b|(?<!& )(?<!and )\b(?P<first2>{_NAME})\s+\((?P<year2>{_YEAR})\))")
# Works the chapters name rather than cite by author: the name asks for this entry.
NAMED_WORKS = {
    r"\bRoFormer\b": "Su et al. 2021",
    r"\bGELUs?\b": "Hendrycks & Gimpel 2016",
    r"\bFlashAttention\b": "Dao et al. 2022",
    r"\bALiBi\b": "Press et al. 2022",
    r"\bChinchilla\b": "Hoffmann et al. 2022",
    r"\bBPE-dropout\b": "Provilkov et al. 2020",
    r"\binduction heads?\b": "Olsson et al. 2022",
    r"\bRMSNorm\b": "Zhang & Sennrich 2019",
    r"\bSwiGLU\b": "Shazeer 2020",
    r"\b[Gg]rouped-query attention\b": "Ainslie et al. 2023",
    r"\bchar-rnn\b": "Karpathy 2015",
    r"\bAnnotated Transformer\b": "The Annotated Transformer",
    r"\b(?:d2l|Dive into Deep Learning)\b": "Dive into Deep Learning (d2l)",
    r"\bnanoGPT\b": "nanoGPT",
    r"\bminbpe\b": "minbpe",
    r"\bLLMs-from-scratch\b": "LLMs-from-scratch",
    r"\bCS336\b": "CS336",
}


def find_citations(text: str) -> set[tuple[str, str | None]]:
    """(first author's surname, year or None) for every author-style citation in ``text``."""
    found = set()
    for match in _CITATION.finditer(text):
        year = match.group("year1") or match.group("year2") or match.group("year3")
        found.add((match.group("first"), year))
    for match in _SINGLE.finditer(text):
        found.add((match.group("first") or match.group("first2"), match.group("year") or match.group("year2")))
    return found


def reference_keys(markdown: str) -> list[str]:
    """The bold keys that start the list items of references.md, without the final full stop."""
    return [key.rstrip(".") for key in re.findall(r"^- \*\*(.+?)\*\*", markdown, flags=re.MULTILINE)]


def missing(citations, named, keys: list[str]) -> list[str]:
    """The citations and named works that have no entry among ``keys``."""
    by_author = {}
    for key in keys:
        match = re.match(rf"({_NAME})\b.*?\b({_YEAR})$", key)
        if match:
            by_author.setdefault(match.group(1), set()).add(match.group(2))
    absent = []
    for first, year in sorted(citations, key=lambda c: (c[0], c[1] or "")):
        years = by_author.get(first)
        if years is None or (year is not None and year not in years):
            absent.append(f"{first} {year or '(no year)'}")
    absent += [f"{work} (named)" for work in sorted(named) if work not in keys]
    return absent


def sources() -> dict[str, str]:
    """Every text a reader or learner reads: chapter notebooks (all cells) and book pages."""
    texts = {}
    for path in sorted((REPO_ROOT / "solutions").glob("*/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        texts[str(path.relative_to(REPO_ROOT))] = "\n".join(cell.source for cell in notebook.cells)
    for path in sorted((REPO_ROOT / "book").glob("*.md")):
        if path != REFERENCES:
            texts[str(path.relative_to(REPO_ROOT))] = path.read_text(encoding="utf-8")
    return texts


def named_works(text: str) -> set[str]:
    return {entry for pattern, entry in NAMED_WORKS.items() if re.search(pattern, text)}


def test_every_citation_has_a_reference():
    keys = reference_keys(REFERENCES.read_text(encoding="utf-8"))
    assert len(keys) >= 30, "book/references.md lost its entries (each starts with `- **Key.**`)"
    problems = {}
    for name, text in sources().items():
        absent = missing(find_citations(text), named_works(text), keys)
        if absent:
            problems[name] = absent
    assert not problems, ("citations with no entry in book/references.md (add `- **Author et al. YEAR.** ...`): "
                          + "; ".join(f"{name}: {', '.join(absent)}" for name, absent in problems.items()))


def test_the_chapters_cite_something():
    """The pattern still finds the chapters' citations (a pattern that matched nothing would pass vacuously)."""
    cited = set().union(*(find_citations(text) for text in sources().values()))
    assert {("Vaswani", "2017"), ("Gage", "1994"), ("Press", "2017")} <= cited, sorted(cited)


def test_every_reference_key_has_a_year_or_is_a_resource():
    text = REFERENCES.read_text(encoding="utf-8")
    papers, resources = text.split("## Companion resources")
    for key in reference_keys(papers):
        assert re.fullmatch(rf"{_NAME}( et al\.| & {_NAME})? {_YEAR}", key), f"paper key {key!r} is not 'Author [et al.|& Author] YEAR'"
    assert set(reference_keys(resources)) >= {"The Annotated Transformer", "Dive into Deep Learning (d2l)", "nanoGPT",
                                                "minbpe", "LLMs-from-scratch", "CS336"}


@pytest.mark.parametrize("text, expected", [
    ("as shown (Vaswani et al., 2017).", {("Vaswani", "2017")}),
    ("Vaswani et al. (2017) scale", {("Vaswani", "2017")}),
    ("This is Xiong et al.'s main result", {("Xiong", None)}),
    ("BitFit (Ben Zaken et al., 2022) trains", {("Ben Zaken", "2022")}),
    ("tied (Press & Wolf, 2017)", {("Press", "2017")}),
    ("AdamW (Loshchilov & Hutter):", {("Loshchilov", None)}),
    ("Layer normalisation (Ba, Kiros and Hinton, 2016) normalises", {("Ba", "2016")}),
    ("compression algorithm (Gage, 1994) before", {("Gage", "1994")}),
    ("Hendrycks & Gimpel 2016", {("Hendrycks", "2016")}),
    ("Encoder and Decoder blocks, 3 March 2021, NeurIPS 2017", set()),
])
def test_the_citation_pattern(text, expected):
    assert find_citations(text) == expected


def test_a_missing_entry_is_reported():
    """The check fails on a citation without an entry, a wrong year, and an unlisted named work."""
    keys = ["Vaswani et al. 2017", "Press & Wolf 2017", "nanoGPT"]
    text = "(Vaswani et al., 2017), Press & Wolf (2017), (Olsson et al., 2022), Vaswani et al. (2018), nanoGPT, minbpe"
    assert missing(find_citations(text), named_works(text), keys) == [
        "Olsson 2022", "Vaswani 2018", "minbpe (named)"]
    assert missing(find_citations("(Vaswani et al., 2017)"), set(), keys) == []
