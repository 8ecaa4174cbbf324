"""Plotting boilerplate shared by the notebooks, kept here so that the lessons stand out.

Every function draws on a given matplotlib ``Axes`` (or makes a figure) and returns it; none of them
computes anything a lesson teaches. This module is the course figure style, in one place:

- :func:`use_course_style` (called by :func:`medtutor.setup`) / :func:`course_style`: font sizes and a
  resolution that read on a laptop screen, grey images by default;
- :func:`text_color_for` / :func:`annotate_cells`: annotation text that stays readable on any cell colour;
- :func:`symmetric_limits` / :func:`signed_image`: a signed map on a diverging colour map with 0 in the
  middle and a labelled colour bar, so "opposite" really looks opposite;
- :func:`heatmap`: a seaborn heatmap with readable counts and labelled axes;
- :func:`side_labels`: the subject's sides ("R", "L") on an image, so radiological and neurological views
  cannot be mistaken for each other;
- :func:`show`: displays a figure with alt text for screen readers and closes it;
- :func:`html_exporter` / :func:`images_without_alt`: render a notebook to HTML keeping that alt text,
  and list the images that still lack one (used by the figure test).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

# Sizes chosen for a 13-15" laptop at 100 % zoom: body text never below 9 pt at 90 dpi.
COURSE_RCPARAMS: dict[str, Any] = {
    "figure.dpi": 90,
    "savefig.dpi": 90,
    "figure.max_open_warning": 0,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 12,
    "axes.grid": False,
    "image.cmap": "gray",  # medical images are grey unless a lesson says otherwise
}
DIVERGING_CMAP = "RdBu_r"  # signed maps: blue negative, white zero, red positive
MIN_ALT_WORDS = 4  # "plot" or "figure" alone says nothing to a screen-reader user


def use_course_style() -> None:
    """Apply the course figure style to every later figure (``medtutor.setup`` calls this)."""
    import matplotlib.pyplot as plt

    plt.rcParams.update(COURSE_RCPARAMS)


@contextlib.contextmanager
def course_style() -> Iterator[None]:
    """The course style inside a ``with`` block only (for scripts and tests that must not change globals)."""
    import matplotlib.pyplot as plt

    with plt.rc_context(COURSE_RCPARAMS):
        yield


def relative_luminance(rgb: Sequence[float]) -> float:
    """WCAG relative luminance (0 black .. 1 white) of an sRGB colour with channels in 0..1."""
    channels = np.asarray(rgb, dtype=float)[:3]
    if channels.shape != (3,) or np.any(channels < 0) or np.any(channels > 1):
        raise ValueError(f"colour must be 3 or 4 numbers in 0..1 (e.g. from a colormap), got {rgb!r}.")
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))


def contrast_ratio(rgb_a: Sequence[float], rgb_b: Sequence[float]) -> float:
    """WCAG contrast ratio (1 .. 21) between two colours; 4.5 is the floor for small text."""
    hi, lo = sorted([relative_luminance(rgb_a), relative_luminance(rgb_b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_color_for(background: Sequence[float] | str) -> str:
    """``"black"`` or ``"white"``, whichever contrasts more with ``background`` (an RGB(A) tuple or a colour name)."""
    from matplotlib.colors import to_rgb

    rgb = to_rgb(background) if isinstance(background, str) else background
    return "black" if contrast_ratio(rgb, (0, 0, 0)) >= contrast_ratio(rgb, (1, 1, 1)) else "white"


def annotate_cells(ax: Any, image: Any, values: np.ndarray, fmt: str = "{:.2g}", fontsize: float = 10) -> Any:
    """Write each value of ``values`` in its cell of ``image`` (an ``AxesImage``), black or white by cell colour."""
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"values must be a 2-D array (one number per cell), got shape {values.shape}.")
    for (r, c), v in np.ndenumerate(values):
        colour = image.cmap(image.norm(v))
        ax.text(c, r, fmt.format(v), ha="center", va="center", fontsize=fontsize, color=text_color_for(colour))
    return ax


def symmetric_limits(*arrays: Any) -> tuple[float, float]:
    """``(-m, m)`` with ``m`` the largest |value| over all arrays, so 0 sits in the middle of a diverging map."""
    if not arrays:
        raise ValueError("symmetric_limits needs at least one array.")
    finite = [np.abs(np.asarray(a, dtype=float)) for a in arrays]
    m = max((float(np.nanmax(a)) if a.size and np.isfinite(a).any() else 0.0) for a in finite)
    m = m if np.isfinite(m) and m > 0 else 1.0  # an all-zero map still gets a usable scale
    return -m, m


def signed_image(
    ax: Any, values: Any, label: str, limit: float | None = None, colorbar: bool = True, **kwargs: Any
) -> Any:
    """Show a signed 2-D map with symmetric limits on :data:`DIVERGING_CMAP` and a labelled colour bar.

    ``label`` names the quantity and its unit (it becomes the colour-bar label); ``limit`` shares one scale
    between several panels (default: this map's own largest |value|). Returns the ``AxesImage``.
    """
    if not label or not str(label).strip():
        raise ValueError("signed_image needs a label (the quantity and its unit) for the colour bar.")
    lo, hi = (-abs(limit), abs(limit)) if limit is not None else symmetric_limits(values)
    image = ax.imshow(values, cmap=kwargs.pop("cmap", DIVERGING_CMAP), vmin=lo, vmax=hi, **kwargs)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=label)
    return image


def heatmap(
    ax: Any,
    matrix: Any,
    xlabel: str,
    ylabel: str,
    xticklabels: Any = "auto",
    yticklabels: Any = "auto",
    annot: Any = True,
    fmt: str = "d",
    cmap: str = "Blues",
    **kwargs: Any,
) -> Any:
    """A seaborn heatmap with labelled axes; seaborn picks black or white annotation text per cell."""
    import seaborn as sns

    if not xlabel or not ylabel:
        raise ValueError("heatmap needs both axis labels (what the rows and columns are).")
    kwargs.setdefault("annot_kws", {"fontsize": 12})
    sns.heatmap(
        np.asarray(matrix),
        annot=annot,
        fmt=fmt,
        cmap=cmap,
        ax=ax,
        xticklabels=xticklabels,
        yticklabels=yticklabels,
        linewidths=1,
        linecolor="white",
        **kwargs,
    )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def _check_alt(alt: Any) -> str:
    """The alt text, stripped; a clear error when it is missing or says nothing."""
    if not isinstance(alt, str) or len(alt.split()) < MIN_ALT_WORDS:
        raise ValueError(
            f"alt text must be a sentence of at least {MIN_ALT_WORDS} words saying what the figure shows "
            f"(for screen readers), got {alt!r}."
        )
    return " ".join(alt.split())


def png_bytes(fig: Any) -> bytes:
    """The figure as PNG bytes, rendered as the inline backend does (tight bounding box, figure dpi)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", dpi=fig.dpi)
    return buffer.getvalue()


def show(fig: Any, alt: str) -> None:
    """Display ``fig`` in the notebook with alt text, then close it (so it is not drawn a second time).

    The PNG is displayed with output metadata ``{"image/png": {"alt": alt}}``: nbconvert's HTML templates
    read alt text from there (the "classic" template, and :func:`html_exporter` for the "lab" one), and
    the text stays in the saved notebook. Outside IPython the figure is only closed.
    """
    import matplotlib.pyplot as plt

    text = _check_alt(alt)
    if fig is None or not hasattr(fig, "savefig"):
        raise TypeError(f"show needs a matplotlib Figure (e.g. from plt.subplots), got {type(fig).__name__}.")
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:  # pragma: no cover - IPython ships with Jupyter
        get_ipython = None  # type: ignore[assignment]
    if get_ipython is not None and get_ipython() is not None:
        display(Image(data=png_bytes(fig), format="png"), metadata={"image/png": {"alt": text}})
    plt.close(fig)


_LAB_WITH_ALT = """{%- extends 'lab/index.html.j2' -%}
{% block data_png scoped %}
{%- set description = output | get_metadata('alt', 'image/png') or cell | get_metadata('alt') -%}
{%- if description %}
{{ super() | replace('<img ', '<img alt="' ~ (description | escape_html) ~ '" ', 1) }}
{%- else %}
{{ super() }}
{%- endif %}
{% endblock data_png %}
"""


def html_exporter() -> Any:
    """nbconvert's HTMLExporter with the "lab" template, taught to keep PNG alt text from output metadata.

    nbconvert's "classic" template reads ``alt`` from the output's ``image/png`` metadata (or the cell's),
    but its "lab" template (the default) does not, so every image got nbconvert's placeholder
    "No description has been provided for this image" and a warning. This adds exactly that one attribute.
    """
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", raw_template=_LAB_WITH_ALT)


_PLACEHOLDER = "No description has been provided for this image"


def images_without_alt(html: str) -> list[str]:
    """The ``<img>`` tags of rendered HTML that have no real alt text (missing, empty or nbconvert's placeholder)."""
    from bs4 import BeautifulSoup  # nbconvert's own HTML parser dependency

    bad = []
    for tag in BeautifulSoup(html, features="html.parser").find_all("img"):
        alt = (tag.get("alt") or "").strip()
        if not alt or alt == _PLACEHOLDER:
            bad.append(str(tag)[:80])
    return bad


def side_labels(ax: Any, left: str, right: str, fontsize: float = 11) -> Any:
    """Write the subject's side at the left and right edges of an image panel, e.g. ``left="R", right="L"``.

    Why: a radiological view (the subject's right on the image's left) and a neurological one look alike, and
    a lesion "on the left" means opposite things in them. White letters with a dark outline read on any image.
    The letters are placed in data coordinates (inside the image's x-range), not at the axes' edges, so they
    stay on the image when the axes box is wider than the image.
    """
    import matplotlib.patheffects as effects
    from matplotlib.transforms import blended_transform_factory

    if not (isinstance(left, str) and left.strip() and isinstance(right, str) and right.strip()):
        raise ValueError(f"side_labels needs the two sides as short text such as 'R' and 'L', got {left!r}, {right!r}.")
    outline = [effects.withStroke(linewidth=2.5, foreground="black")]
    x0, x1 = ax.get_xlim()
    inside = blended_transform_factory(ax.transData, ax.transAxes)  # x in data units, y in axes fraction
    for x, ha, text in ((x0 + 0.02 * (x1 - x0), "left", left), (x1 - 0.02 * (x1 - x0), "right", right)):
        ax.text(
            x,
            0.5,
            text,
            transform=inside,
            ha=ha,
            va="center",
            color="white",
            fontsize=fontsize,
            fontweight="bold",
            path_effects=outline,
        )
    return ax
