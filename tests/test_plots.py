"""Unit tests for medtutor.plots, the course figure style (issue 17)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from medtutor import plots  # noqa: E402


def test_course_style_sets_readable_sizes_and_grey_images():
    with plots.course_style():
        assert plt.rcParams["font.size"] >= 10
        assert plt.rcParams["image.cmap"] == "gray"
        assert plt.rcParams["legend.fontsize"] >= 9
    with plt.rc_context({"font.size": 6}):
        plots.use_course_style()
        assert plt.rcParams["font.size"] == plots.COURSE_RCPARAMS["font.size"]


def test_setup_applies_course_style():
    import medtutor

    with plt.rc_context({"image.cmap": "viridis", "font.size": 6}):
        medtutor.setup(seed=0, quiet=True)
        assert plt.rcParams["image.cmap"] == "gray"
        assert plt.rcParams["font.size"] == plots.COURSE_RCPARAMS["font.size"]


@pytest.mark.parametrize(
    "background, expected",
    [
        ((0.03, 0.19, 0.42), "white"),  # dark navy (the unreadable "TP" cell of issue 17)
        ((0.40, 0.0, 0.12), "white"),  # dark red (the sharpen kernel's centre)
        ((0.97, 0.97, 0.97), "black"),
        ("yellow", "black"),
        ("black", "white"),
    ],
)
def test_text_color_for_picks_the_contrasting_colour(background, expected):
    assert plots.text_color_for(background) == expected


def test_contrast_ratio_known_values():
    assert plots.contrast_ratio((0, 0, 0), (1, 1, 1)) == pytest.approx(21.0)
    assert plots.contrast_ratio((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)) == pytest.approx(1.0)


def test_relative_luminance_rejects_bad_colour():
    with pytest.raises(ValueError, match="0..1"):
        plots.relative_luminance((0, 128, 255))


def test_annotate_cells_text_is_readable_on_every_cell():
    kernel = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float)
    fig, ax = plt.subplots()
    image = ax.imshow(kernel, cmap="RdBu_r", vmin=-5, vmax=5)
    plots.annotate_cells(ax, image, kernel, fmt="{:.0f}")
    assert len(ax.texts) == kernel.size
    for text in ax.texts:
        r, c = int(round(text.get_position()[1])), int(round(text.get_position()[0]))
        cell = image.cmap(image.norm(kernel[r, c]))
        assert plots.contrast_ratio(cell, matplotlib.colors.to_rgb(text.get_color())) >= 4.5
    centre = [t for t in ax.texts if t.get_text() == "5"][0]
    assert centre.get_color() == "white"
    plt.close(fig)


def test_annotate_cells_rejects_1d_values():
    fig, ax = plt.subplots()
    image = ax.imshow(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="2-D"):
        plots.annotate_cells(ax, image, np.zeros(4))
    plt.close(fig)


def test_symmetric_limits():
    assert plots.symmetric_limits(np.array([-0.2, 3.0]), np.array([[-4.0]])) == (-4.0, 4.0)
    assert plots.symmetric_limits(np.zeros(3)) == (-1.0, 1.0)
    assert plots.symmetric_limits(np.array([np.nan, -2.0])) == (-2.0, 2.0)
    with pytest.raises(ValueError, match="at least one"):
        plots.symmetric_limits()


def test_signed_image_centres_zero_and_labels_colorbar():
    values = np.array([[-1.0, 0.5], [2.0, 0.0]])
    fig, ax = plt.subplots()
    image = plots.signed_image(ax, values, label="response (a.u.)")
    assert image.norm.vmin == -2.0 and image.norm.vmax == 2.0
    assert image.cmap.name == plots.DIVERGING_CMAP
    colorbar_axes = [a for a in fig.axes if a is not ax]
    assert len(colorbar_axes) == 1 and colorbar_axes[0].get_ylabel() == "response (a.u.)"
    shared = plots.signed_image(ax, values, label="x", limit=-5, colorbar=False)
    assert (shared.norm.vmin, shared.norm.vmax) == (-5, 5)
    with pytest.raises(ValueError, match="label"):
        plots.signed_image(ax, values, label=" ")
    plt.close(fig)


def test_heatmap_labels_axes_and_annotates_readably():
    fig, ax = plt.subplots()
    plots.heatmap(ax, np.array([[335, 55], [12, 222]]), "predicted", "true", ["a", "b"], ["a", "b"], cbar=False)
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    texts = {t.get_text(): t.get_color() for t in ax.texts}
    assert set(texts) == {"335", "55", "12", "222"}
    assert matplotlib.colors.to_rgb(texts["335"]) != matplotlib.colors.to_rgb(texts["12"])  # dark vs light cell
    with pytest.raises(ValueError, match="axis labels"):
        plots.heatmap(ax, np.eye(2), "", "true")
    plt.close(fig)


@pytest.mark.parametrize("alt", [None, "", "a plot", 42])
def test_show_refuses_missing_or_empty_alt(alt):
    fig, _ = plt.subplots()
    with pytest.raises(ValueError, match="alt text"):
        plots.show(fig, alt=alt)
    plt.close(fig)


def test_show_refuses_a_non_figure():
    with pytest.raises(TypeError, match="Figure"):
        plots.show(np.zeros(3), alt="four words of alt text")


def test_show_closes_the_figure_outside_ipython():
    fig, _ = plt.subplots()
    plots.show(fig, alt="an empty set of axes for the test")
    assert not plt.fignum_exists(fig.number)


def test_show_displays_png_with_alt_metadata(monkeypatch):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda obj, metadata=None: shown.append((obj, metadata)))
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    plots.show(fig, alt="  a line falling   from one to zero ")
    ((image, metadata),) = shown
    assert image.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert metadata == {"image/png": {"alt": "a line falling from one to zero"}}
    assert not plt.fignum_exists(fig.number)


def _notebook_with_image(metadata: dict) -> nbformat.NotebookNode:
    fig, ax = plt.subplots(figsize=(1, 1))
    png = plots.png_bytes(fig)
    plt.close(fig)
    import base64

    output = nbformat.v4.new_output(
        "display_data", data={"image/png": base64.b64encode(png).decode()}, metadata=metadata
    )
    cell = nbformat.v4.new_code_cell("plots.show(fig, alt=...)", outputs=[output])
    return nbformat.v4.new_notebook(cells=[cell])


def test_html_exporter_keeps_alt_text_and_detector_finds_missing():
    with_alt = _notebook_with_image({"image/png": {"alt": 'ROC curve "above" the diagonal'}})
    html, _ = plots.html_exporter().from_notebook_node(with_alt)
    from bs4 import BeautifulSoup

    assert [img.get("alt") for img in BeautifulSoup(html, "html.parser").find_all("img")] == [
        'ROC curve "above" the diagonal'
    ]
    assert plots.images_without_alt(html) == []
    without, _ = plots.html_exporter().from_notebook_node(_notebook_with_image({}))
    assert len(plots.images_without_alt(without)) == 1


def test_images_without_alt_on_plain_html():
    html = '<img src="a.png"><img alt="" src="b"><img src="c" alt="a chest X-ray">'
    assert len(plots.images_without_alt(html)) == 2
    assert plots.images_without_alt('<IMG alt="No description has been provided for this image">')


def test_side_labels_mark_both_edges_and_refuse_empty_sides():
    fig, ax = plt.subplots()
    ax.imshow(np.zeros((4, 4)))
    plots.side_labels(ax, "R", "L")
    texts = {t.get_text(): t.get_position()[0] for t in ax.texts}
    x0, x1 = ax.get_xlim()  # the image's extent in data units: the letters sit inside it
    assert x0 < texts["R"] < (x0 + x1) / 2 < texts["L"] < x1  # the subject's right at the image's left edge
    with pytest.raises(ValueError, match="two sides"):
        plots.side_labels(ax, "", "L")
    plt.close(fig)
