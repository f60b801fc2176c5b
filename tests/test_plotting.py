"""The course's figure style (colour-blind-safe, readable in grey) and the figures' text alternatives."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from transformer_course import plotting  # noqa: E402


def test_importing_the_helpers_sets_a_perceptually_uniform_map_and_a_safe_curve_cycle():
    assert matplotlib.rcParams["image.cmap"] == "viridis"
    cycle = list(matplotlib.rcParams["axes.prop_cycle"])
    assert [c["color"] for c in cycle] == list(plotting.CURVE_COLOURS)
    assert sorted(plotting.CURVE_COLOURS) == sorted(plotting.OKABE_ITO)
    # In grey, curves still differ: every curve of the cycle has its own line style.
    styles = [str(c["linestyle"]) for c in cycle]
    assert len(set(styles)) == len(styles) == 8


def test_heatmap_uses_the_course_map_by_default():
    ax = plotting.heatmap(np.arange(6.0).reshape(2, 3))
    assert ax.get_images()[0].get_cmap().name == plotting.COURSE_CMAP == "viridis"
    plt.close(ax.figure)


def test_curves_differ_in_colour_and_in_line_style():
    ax = plotting.plot_curves({"train": [3, 2, 1], "validation": [3, 2.5, 2]})
    first, second = ax.get_lines()
    assert first.get_color() != second.get_color() and first.get_linestyle() != second.get_linestyle()
    plt.close(ax.figure)


def test_describe_figure_names_titles_axes_and_what_is_drawn():
    fig, axes = plt.subplots(1, 2)
    plotting.heatmap(np.random.rand(3, 4), ax=axes[0], title="weights", xlabel="key", ylabel="query")
    plotting.plot_curves({"train": [3, 2, 1], "val": [3, 2.5, 2]}, ax=axes[1], title="loss")
    fig.suptitle("Attention")
    text = plotting.describe_figure(fig)
    assert text == ("Figure 'Attention' with 2 panels: (1) 'weights', a 3x4 heatmap (viridis colour scale), "
                    "x axis: key; y axis: query; (2) 'loss', curves: train, val, x axis: step; y axis: loss.")
    plt.close(fig)


@pytest.mark.parametrize("draw, expected", [
    (lambda ax: ax.bar([1, 2], [3, 4]), "Figure: 2 bars or patches."),
    (lambda ax: ax.plot([1, 2]), "Figure: 1 line(s)."),
    (lambda ax: None, "Figure"),
])
def test_describe_figure_without_titles(draw, expected):
    fig, ax = plt.subplots()
    draw(ax)
    assert plotting.describe_figure(fig) == expected
    plt.close(fig)
