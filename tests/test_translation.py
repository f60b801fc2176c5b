"""The Chinese edition: its catalogues keep the markup and the glossary's terms, and the book build
puts a translated edition, with the same maths and code, in ``_build/html/zh/``, linked both ways.

The catalogue tests need no build. The others use the session's book build (``built_book`` in
``tests/conftest.py``), which ``tools/build_book.py`` finishes with the Chinese edition.
"""
from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from babel.messages.pofile import read_po

from conftest import REPO_ROOT

CATALOGUES = REPO_ROOT / "book" / "locales" / "zh_CN" / "LC_MESSAGES"
GLOSSARY = REPO_ROOT / "book" / "glossary.md"
# The pages whose prose is translated (issue 11): at least this share of each page's messages.
TRANSLATED_PAGES = ["book/intro", "book/how-to-use", "book/setup", "book/errata", "book/glossary", "book/masks",
                    "book/chapters/00_welcome", "book/chapters/01_tokens", "book/chapters/02_embeddings",
                    "book/chapters/03_attention"]
MIN_SHARE = 0.8
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Markup a translation must keep exactly: maths, code, link targets, roles, bare URLs.
_MARKUP = re.compile(r"\$\$.*?\$\$|\$[^$\n]+?\$|`[^`]+`|\]\([^)]*\)|\{[a-z:\-]+\}|<https?://[^>]+>", re.DOTALL)
# Translations the glossary rules out, and the glossary's term for each.
NOT_GLOSSARY = {"软最大值": "归一化指数函数", "令牌": "词元", "标记化": "分词", "词汇表": "词表", "自我注意": "自注意力",
                "层标准化": "层归一化", "前向网络": "前馈网络", "位置嵌入编码": "位置编码", "遮罩": "掩码",
                "光束搜索": "束搜索", "集束搜索": "束搜索", "丢弃法": "随机失活", "暂退法": "随机失活", "逻辑值": "对数几率"}


def catalogue(page: str):
    with (CATALOGUES / f"{page}.po").open("rb") as handle:
        return read_po(handle)


def catalogues():
    for path in sorted(CATALOGUES.rglob("*.po")):
        yield path.relative_to(CATALOGUES).with_suffix("").as_posix(), path


def translated(messages):
    return [m for m in messages if m.id and m.string and not m.fuzzy]


def has_words(text: str) -> bool:
    """Whether a message has prose to translate (not a formula, nor only code, numbers or a name)."""
    if re.match(r"\s*\\[a-zA-Z]", text):  # a display formula: \operatorname{...}, \frac, \begin
        return False
    prose = re.sub(r"\\[a-zA-Z]+", "", _MARKUP.sub("", text))  # without maths, code and TeX commands
    return bool(re.search(r"[A-Za-z]{3,}\s+[A-Za-z]{2,}", prose))


# ---------------------------------------------------------------------------------------------
# Catalogues (no build)


def test_every_translation_keeps_maths_code_and_links():
    problems = []
    for page, path in catalogues():
        with path.open("rb") as handle:
            for message in translated(read_po(handle)):
                if Counter(_MARKUP.findall(message.id)) != Counter(_MARKUP.findall(message.string)):
                    changed = set(_MARKUP.findall(message.id)) ^ set(_MARKUP.findall(message.string))
                    problems.append(f"{page}: {message.id[:60]!r} changes {sorted(changed)[:4]}")
    assert not problems, "translations must keep maths, code spans and links unchanged:\n" + "\n".join(problems)


def test_the_markup_check_catches_a_changed_formula():
    """The comparison above is not vacuous: a dropped scale or a translated code span is caught."""
    source = "Attention is $\\operatorname{softmax}(QK^\\top/\\sqrt{d_k})V$; call `attention(q, k, v)`."
    good = "注意力是 $\\operatorname{softmax}(QK^\\top/\\sqrt{d_k})V$；调用 `attention(q, k, v)`。"
    for bad in (good.replace("/\\sqrt{d_k}", ""), good.replace("`attention(q, k, v)`", "`注意力(q, k, v)`")):
        assert Counter(_MARKUP.findall(source)) != Counter(_MARKUP.findall(bad))
    assert Counter(_MARKUP.findall(source)) == Counter(_MARKUP.findall(good))


def test_the_required_pages_are_translated():
    shares = {}
    for page in TRANSLATED_PAGES:
        prose = [m for m in catalogue(page) if m.id and has_words(m.id)]
        shares[page] = len(translated(prose)) / max(len(prose), 1)
    short = {page: f"{share:.0%}" for page, share in shares.items() if share < MIN_SHARE}
    assert not short, (f"pages with less than {MIN_SHARE:.0%} of their prose translated: {short} "
                       "(run `python tools/editions.py update`, then translate the new messages)")


def test_translations_use_the_glossary_terms():
    glossary = GLOSSARY.read_text(encoding="utf-8")
    for wrong, right in NOT_GLOSSARY.items():
        assert right in glossary, f"the glossary no longer has {right}"
    problems = []
    for page, path in catalogues():
        with path.open("rb") as handle:
            for message in translated(read_po(handle)):
                problems += [f"{page}: {wrong} (the glossary says {right}) in {message.string[:50]!r}"
                             for wrong, right in NOT_GLOSSARY.items() if wrong in message.string]
    assert not problems, "\n".join(problems)


def glossary_terms() -> str:
    """The 中文 column of the glossary, as one string."""
    rows = [line.split("|") for line in GLOSSARY.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    return " ".join(row[2] for row in rows if len(row) > 3)


def test_the_chapters_chinese_terms_are_the_glossarys():
    """A chapter glosses a term in 中文 as "**softmax** (归一化指数函数)": that term is the glossary's."""
    terms = glossary_terms()
    problems = []
    for path in sorted((REPO_ROOT / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            prose = re.sub(r"`[^`]*`|\$[^$]*\$", "", cell.source)
            for gloss in re.findall(r"\(([^()]*[\u4e00-\u9fff][^()]*)\)", prose):
                for term in re.findall(r"[\u4e00-\u9fff]{2,}", gloss):
                    if term not in terms:
                        problems.append(f"{path.parent.name}: {term} (in '({gloss})')")
    assert not problems, "Chinese terms missing from book/glossary.md: " + "; ".join(sorted(set(problems)))


# ---------------------------------------------------------------------------------------------
# The built editions


def _soup(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _article(soup):
    return soup.find("article") or soup


def _maths(soup) -> list[str]:
    """The TeX of every formula, whitespace normalised (a message joins the source's lines)."""
    return [" ".join(node.get_text().split()) for node in _article(soup).select(".math")]


@pytest.fixture(scope="module")
def editions(built_book):
    zh = built_book / "zh"
    assert (zh / "index.html").is_file(), "the build made no Chinese edition in _build/html/zh/"
    # Every page Sphinx wrote (not the redirecting index.html Jupyter Book adds at the top).
    pages = sorted(p.relative_to(built_book) for p in built_book.rglob("*.html")
                   if p.relative_to(built_book).parts[0] not in {"zh", "_static", "_images", "_downloads"}
                   and 'http-equiv="Refresh"' not in p.read_text(encoding="utf-8"))
    assert pages
    return built_book, zh, pages


def test_every_page_exists_in_both_editions_and_links_to_the_other(editions):
    english, zh, pages = editions
    for page in pages:
        assert (zh / page).is_file(), f"{page} has no Chinese page"
        for here, other, label in ((english / page, zh / page, "中文"), (zh / page, english / page, "English")):
            links = [a for a in _soup(here).select("a.btn-edition-button") if a.get_text(strip=True) == label]
            assert len(links) == 1, f"{here} has no link to the {label} edition"
            target = (here.parent / links[0]["href"]).resolve()
            assert target == other.resolve(), f"{here}: the {label} link goes to {target}, not {other}"


def test_the_translated_pages_are_in_chinese_with_the_same_maths_and_code(editions):
    english, zh, _ = editions
    for page in TRANSLATED_PAGES:
        en_soup, zh_soup = _soup(english / f"{page}.html"), _soup(zh / f"{page}.html")
        assert zh_soup.html.get("lang", "").startswith("zh"), f"{page}: the Chinese page is not marked lang=zh"
        english_title = en_soup.find("h1").get_text().strip("#¶ \n")
        title = next((m.string for m in translated(catalogue(page)) if m.id == english_title), None)
        assert title and title in zh_soup.find("h1").get_text(), f"{page}: the title {english_title!r} is not translated"
        # Every translated message is on the page: its Chinese characters all arrive.
        expected = sum(len(_CJK.findall(m.string)) - len(_CJK.findall(m.id)) for m in translated(catalogue(page)))
        english_cjk = len(_CJK.findall(_article(en_soup).get_text()))
        shown = len(_CJK.findall(_article(zh_soup).get_text())) - english_cjk
        assert shown >= 0.9 * expected - 50, f"{page}: {shown} Chinese characters shown, {expected} translated"
        # Maths is typeset from the same TeX as in English, and code cells are untouched.
        # (as a multiset: a Chinese sentence may name two symbols in the other order)
        en_maths, zh_maths = Counter(_maths(en_soup)), Counter(_maths(zh_soup))
        assert zh_maths == en_maths, f"{page}: the maths differs from the English page: {(en_maths - zh_maths) + (zh_maths - en_maths)}"
        en_code = [n.get_text() for n in _article(en_soup).select(".cell_input, .cell_output")]
        zh_code = [n.get_text() for n in _article(zh_soup).select(".cell_input, .cell_output")]
        assert en_code == zh_code, f"{page}: code cells or outputs differ from the English page"


def test_an_untranslated_paragraph_falls_back_to_english(editions):
    english, zh, _ = editions
    # The instructors' page is not translated: its Chinese page shows the English prose.
    untranslated = [m.id for m in catalogue("book/instructors") if m.id and not m.string and has_words(m.id)]
    assert untranslated, "book/instructors is meant to stay untranslated"
    first = re.sub(r"[*`\[\]]|\(.*?\)", "", untranslated[0])[:40]
    text = " ".join(_article(_soup(zh / "book" / "instructors.html")).get_text().split())
    assert first in text, f"the English paragraph {first!r} is not on the Chinese page"


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
