"""Interactive explorers for the notebooks (ipywidgets), each built on a plain, unit-tested callback.

Pattern: ``<name>_view(...)`` is a pure function (arrays in, arrays/numbers out) that the tests check;
``<name>_widget(...)`` wires it to sliders. A notebook cell that shows a widget also draws a static
figure from the same callback, so the notebook reads on GitHub and under nbval.
"""

from __future__ import annotations

from typing import Any

# --- window/level explorer (notebook 01) ---


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
            ax.set_title(caption, fontsize=9)
            ax.axis("off")
            _show_with_alt(f"The CT slice through a window: {caption}.")

    def on_preset(change):
        if change["new"] in presets:
            c_slider.value, w_slider.value = presets[change["new"]]

    preset.observe(on_preset, names="value")
    c_slider.observe(redraw, names="value")
    w_slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([preset, c_slider, w_slider, out])


# --- kernel playground (notebook 04) ---

PLAYGROUND_KERNELS: dict[str, tuple[tuple[float, ...], ...]] = {
    "identity": ((0, 0, 0), (0, 1, 0), (0, 0, 0)),
    "box blur": ((1 / 9, 1 / 9, 1 / 9), (1 / 9, 1 / 9, 1 / 9), (1 / 9, 1 / 9, 1 / 9)),
    "Gaussian blur": ((1 / 16, 2 / 16, 1 / 16), (2 / 16, 4 / 16, 2 / 16), (1 / 16, 2 / 16, 1 / 16)),
    "sharpen": ((0, -1, 0), (-1, 5, -1), (0, -1, 0)),
    "edge: Sobel x": ((1, 0, -1), (2, 0, -2), (1, 0, -1)),
    "edge: Sobel y": ((1, 2, 1), (0, 0, 0), (-1, -2, -1)),
    "edge: Laplacian": ((0, 1, 0), (1, -4, 1), (0, 1, 0)),
}
"""Classic hand-designed 3 x 3 kernels of the notebook 04 playground (used as true convolutions)."""


def kernel_playground_view(image, kernel="sharpen"):
    """Callback of the kernel playground: ``image`` convolved with ``kernel``, same size, float32.

    ``kernel`` is a name from :data:`PLAYGROUND_KERNELS` or any 2-D array of odd size. It is a true
    convolution (kernel flipped, as taught in notebook 04) with mirrored borders, so the output has the
    image's size and no dark frame. Pure function (no widgets, no plotting) so that the tests can check it.
    """
    import numpy as np
    import scipy.signal

    img = np.asarray(image)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim != 2:
        raise ValueError(
            f"kernel_playground_view expects one 2-D grey image, got shape {img.shape}; pass x[i] for a batch."
        )
    if not np.issubdtype(img.dtype, np.number) or np.issubdtype(img.dtype, np.complexfloating):
        raise TypeError(f"image must hold real numbers, got dtype {img.dtype}.")
    img = img.astype(np.float32)
    if not np.all(np.isfinite(img)):
        raise ValueError("image contains NaN or infinity; clean it (e.g. np.nan_to_num) before filtering.")
    if isinstance(kernel, str):
        if kernel not in PLAYGROUND_KERNELS:
            raise ValueError(
                f"unknown kernel {kernel!r}; choose one of {list(PLAYGROUND_KERNELS)} or pass a 2-D array."
            )
        kernel = PLAYGROUND_KERNELS[kernel]
    k = np.asarray(kernel, dtype=np.float32)
    if k.ndim != 2 or k.shape[0] % 2 == 0 or k.shape[1] % 2 == 0:
        raise ValueError(f"kernel must be a 2-D array with odd sides (e.g. 3 x 3), got shape {k.shape}.")
    if not np.all(np.isfinite(k)):
        raise ValueError("kernel contains NaN or infinity.")
    if k.shape[0] > img.shape[0] or k.shape[1] > img.shape[1]:
        raise ValueError(f"kernel {k.shape} is larger than the image {img.shape}; use a smaller kernel.")
    out = scipy.signal.convolve2d(img, k, mode="same", boundary="symm")
    return out.astype(np.float32)


def kernel_playground_widget(images, kernel="sharpen"):
    """A kernel menu and an image slider over a stack of grey images (ipywidgets).

    Shows the image, the filtered image and the kernel's weights; every redraw calls
    :func:`kernel_playground_view`, the tested callback. Returns the ``ipywidgets.VBox``.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    import numpy as np

    stack = np.asarray(images)
    if stack.ndim == 4 and stack.shape[-1] == 1:
        stack = stack[..., 0]
    if stack.ndim != 3 or len(stack) == 0:
        raise ValueError(f"kernel_playground_widget expects a stack of 2-D images (N, H, W), got shape {stack.shape}.")
    menu = widgets.Dropdown(options=list(PLAYGROUND_KERNELS), value=kernel, description="kernel")
    index = widgets.IntSlider(value=0, min=0, max=len(stack) - 1, description="image")
    out = widgets.Output()

    def redraw(*_):
        filtered = kernel_playground_view(stack[index.value], menu.value)
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 3, figsize=(8, 2.8))
            axes[0].imshow(stack[index.value], cmap="gray")
            axes[0].set_title("image", fontsize=9)
            axes[1].imshow(filtered, cmap="gray")
            axes[1].set_title(menu.value, fontsize=9)
            weights = np.asarray(PLAYGROUND_KERNELS[menu.value])
            shown = axes[2].imshow(weights, cmap="RdBu_r", vmin=-5, vmax=5)
            from medtutor.plots import annotate_cells

            annotate_cells(axes[2], shown, weights, fmt="{:.2g}", fontsize=10)  # black or white per cell
            axes[2].set_title("kernel", fontsize=9)
            for ax in axes:
                ax.axis("off")
            _show_with_alt(f"Image {index.value}, its {menu.value} filtering and the 3 x 3 kernel with its weights.")

    menu.observe(redraw, names="value")
    index.observe(redraw, names="value")
    redraw()
    return widgets.VBox([menu, index, out])


# --- volume viewer (notebook 11) ---


def volume_slices_view(volume, z: int, y: int, x: int) -> tuple:
    """Callback of the 3-plane volume viewer: ``(slices dict, caption)`` through the point (z, y, x).

    Pure function (no widgets, no plotting) so that the tests can check it: the slices are
    :func:`medtutor.volumes.orthogonal_slices` (``axial = volume[z]``, ``coronal = volume[:, y]``,
    ``sagittal = volume[:, :, x]``) and the caption names the point and its value, which is what a
    reader scrolling through a CT needs to know where they are.
    """
    from medtutor.volumes import orthogonal_slices

    slices = orthogonal_slices(volume, (z, y, x))
    value = slices["axial"][int(y), int(x)]
    caption = f"(z, y, x) = ({int(z)}, {int(y)}, {int(x)}), value {float(value):.3g}"
    return slices, caption


def volume_slices_widget(volume, title: str = ""):
    """Three sliders (z, y, x) over a 3-D volume showing its axial, coronal and sagittal slices (ipywidgets).

    Returns the ``ipywidgets.VBox``; every redraw calls :func:`volume_slices_view`, the tested callback,
    and draws with :func:`medtutor.volumes.show_orthogonal`.
    """
    import ipywidgets as widgets

    from medtutor.volumes import check_volume, show_orthogonal

    vol = check_volume(volume)
    sliders = [
        widgets.IntSlider(value=n // 2, min=0, max=n - 1, description=axis)
        for axis, n in zip(("z (axial)", "y (coronal)", "x (sagittal)"), vol.shape)
    ]
    out = widgets.Output()

    def redraw(*_):
        z, y, x = (s.value for s in sliders)
        _, caption = volume_slices_view(vol, z, y, x)
        with out:
            out.clear_output(wait=True)
            show_orthogonal(vol, (z, y, x), title=f"{title} {caption}".strip())
            _show_with_alt(f"Axial, coronal and sagittal slices through the volume: {caption}.")

    for s in sliders:
        s.observe(redraw, names="value")
    redraw()
    return widgets.VBox([*sliders, out])


# --- threshold explorer (notebook 08) ---


def threshold_view(y_true, y_prob, threshold: float) -> tuple:
    """Callback of the threshold explorer: ``(numbers dict, caption)`` for calling ``y_prob >= threshold`` positive.

    Pure function (no widgets, no plotting) so that the tests can check it. The dict holds the four counts
    (tp, fp, tn, fn) and :func:`medtutor.metrics.clinical_metrics`; the caption is what a clinician asks
    first: how many diseased cases are missed and how many healthy ones are alarmed at this threshold.
    """
    import numpy as np

    from medtutor.metrics import clinical_metrics, confusion_counts

    t = float(threshold)
    if not np.isfinite(t) or not 0.0 <= t <= 1.0:
        raise ValueError(f"threshold must be a probability in [0, 1] (e.g. 0.5), got {threshold!r}.")
    numbers = clinical_metrics(y_true, y_prob, t)
    prob = np.asarray(y_prob, dtype=float).ravel()
    numbers.update(confusion_counts(np.asarray(y_true).ravel(), (prob >= t).astype(int)))
    caption = (
        f"threshold {t:.2f}: {numbers['fn']} of {numbers['tp'] + numbers['fn']} diseased missed, "
        f"{numbers['fp']} of {numbers['tn'] + numbers['fp']} healthy alarmed | "
        f"sens {_metric_text(numbers['sensitivity'], 'no diseased cases')} "
        f"spec {_metric_text(numbers['specificity'], 'no healthy cases')} "
        f"PPV {_metric_text(numbers['ppv'], 'no positives called')} "
        f"NPV {_metric_text(numbers['npv'], 'no negatives called')}"
    )
    return numbers, caption


def _metric_text(value: float, why_undefined: str) -> str:
    """A ratio as 3 decimals, or 'undefined (<why>)' when its denominator is zero (nan), never 'nan'."""
    import math

    return f"undefined: {why_undefined}" if math.isnan(value) else f"{value:.3f}"


#: Slider layout for probabilities 0-1 in steps of 0.01: wide enough to hit every step with a mouse.
WIDE_SLIDER = {"layout": {"width": "560px"}, "style": {"description_width": "90px"}}


def _wide_slider(kind: Any, **kwargs: Any) -> Any:
    """An ipywidgets slider of class ``kind`` with the WIDE_SLIDER layout that updates on release (one redraw)."""
    import ipywidgets as widgets

    return kind(
        continuous_update=False, layout=widgets.Layout(**WIDE_SLIDER["layout"]), style=WIDE_SLIDER["style"], **kwargs
    )


def threshold_figure(y_true, y_prob, threshold: float, class_names=("negative", "positive")):
    """Draw the threshold explorer's figure: score histograms per class, and the ROC with this operating point.

    Used by :func:`threshold_widget` and, for a static copy that reads on GitHub, directly in notebook 08.
    Returns the matplotlib figure.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import roc_curve

    numbers, caption = threshold_view(y_true, y_prob, threshold)
    y = np.asarray(y_true).ravel().astype(int)
    p = np.asarray(y_prob, dtype=float).ravel()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
    bins = np.linspace(0, 1, 26)
    for label, color in ((0, "tab:blue"), (1, "tab:red")):
        ax1.hist(p[y == label], bins=bins, alpha=0.55, color=color, label=f"{class_names[label]} (y={label})")
    ax1.axvline(threshold, color="k", ls="--", lw=1)
    ax1.set_xlabel("predicted probability")
    ax1.set_ylabel("cases")
    ax1.legend(loc="upper center")  # confident scores pile up at both ends: the middle is free
    fpr, tpr, _ = roc_curve(y, p)
    ax2.plot(fpr, tpr, color="tab:gray")
    ax2.plot(1 - numbers["specificity"], numbers["sensitivity"], "ko")
    ax2.plot([0, 1], [0, 1], ":", color="tab:gray", lw=0.8)
    ax2.set_xlabel("1 - specificity")
    ax2.set_ylabel("sensitivity")
    ax2.set_aspect("equal")
    fig.suptitle(caption, fontsize=10)
    fig.tight_layout()
    return fig


def threshold_widget(y_true, y_prob, threshold: float = 0.5, class_names=("negative", "positive")):
    """A threshold slider over a model's scores (ipywidgets): the counts, metrics and ROC point follow it.

    Every redraw calls :func:`threshold_view` (the tested callback) through :func:`threshold_figure`.
    Returns the ``ipywidgets.VBox``; display it as the last expression of a cell.
    """
    import ipywidgets as widgets

    threshold_view(y_true, y_prob, threshold)  # validate the inputs once, with a clear error
    slider = _wide_slider(
        widgets.FloatSlider, value=float(threshold), min=0.0, max=1.0, step=0.01, description="threshold"
    )
    out = widgets.Output()

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            threshold_figure(y_true, y_prob, slider.value, class_names)
            _show_with_alt(f"Score histograms and ROC point at threshold {slider.value:.2f}.")

    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([slider, out])


# --- diagnosis assistant (notebook 16) ---


def diagnosis_assistant_view(
    model,
    source,
    threshold: float,
    prevalence: float,
    y_true,
    y_prob,
    temperature: float = 1.0,
    n_samples: int = 50,
    seed: int = 0,
    ood=None,
) -> dict:
    """Callback of the diagnosis assistant: everything the app shows for one case, as a dict.

    ``source`` is a 28x28 uint8 test image or a user file (path, bytes or a FileUpload item, read by
    :func:`medtutor.app.load_image`). ``y_true``/``y_prob`` are the test labels and calibrated probabilities
    that place the operating point on the ROC curve. A file the app cannot use gives
    ``{"error": <message for the user>}`` instead of a traceback; otherwise the dict holds the input image,
    the calibrated probability and its MC-dropout interval, the Grad-CAM heatmap, the operating point
    (sensitivity, specificity, PPV/NPV at ``prevalence``) and the referral suggestion. With an ``ood``
    detector (:func:`medtutor.app.fit_ood_detector`) an input unlike the training X-rays gets no diagnosis:
    ``view["ood"]["flagged"]`` is True and the suggestion says why (see :func:`medtutor.app.analyse_case`).
    """
    import numpy as np

    from medtutor import app

    op = app.operating_point(y_true, y_prob, threshold, prevalence)
    info: dict = {"warnings": []}
    if isinstance(source, np.ndarray) and source.dtype == np.uint8 and source.shape == (28, 28):
        image = source
    else:
        try:
            image, info = app.load_image(source)
        except app.AppInputError as err:
            return {"error": str(err), "op": op}
    case = app.analyse_case(
        model, image, temperature=temperature, threshold=threshold, n_samples=n_samples, seed=seed, ood=ood
    )
    return {"error": None, **case, "op": op, "warnings": info.get("warnings", [])}


def _suggestion_headline(view: dict) -> tuple[str, str]:
    """The app's main message in a few words, and its colour: what a user must read first."""
    if view.get("error"):
        return "CANNOT ANALYSE THIS FILE", "darkred"
    if view.get("ood", {}).get("flagged"):
        return "NO DIAGNOSIS: not a chest X-ray like the training images", "darkorange"
    text = view["suggestion"]
    head = "REFER for review" if text.startswith("REFER") else "NO REFERRAL suggested"
    if "UNCERTAIN" in text:
        head += " - UNCERTAIN, look closely"
    return head, ("tab:red" if text.startswith("REFER") else "tab:blue")


def diagnosis_assistant_figure(view: dict, y_true, y_prob):
    """Draw a :func:`diagnosis_assistant_view` result: the suggestion in large text first, then the evidence.

    Top: the suggestion (large, coloured) and its explanation; below: input, Grad-CAM, probability with its
    MC-dropout interval, ROC point. Used by :func:`diagnosis_assistant_widget` and, as a static copy, in
    notebook 16. Returns the figure.
    """
    import textwrap

    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import roc_curve

    from medtutor.app import NOTICE
    from medtutor.explain import overlay

    head, colour = _suggestion_headline(view)
    if view.get("error"):
        fig, ax = plt.subplots(figsize=(10, 2.0))
        ax.axis("off")
        ax.text(0, 0.8, head, fontsize=18, weight="bold", color=colour, va="center")
        ax.text(0, 0.3, "\n".join(textwrap.wrap(view["error"], 100)), fontsize=11, va="center")
        return fig
    op = view["op"]
    fig = plt.figure(figsize=(12, 5.2))
    grid = fig.add_gridspec(2, 4, height_ratios=[0.9, 2.2], width_ratios=[1, 1, 1.1, 1.1])
    top = fig.add_subplot(grid[0, :])
    top.axis("off")
    top.text(0, 0.85, head, fontsize=20, weight="bold", color=colour, va="center")
    detail = view["suggestion"].replace(NOTICE, "").strip()
    if view["warnings"]:
        detail += " Note: " + " ".join(view["warnings"])
    top.text(0, 0.35, "\n".join(textwrap.wrap(detail, 140)), fontsize=10, va="center")
    top.text(0, -0.05, NOTICE, fontsize=8, color="dimgray", va="center")
    if view.get("ood", {}).get("flagged"):
        _draw_ood_evidence(fig, grid, view)
        fig.tight_layout()
        return fig
    axes = [fig.add_subplot(grid[1, k]) for k in range(4)]
    axes[0].imshow(view["image"], cmap="gray", vmin=0, vmax=255)
    axes[0].set_title("model input (28x28)", fontsize=10)
    axes[1].imshow(overlay(view["image"].astype(np.float32) / 255.0, view["heatmap"]))
    axes[1].set_title("Grad-CAM: evidence for pneumonia", fontsize=10)
    for ax in axes[:2]:
        ax.axis("off")
    ax = axes[2]
    ax.barh([0], [view["prob"]], color="tab:red" if view["prob"] >= op["threshold"] else "tab:blue", height=0.5)
    # the MC-dropout interval need not contain the dropout-off estimate: draw it as a line, not error bars
    ax.plot([view["low"], view["high"]], [0, 0], color="k", lw=2, marker="|", markersize=14)
    ax.axvline(op["threshold"], color="k", ls="--", lw=1)
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.set_xlabel("calibrated P(pneumonia)\nwith 90 % MC-dropout interval")
    ax.set_title(f"P = {view['prob']:.2f} ({view['low']:.2f}-{view['high']:.2f})", fontsize=10)
    fpr, tpr, _ = roc_curve(np.asarray(y_true).ravel(), np.asarray(y_prob, dtype=float).ravel())
    axes[3].plot(fpr, tpr, color="tab:gray")
    axes[3].plot(op["fpr"], op["tpr"], "ko")
    axes[3].plot([0, 1], [0, 1], ":", color="tab:gray", lw=0.8)
    axes[3].set_xlabel("1 - specificity")
    axes[3].set_ylabel("sensitivity")
    axes[3].set_title(
        f"sens {op['sensitivity']:.2f} spec {op['specificity']:.2f}\nPPV {op['ppv']:.2f} "
        f"NPV {op['npv']:.2f} at prevalence {op['prevalence']:.1%}",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def _draw_ood_evidence(fig, grid, view: dict) -> None:
    """Evidence for a refused input: the image and its feature distance against the limit (no probability,
    no Grad-CAM: showing them would present a diagnosis the app has just refused to make)."""
    ax = fig.add_subplot(grid[1, 0])
    ax.imshow(view["image"], cmap="gray", vmin=0, vmax=255)
    ax.set_title("model input (28x28)", fontsize=10)
    ax.axis("off")
    ax = fig.add_subplot(grid[1, 1:3])
    ood = view["ood"]
    ax.barh([0], [ood["score"]], color="darkorange", height=0.5)
    ax.axvline(ood["threshold"], color="k", ls="--", lw=1.2)
    ax.set_ylim(-0.5, 0.5)
    ax.text(ood["threshold"], 0.32, " limit", fontsize=9, va="center")
    ax.set_xlim(0, max(ood["score"], ood["threshold"]) * 1.15)
    ax.set_yticks([])
    ax.set_xlabel("distance from the training X-rays (Mahalanobis, CNN features)")
    ax.set_title("out of distribution: probability withheld", fontsize=10)


CONFIDENCE_BANDS = ("any", "confident normal", "near the threshold", "confident pneumonia")
"""The model-confidence filters of the app's case list."""


def filter_cases(
    y_true,
    y_prob,
    label: str = "any",
    confidence: str = "any",
    threshold: float = 0.5,
    margin: float = 0.1,
    limit: int = 40,
) -> list:
    """Indices of the test cases matching a true-label and model-confidence filter, ordered by probability.

    ``label`` is "any", "normal" or "pneumonia"; ``confidence`` one of :data:`CONFIDENCE_BANDS`: "near the
    threshold" means ``|p - threshold| <= margin``, the "confident" bands lie beyond it. At most ``limit``
    indices, spread evenly over the matches, so the list stays short enough to read (not 624 entries).
    """
    import numpy as np

    y = np.asarray(y_true).ravel()
    p = np.asarray(y_prob, dtype=float).ravel()
    if len(y) != len(p):
        raise ValueError(f"y_true has {len(y)} cases but y_prob has {len(p)}; pass the same test set.")
    labels = {"any": None, "normal": 0, "pneumonia": 1}
    if label not in labels or confidence not in CONFIDENCE_BANDS:
        raise ValueError(
            f"label must be one of {list(labels)} and confidence one of {list(CONFIDENCE_BANDS)}; "
            f"got {label!r}, {confidence!r}."
        )
    if int(limit) < 1:
        raise ValueError(f"limit must be a positive whole number, got {limit!r}.")
    keep = np.ones(len(y), bool) if labels[label] is None else (y == labels[label])
    if confidence == "confident normal":
        keep &= p < threshold - margin
    elif confidence == "near the threshold":
        keep &= np.abs(p - threshold) <= margin
    elif confidence == "confident pneumonia":
        keep &= p > threshold + margin
    idx = np.flatnonzero(keep)
    idx = idx[np.argsort(p[idx], kind="stable")]
    if len(idx) > limit:
        idx = idx[np.unique(np.linspace(0, len(idx) - 1, int(limit)).round().astype(int))]
    return [int(i) for i in idx]


def diagnosis_assistant_widget(
    model,
    images,
    y_true,
    y_prob,
    temperature: float = 1.0,
    threshold: float = 0.5,
    prevalence: float = 0.05,
    n_samples: int = 50,
    seed: int = 0,
    ood=None,
):
    """The capstone app (ipywidgets): pick a test case or upload a PNG/DICOM, move threshold and prevalence.

    ``images`` (N, 28, 28) uint8 test images with labels ``y_true`` and calibrated probabilities ``y_prob``.
    Cases are picked from a short list filtered by true label and model confidence (:func:`filter_cases`).
    The upload takes any file: DICOM is recognised by its content, so files without an extension work.
    Every redraw calls :func:`diagnosis_assistant_view` (the tested callback, with the same ``seed`` as a
    static copy) and :func:`diagnosis_assistant_figure`. Returns the ``ipywidgets.VBox``.
    """
    import ipywidgets as widgets
    import numpy as np

    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 (N, 28, 28) test images, got {images.dtype} {images.shape}.")
    labels = np.asarray(y_true).ravel()
    probs = np.asarray(y_prob, dtype=float).ravel()
    label_filter = widgets.Dropdown(options=["any", "normal", "pneumonia"], value="any", description="true label")
    conf_filter = widgets.Dropdown(options=list(CONFIDENCE_BANDS), value="any", description="model says")
    case = widgets.Dropdown(description="test case", layout=widgets.Layout(width="360px"))
    # accept="" shows every file: a DICOM exported without an extension must not be hidden (content decides)
    upload = widgets.FileUpload(accept="", multiple=False, description="own file")
    use_upload = widgets.Checkbox(value=False, description="analyse the uploaded file")
    thr = _wide_slider(widgets.FloatSlider, value=threshold, min=0.01, max=0.99, step=0.01, description="threshold")
    prev = _wide_slider(
        widgets.FloatLogSlider,
        value=prevalence,
        base=10,
        min=-3,
        max=-0.05,
        step=0.05,
        description="prevalence",
        readout_format=".3f",
    )
    out = widgets.Output()

    def refill(*_):
        idx = filter_cases(labels, probs, label_filter.value, conf_filter.value, thr.value)
        names = ("normal", "pneumonia")
        case.options = [(f"#{i}: {names[labels[i]]}, P = {probs[i]:.2f}", i) for i in idx] or [
            ("(no case matches)", -1)
        ]

    def redraw(*_):
        if use_upload.value and upload.value:
            source = upload.value[0]
        elif use_upload.value or case.value is None or case.value < 0:
            source = None
        else:
            source = images[case.value]
        with out:
            out.clear_output(wait=True)
            if source is None:
                print("Upload a file first (button 'own file'), or change the filters to list some cases.")
                return
            view = diagnosis_assistant_view(
                model,
                source,
                thr.value,
                prev.value,
                labels,
                probs,
                temperature=temperature,
                n_samples=n_samples,
                seed=seed,
                ood=ood,
            )
            diagnosis_assistant_figure(view, labels, probs)
            _show_with_alt(f"The diagnosis assistant's view: {view['suggestion']}")

    refill()
    for w in (label_filter, conf_filter):
        w.observe(refill, names="value")
    for w in (case, upload, use_upload, thr, prev):
        w.observe(redraw, names="value")
    redraw()
    return widgets.VBox(
        [widgets.HBox([label_filter, conf_filter, case]), widgets.HBox([upload, use_upload]), thr, prev, out]
    )


def triage_figure(y_true, y_prob, k: int):
    """The triage view: positives found among the top-k ranked cases, against random order and a perfect ranking."""
    import matplotlib.pyplot as plt
    import numpy as np

    from medtutor.app import triage

    t = triage(y_prob, y_true, k)
    n = len(t["order"])
    ranks = np.arange(1, n + 1)
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.plot(ranks, t["found_curve"], label="model ranking")
    ax.plot(ranks, ranks * t["total_positives"] / n, ":", label="random order")
    ax.plot(ranks, np.minimum(ranks, t["total_positives"]), "--", color="tab:gray", label="perfect ranking")
    ax.axvline(k, color="k", lw=0.8)
    ax.set_xlabel("cases read, most suspicious first")
    ax.set_ylabel("pneumonia cases found")
    ax.set_title(
        f"top {k}: {t['found']} of {t['total_positives']} positives found "
        f"(random order: {t['random_expected']:.0f} expected)",
        fontsize=9,
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def triage_widget(y_true, y_prob, k: int = 50):
    """A slider over k for :func:`triage_figure` (the tested :func:`medtutor.app.triage` does the work)."""
    import ipywidgets as widgets
    import numpy as np

    n = len(np.asarray(y_true).ravel())
    slider = widgets.IntSlider(value=k, min=1, max=n, step=1, description="top k", continuous_update=False)
    out = widgets.Output()

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            triage_figure(y_true, y_prob, slider.value)
            _show_with_alt(f"Pneumonia cases found against cases read, with the top {slider.value} marked.")

    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([slider, out])


# --- reader study (notebook 08) ---


def reader_study_cases(y_true, n: int = 20, seed: int = 0) -> list:
    """Pick ``n`` test cases for a reader study: half with the disease, half without, in a shuffled order.

    Equal halves give the reader's sensitivity and specificity the same precision (n / 2 cases each);
    seeded, so every student of a class reads the same cases.
    """
    import numpy as np

    y = np.asarray(y_true).ravel()
    if int(n) != n or n < 2 or n % 2:
        raise ValueError(f"n must be an even number >= 2 (half positive, half negative), got {n!r}.")
    rng = np.random.default_rng(seed)
    half = int(n) // 2
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if len(pos) < half or len(neg) < half:
        raise ValueError(f"need at least {half} cases of each class, found {len(pos)} positive, {len(neg)} negative.")
    picked = np.concatenate([rng.choice(pos, half, replace=False), rng.choice(neg, half, replace=False)])
    return [int(i) for i in rng.permutation(picked)]


def reader_study_answer(answers: list, position: int, label) -> tuple:
    """The reader study's button logic: record ``label`` (0, 1 or None to clear) at ``position``, move on.

    Returns ``(new answers list, next position)``; the next position is the first unanswered case after
    this one (wrapping around), or ``len(answers)`` when all are answered. The input list is not changed.
    """
    if label not in (0, 1, None):
        raise ValueError(f"label must be 0 (normal), 1 (disease) or None (clear), got {label!r}.")
    if not 0 <= int(position) < len(answers):
        raise ValueError(f"position must be between 0 and {len(answers) - 1}, got {position!r}.")
    new = list(answers)
    new[int(position)] = label
    n = len(new)
    for step in range(1, n + 1):
        k = (int(position) + step) % n
        if new[k] is None:
            return new, k
    return new, n


def reader_study_view(answers, y_true, other_reader=None, alpha: float = 0.05) -> dict:
    """Score a reader's 0/1 answers against the truth: sensitivity, specificity (Wilson intervals), kappa.

    ``answers`` and ``y_true`` cover the same study cases. ``other_reader`` (optional, same cases) is another
    reader's (or a model's) answers: Cohen's kappa with it says how far the two agree beyond chance,
    whether or not they are right. Unanswered cases (None) make ``complete`` False and are left out.
    """
    import numpy as np

    from medtutor.metrics import cohen_kappa, confusion_counts, wilson_interval

    y = np.asarray(y_true).ravel().astype(int)
    if len(answers) != len(y):
        raise ValueError(f"{len(answers)} answers for {len(y)} cases; answer every case of the study.")
    done = np.array([a is not None for a in answers])
    if not done.any():
        return {"complete": False, "n_answered": 0}
    a = np.array([int(v) for v in np.asarray(answers, dtype=object)[done]])
    if not np.isin(a, (0, 1)).all():
        raise ValueError("answers must be 0 (normal), 1 (disease) or None (not answered yet).")
    yt = y[done]
    counts = confusion_counts(yt, a)
    tp, fp, tn, fn = counts["tp"], counts["fp"], counts["tn"], counts["fn"]
    out = {"complete": bool(done.all()), "n_answered": int(done.sum()), **counts}
    out["sensitivity"] = wilson_interval(tp, tp + fn, alpha) if tp + fn else (float("nan"),) * 3
    out["specificity"] = wilson_interval(tn, tn + fp, alpha) if tn + fp else (float("nan"),) * 3
    out["kappa_truth"] = cohen_kappa(yt, a)
    if other_reader is not None:
        other = np.asarray(other_reader).ravel()
        if len(other) != len(y):
            raise ValueError(f"other_reader has {len(other)} answers for {len(y)} cases; give one per study case.")
        out["kappa_other"] = cohen_kappa(other[done].astype(int), a)
    return out


def reader_study_figure(view: dict, y_true_all, y_prob_all, model_point=None, reader_name: str = "you"):
    """The reader's (1 - specificity, sensitivity) with Wilson intervals on the model's ROC curve.

    ``y_true_all``/``y_prob_all`` draw the model's ROC (e.g. the whole test set); ``model_point`` optionally
    marks the model's own operating point ``(fpr, tpr)`` on the study cases. Returns the figure.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(np.asarray(y_true_all).ravel(), np.asarray(y_prob_all, dtype=float).ravel())
    fig, ax = plt.subplots(figsize=(5.2, 5.4))
    ax.plot(fpr, tpr, color="tab:gray", label="model ROC (test set)")
    ax.plot([0, 1], [0, 1], ":", color="tab:gray", lw=0.8)
    if view.get("n_answered"):
        se, sp = view["sensitivity"], view["specificity"]
        x, y = 1 - sp[0], se[0]
        # max(0, .): rounding can make a zero-length arm a tiny negative number, which matplotlib refuses
        xerr = [[max(0.0, x - (1 - sp[2]))], [max(0.0, (1 - sp[1]) - x)]]
        yerr = [[max(0.0, y - se[1])], [max(0.0, se[2] - y)]]
        ax.errorbar(
            [x],
            [y],
            xerr=xerr,
            yerr=yerr,
            fmt="o",
            color="tab:red",
            capsize=4,
            label=f"{reader_name} (95 % Wilson intervals)",
        )
    if model_point is not None:
        # hollow, larger and on top: it stays visible when it falls on the reader's point
        ax.plot(*model_point, "s", ms=12, mfc="none", mec="k", mew=2, zorder=5, label="model on the study cases")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.set_xlabel("1 - specificity (false positive rate)")
    ax.set_ylabel("sensitivity")
    ax.set_title(f"reader study: {view.get('n_answered', 0)} cases read", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)  # below: hides no point
    fig.tight_layout()
    return fig


def reader_study_widget(images, y_true, cases, y_prob_all=None, y_true_all=None, other_reader=None):
    """Show the study cases one at a time with "normal" / "pneumonia" buttons; score the reader at the end.

    ``images``/``y_true`` are the full test arrays, ``cases`` the indices to read
    (:func:`reader_study_cases`). The answers are kept in ``widget.answers`` (a list; None = not yet read),
    so the next notebook cell can score them with :func:`reader_study_view`. The button logic is
    :func:`reader_study_answer`, the tested callback.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    import numpy as np

    images, y = np.asarray(images), np.asarray(y_true).ravel()
    cases = [int(i) for i in cases]
    state = {"answers": [None] * len(cases), "pos": 0}
    buttons = [widgets.Button(description=t, layout=widgets.Layout(width="140px")) for t in ("normal", "pneumonia")]
    back = widgets.Button(description="previous", layout=widgets.Layout(width="110px"))
    out = widgets.Output()

    def redraw():
        with out:
            out.clear_output(wait=True)
            if state["pos"] >= len(cases):
                view = reader_study_view(state["answers"], y[cases], other_reader)
                if y_prob_all is not None:
                    reader_study_figure(view, y if y_true_all is None else y_true_all, y_prob_all)
                    _show_with_alt(
                        "Your sensitivity and 1 - specificity with Wilson intervals on the model's ROC curve."
                    )
                print(f"All {len(cases)} cases read: run the next cell to score your answers.")
                return
            fig, ax = plt.subplots(figsize=(3.2, 3.2))
            ax.imshow(images[cases[state["pos"]]], cmap="gray", vmin=0, vmax=255)
            ax.set_title(f"case {state['pos'] + 1} of {len(cases)}", fontsize=10)
            ax.axis("off")
            _show_with_alt(f"Chest X-ray, case {state['pos'] + 1} of {len(cases)} of the reader study.")

    def on_label(label):
        def handler(_):
            state["answers"], state["pos"] = reader_study_answer(
                state["answers"], min(state["pos"], len(cases) - 1), label
            )
            box.answers = state["answers"]
            redraw()

        return handler

    def on_back(_):
        state["pos"] = max(0, min(state["pos"], len(cases)) - 1)
        redraw()

    buttons[0].on_click(on_label(0))
    buttons[1].on_click(on_label(1))
    back.on_click(on_back)
    box = widgets.VBox([widgets.HBox([*buttons, back]), out])
    box.answers = state["answers"]
    redraw()
    return box


def _show_with_alt(alt: str) -> None:
    """Display the current figure inside a widget's ``Output`` with alt text, as static figures do.

    Why: outside a live front end (nbval, a notebook saved with outputs) the widget's figure is a plain cell
    output; with :func:`medtutor.plots.show` it carries alt text for screen readers there too.
    """
    import matplotlib.pyplot as plt

    from medtutor.plots import show

    show(plt.gcf(), alt)
