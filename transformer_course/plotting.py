"""Figures used across chapters: attention heatmaps and training curves.

Importing this module sets the course's figure style, chosen so that every figure reads in
grey and with a colour-vision deficiency:

* heatmaps use ``viridis`` (``COURSE_CMAP``): perceptually uniform (equal steps in value look
  like equal steps in colour), monotonic in lightness, so it survives greyscale printing, and
  distinguishable with deuteranopia, protanopia and tritanopia;
* curves cycle through the Okabe-Ito palette, designed for colour-blind readers, *and* through
  line styles, so two curves differ even where two colours look alike or in grey.

``describe_figure`` writes a figure's text alternative (titles, axes, what is drawn); the book's
build uses it as the ``alt`` text of every figure.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler

COURSE_CMAP = "viridis"
# Okabe & Ito (2008), "Color Universal Design": black first, then the seven colours.
OKABE_ITO = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 2, 1, 2)))
# The order curves take them in: blue and vermillion first (they differ in lightness as well as
# hue), black late (a default bar chart in black is heavy), yellow last (faint on white as a thin line).
CURVE_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000", "#F0E442")


def course_style() -> dict:
    """The rcParams the course sets: the default colormap and a colour-blind-safe curve cycle."""
    return {
        "image.cmap": COURSE_CMAP,
        "axes.prop_cycle": cycler(color=CURVE_COLOURS) + cycler(linestyle=LINE_STYLES),
    }


def use_course_style() -> None:
    """Apply ``course_style()`` to matplotlib (done once when this module is imported)."""
    mpl.rcParams.update(course_style())


use_course_style()


def _as_numpy(matrix) -> np.ndarray:
    if hasattr(matrix, "detach"):
        matrix = matrix.detach().float().cpu().numpy()
    return np.asarray(matrix)


def heatmap(matrix, *, row_labels: Sequence[str] | None = None, col_labels: Sequence[str] | None = None,
            title: str = "", ax=None, cmap: str = COURSE_CMAP, colorbar: bool = True,
            xlabel: str = "", ylabel: str = ""):
    """Draw a 2-D array (attention weights, encodings) with optional token labels."""
    values = _as_numpy(matrix)
    if values.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D array, got shape {values.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(min(12, 1 + 0.45 * values.shape[1]) if col_labels else 6,
                                      min(10, 1 + 0.45 * values.shape[0]) if row_labels else 4.5))
    image = ax.imshow(values, cmap=cmap, aspect="auto")
    if row_labels is not None:
        ax.set_yticks(range(len(row_labels)), labels=list(row_labels))
    if col_labels is not None:
        ax.set_xticks(range(len(col_labels)), labels=list(col_labels), rotation=60, ha="right")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_curves(curves: Mapping[str, Sequence[float]] | Mapping[str, tuple[Sequence[float], Sequence[float]]],
                *, title: str = "", xlabel: str = "step", ylabel: str = "loss", logy: bool = False, ax=None):
    """Plot named curves. A value is either ``ys`` or ``(xs, ys)``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    for name, values in curves.items():
        if isinstance(values, tuple) and len(values) == 2:
            xs, ys = values
        else:
            ys = list(values)
            xs = range(len(ys))
        ax.plot(list(xs), list(ys), label=name)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if len(curves) > 1:
        ax.legend()
    return ax


def _axes_description(ax) -> str:
    """One sentence about one panel: its title, axis labels and what is drawn in it."""
    parts = []
    title = ax.get_title() or ax.get_title("left") or ax.get_title("right")
    if title:
        parts.append(f"'{title}'")
    images = ax.get_images()
    if images:
        shape = images[0].get_array().shape
        cmap = images[0].get_cmap().name
        parts.append(f"a {shape[0]}x{shape[1]} heatmap ({cmap} colour scale)")
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    if labels:
        parts.append("curves: " + ", ".join(labels))
    elif ax.get_lines():
        parts.append(f"{len(ax.get_lines())} line(s)")
    if ax.patches and not images:
        parts.append(f"{len(ax.patches)} bars or patches")
    if ax.collections and not images:
        parts.append("points or filled areas")
    xlabel, ylabel = ax.get_xlabel(), ax.get_ylabel()
    if xlabel or ylabel:
        parts.append(f"x axis: {xlabel or 'unlabelled'}; y axis: {ylabel or 'unlabelled'}")
    return ", ".join(parts)


def describe_figure(fig) -> str:
    """A text alternative for a figure: its title, then one clause per panel (colour bars skipped)."""
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.get_visible()]
    described = [d for d in (_axes_description(ax) for ax in panels) if d]
    suptitle = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
    head = f"Figure '{suptitle}'" if suptitle else "Figure"
    if not described:
        return head
    if len(described) == 1:
        return f"{head}: {described[0]}."
    return f"{head} with {len(described)} panels: " + "; ".join(
        f"({i}) {d}" for i, d in enumerate(described, start=1)) + "."
