"""Generated parts of the book's landing page: the learning-path figure and the table of
measured execution times. ``tools/build_book.py`` calls both on every build and writes
their output into ``book/_generated/`` (not in git), which ``book/intro.md`` includes.

The learning path is data (``PREREQUISITES``, ``FAST_TRACK``) drawn by matplotlib, so the
figure changes when the data does and nobody redraws it by hand. The times table is
written from ``book/build-times.json``, the record that ``build_book.py`` updates each
time it executes a chapter.
"""
from __future__ import annotations

import json
from pathlib import Path

# Which chapters each chapter builds on: what it reuses or assumes you have done.
PREREQUISITES: dict[str, tuple[str, ...]] = {
    "00_welcome": (),
    "01_tokens": ("00_welcome",),
    "02_embeddings": ("01_tokens",),
    "03_attention": ("00_welcome", "02_embeddings"),
    "04_multihead": ("03_attention",),
    "05_block": ("04_multihead",),
    "06_encoder_decoder": ("05_block",),
    "07_gpt": ("01_tokens", "05_block"),
    "08_bert": ("05_block",),
    "09_peft": ("08_bert",),
    "10_compression": ("07_gpt",),
    "11_serving": ("07_gpt", "08_bert"),
    "12_distributed": ("07_gpt",),
}
# The shortest path to a working GPT: character tokens are enough for chapter 07, so the
# fast track skips byte-pair encoding (01) and the encoder-decoder (06).
FAST_TRACK: tuple[str, ...] = ("00_welcome", "02_embeddings", "03_attention", "04_multihead", "05_block", "07_gpt")

TITLES = {
    "00_welcome": "Welcome: softmax,\ngrading",
    "01_tokens": "Tokens: BPE",
    "02_embeddings": "Embeddings and\npositions",
    "03_attention": "Scaled dot-product\nattention",
    "04_multihead": "Multi-head\nattention",
    "05_block": "The Transformer\nblock",
    "06_encoder_decoder": "Encoder, decoder,\ncross-attention",
    "07_gpt": "A GPT language\nmodel",
    "08_bert": "BERT: pre-training,\nfine-tuning",
    "09_peft": "Parameter-efficient\nfine-tuning",
    "10_compression": "Compressing a\nmodel",
    "11_serving": "Serving a model",
    "12_distributed": "Training on several\nprocesses",
}

# Grid position (column, row) of each chapter in the figure.
LAYOUT = {
    "00_welcome": (0, 1), "01_tokens": (1, 0), "02_embeddings": (2, 1), "03_attention": (3, 1),
    "04_multihead": (4, 1), "05_block": (5, 1), "06_encoder_decoder": (6, 2), "07_gpt": (6, 0),
    "08_bert": (7, 1), "09_peft": (8, 1), "10_compression": (8, 0), "11_serving": (9, 0),
    "12_distributed": (7, 0),
}


def check(chapters: list[str]) -> None:
    """The learning path must cover exactly the book's chapters and only point backwards."""
    if sorted(PREREQUISITES) != sorted(chapters):
        raise SystemExit(f"tools/book_pages.py: PREREQUISITES lists {sorted(PREREQUISITES)}, "
                         f"the book has {sorted(chapters)}: update the learning path")
    for chapter, needs in PREREQUISITES.items():
        for need in needs:
            if chapters.index(need) >= chapters.index(chapter):
                raise SystemExit(f"tools/book_pages.py: {chapter} cannot build on the later {need}")
    for a, b in zip(FAST_TRACK, FAST_TRACK[1:]):
        if chapters.index(a) >= chapters.index(b):
            raise SystemExit(f"tools/book_pages.py: the fast track goes backwards from {a} to {b}")


def alt_text() -> str:
    edges = "; ".join(f"{c[:2]} builds on {', '.join(n[:2] for n in needs)}"
                      for c, needs in PREREQUISITES.items() if needs)
    return ("Learning path: which chapter builds on which (" + edges + "). Fast track, drawn with thick "
            "solid arrows: " + " then ".join(c[:2] for c in FAST_TRACK) + ".")


def draw_learning_path(path: Path) -> None:
    """Write the learning-path figure as SVG (boxes for chapters, arrows for 'builds on')."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    fast_edges = set(zip(FAST_TRACK, FAST_TRACK[1:]))
    columns = max(x for x, _ in LAYOUT.values()) + 1
    fig, ax = plt.subplots(figsize=(1.6 * columns, 4.2))
    ax.set_xlim(-0.6, columns - 0.4)
    ax.set_ylim(-1.2, 2.6)  # room above the top row for the arc from 01 to 07
    ax.invert_yaxis()
    ax.axis("off")
    width, height = 0.86, 0.62

    def centre(chapter):
        return LAYOUT[chapter]

    boxes = {}
    for chapter, (x, y) in LAYOUT.items():
        fast = chapter in FAST_TRACK
        boxes[chapter] = ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                    boxstyle="round,pad=0.02", linewidth=2.4 if fast else 1.0,
                                    edgecolor="#0072B2" if fast else "#555555",
                                    facecolor="#DCEBF5" if fast else "#FFFFFF", zorder=2))
        ax.text(x, y - 0.16, chapter[:2], ha="center", va="center", fontsize=11, weight="bold", zorder=3)
        ax.text(x, y + 0.09, TITLES[chapter], ha="center", va="center", fontsize=7.5, linespacing=1.1, zorder=3)
    for chapter, needs in PREREQUISITES.items():
        for need in needs:
            fast = (need, chapter) in fast_edges
            (x0, y0), (x1, y1) = centre(need), centre(chapter)
            # An arrow that jumps over a column bends around the boxes between its ends.
            bend = 0.0 if abs(x1 - x0) <= 1 or y1 != y0 else -0.25
            ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=14,
                                         patchA=boxes[need], patchB=boxes[chapter], shrinkA=2, shrinkB=2, linewidth=2.6 if fast else 1.0,
                                         linestyle="-" if fast else (0, (4, 3)),
                                         color="#0072B2" if fast else "#555555",
                                         connectionstyle=f"arc3,rad={bend}", zorder=1))
    for a, b in fast_edges:  # fast-track steps that skip a chapter (02 -> 03 is both)
        if a not in PREREQUISITES[b]:
            (x0, y0), (x1, y1) = centre(a), centre(b)
            ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=14,
                                         patchA=boxes[a], patchB=boxes[b], shrinkA=2, shrinkB=2,
                                         linewidth=2.6, color="#0072B2",
                                         connectionstyle="arc3,rad=0.3", zorder=1))
    ax.text(-0.55, 2.5, "thick blue boxes and arrows: the fast track to a GPT;  dashed grey arrows: "
            "also builds on", fontsize=8, va="bottom")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    # No text-to-path conversion and no timestamp: the SVG is the same on every build.
    fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)


PROFILE_NOTES = {
    "smoke": "every cell in seconds, what CI and grading run",
    "cpu": "a laptop without a CUDA GPU",
    "gpu": "a CUDA GPU",
}


def times_table(record: dict, chapters: list[str]) -> str:
    """Markdown: one row per chapter, one column per profile, from the build record."""
    profiles = ["smoke", "cpu", "gpu"]
    lines = ["| chapter | " + " | ".join(f"`{p}` profile" for p in profiles) + " |",
             "| --- | " + " | ".join("---:" for _ in profiles) + " |"]
    totals = {p: 0.0 for p in profiles}
    complete = {p: True for p in profiles}
    for chapter in chapters:
        cells = []
        for profile in profiles:
            entry = record.get(chapter, {}).get(profile)
            if entry is None:
                cells.append("not measured")
                complete[profile] = False
            else:
                totals[profile] += entry["seconds"]
                cells.append(_duration(entry["seconds"]))
        lines.append(f"| {chapter} | " + " | ".join(cells) + " |")
    lines.append("| **all chapters** | " + " | ".join(
        f"**{_duration(totals[p])}**" if complete[p] else "—" for p in profiles) + " |")
    notes = [f"- `{p}`: {PROFILE_NOTES[p]}; measured on {m}, last on {d}." for p, m, d in
             _latest_per_profile(record)]
    if not record:
        notes = ["- Nothing measured yet: run `make book`."]
    return ("\n".join(lines) + "\n\nEach figure is the time one run of the chapter's reference notebook took "
            "while this book was built (all cells, executed by `tools/build_book.py`), read from "
            "`book/build-times.json`. Working through a chapter yourself takes longer: the time above is the "
            "computer's share.\n\n" + "\n".join(notes) + "\n")


def _latest_per_profile(record: dict) -> list[tuple[str, str, str]]:
    latest: dict[str, tuple[str, str]] = {}
    for chapter in record.values():
        for profile, entry in chapter.items():
            if profile not in latest or entry["date"] > latest[profile][1]:
                latest[profile] = (entry["machine"], entry["date"][:10])
    return [(p, m, d) for p, (m, d) in sorted(latest.items())]


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def read_record(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
