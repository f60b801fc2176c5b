"""Figures used across chapters: attention heatmaps and training curves."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def _as_numpy(matrix) -> np.ndarray:
    if hasattr(matrix, "detach"):
        matrix = matrix.detach().float().cpu().numpy()
    return np.asarray(matrix)


def heatmap(matrix, *, row_labels: Sequence[str] | None = None, col_labels: Sequence[str] | None = None,
            title: str = "", ax=None, cmap: str = "viridis", colorbar: bool = True,
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
