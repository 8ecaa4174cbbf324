"""Interactive explorers for the notebooks (ipywidgets), each built on a plain, unit-tested callback.

Pattern: ``<name>_view(...)`` is a pure function (arrays in, arrays/numbers out) that the tests check;
``<name>_widget(...)`` wires it to sliders. A notebook cell that shows a widget also draws a static
figure from the same callback, so the notebook reads on GitHub and under nbval.
"""

from __future__ import annotations

# --- window/level explorer (notebook 01; engineer A) ---


def window_level_view(hu, center: float, width: float) -> tuple:
    """Callback of the window/level explorer: ``(display image in [0, 1], caption)``.

    Pure function (no widgets, no plotting) so that the tests can check it: the image is
    ``medtutor.imaging.apply_window(hu, center, width)`` and the caption names the HU range shown
    between black and white, which is what a radiologist reads off a window setting.
    """
    from medtutor.imaging import apply_window, window_bounds

    image = apply_window(hu, center, width)
    low, high = window_bounds(center, width)
    caption = f"C={float(center):g} W={float(width):g}: black <= {low:.0f} HU, white > {high:.0f} HU"
    return image, caption


def window_level_widget(hu, center: float = 40.0, width: float = 400.0, presets=None):
    """Sliders for window center and width plus a preset menu over a CT image in HU (ipywidgets).

    Returns the ``ipywidgets.VBox``; display it as the last expression of a cell. Every redraw calls
    :func:`window_level_view`, the tested callback.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    import numpy as np

    from medtutor.imaging import WINDOW_PRESETS

    hu = np.asarray(hu)
    if hu.ndim != 2:
        raise ValueError(
            f"window_level_widget expects one 2-D slice in HU, got shape {hu.shape}; pass hu[k] for a volume."
        )
    presets = dict(WINDOW_PRESETS if presets is None else presets)
    preset = widgets.Dropdown(options=["(custom)", *presets], value="(custom)", description="preset")
    c_slider = widgets.FloatSlider(value=center, min=-1100, max=1500, step=10, description="center (HU)")
    w_slider = widgets.FloatSlider(value=width, min=1, max=4000, step=10, description="width (HU)")
    out = widgets.Output()

    def redraw(*_):
        image, caption = window_level_view(hu, c_slider.value, w_slider.value)
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(4, 4))
            ax.imshow(image, cmap="gray", vmin=0, vmax=1)
            ax.set_title(caption, fontsize=8)
            ax.axis("off")
            plt.show()

    def on_preset(change):
        if change["new"] in presets:
            c_slider.value, w_slider.value = presets[change["new"]]

    preset.observe(on_preset, names="value")
    c_slider.observe(redraw, names="value")
    w_slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([preset, c_slider, w_slider, out])
