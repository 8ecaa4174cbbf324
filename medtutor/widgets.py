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


# --- kernel playground (notebook 03; engineer B) ---

PLAYGROUND_KERNELS: dict[str, tuple[tuple[float, ...], ...]] = {
    "identity": ((0, 0, 0), (0, 1, 0), (0, 0, 0)),
    "box blur": ((1 / 9, 1 / 9, 1 / 9), (1 / 9, 1 / 9, 1 / 9), (1 / 9, 1 / 9, 1 / 9)),
    "Gaussian blur": ((1 / 16, 2 / 16, 1 / 16), (2 / 16, 4 / 16, 2 / 16), (1 / 16, 2 / 16, 1 / 16)),
    "sharpen": ((0, -1, 0), (-1, 5, -1), (0, -1, 0)),
    "edge: Sobel x": ((1, 0, -1), (2, 0, -2), (1, 0, -1)),
    "edge: Sobel y": ((1, 2, 1), (0, 0, 0), (-1, -2, -1)),
    "edge: Laplacian": ((0, 1, 0), (1, -4, 1), (0, 1, 0)),
}
"""Classic hand-designed 3 x 3 kernels of the notebook 03 playground (used as true convolutions)."""


def kernel_playground_view(image, kernel="sharpen"):
    """Callback of the kernel playground: ``image`` convolved with ``kernel``, same size, float32.

    ``kernel`` is a name from :data:`PLAYGROUND_KERNELS` or any 2-D array of odd size. It is a true
    convolution (kernel flipped, as taught in notebook 03) with mirrored borders, so the output has the
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
            axes[2].imshow(weights, cmap="RdBu_r", vmin=-5, vmax=5)
            for (r, c), v in np.ndenumerate(weights):
                axes[2].text(c, r, f"{v:.2g}", ha="center", va="center", fontsize=8)
            axes[2].set_title("kernel", fontsize=9)
            for ax in axes:
                ax.axis("off")
            plt.show()

    menu.observe(redraw, names="value")
    index.observe(redraw, names="value")
    redraw()
    return widgets.VBox([menu, index, out])


# --- volume viewer (notebook 09; engineer E) ---


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
    import matplotlib.pyplot as plt

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
            plt.show()

    for s in sliders:
        s.observe(redraw, names="value")
    redraw()
    return widgets.VBox([*sliders, out])


# --- threshold explorer (notebook 07; engineer D) ---


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
        f"sens {numbers['sensitivity']:.3f} spec {numbers['specificity']:.3f} "
        f"PPV {numbers['ppv']:.3f} NPV {numbers['npv']:.3f}"
    )
    return numbers, caption


def threshold_figure(y_true, y_prob, threshold: float, class_names=("negative", "positive")):
    """Draw the threshold explorer's figure: score histograms per class, and the ROC with this operating point.

    Used by :func:`threshold_widget` and, for a static copy that reads on GitHub, directly in notebook 07.
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
    ax1.legend(fontsize=8)
    fpr, tpr, _ = roc_curve(y, p)
    ax2.plot(fpr, tpr, color="tab:gray")
    ax2.plot(1 - numbers["specificity"], numbers["sensitivity"], "ko")
    ax2.plot([0, 1], [0, 1], ":", color="tab:gray", lw=0.8)
    ax2.set_xlabel("1 - specificity")
    ax2.set_ylabel("sensitivity")
    ax2.set_aspect("equal")
    fig.suptitle(caption, fontsize=8)
    fig.tight_layout()
    return fig


def threshold_widget(y_true, y_prob, threshold: float = 0.5, class_names=("negative", "positive")):
    """A threshold slider over a model's scores (ipywidgets): the counts, metrics and ROC point follow it.

    Every redraw calls :func:`threshold_view` (the tested callback) through :func:`threshold_figure`.
    Returns the ``ipywidgets.VBox``; display it as the last expression of a cell.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    threshold_view(y_true, y_prob, threshold)  # validate the inputs once, with a clear error
    slider = widgets.FloatSlider(
        value=float(threshold), min=0.0, max=1.0, step=0.01, description="threshold", continuous_update=False
    )
    out = widgets.Output()

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            threshold_figure(y_true, y_prob, slider.value, class_names)
            plt.show()

    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([slider, out])


# --- diagnosis assistant (notebook 14; engineer G) ---


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
) -> dict:
    """Callback of the diagnosis assistant: everything the app shows for one case, as a dict.

    ``source`` is a 28x28 uint8 test image or a user file (path, bytes or a FileUpload item, read by
    :func:`medtutor.app.load_image`). ``y_true``/``y_prob`` are the test labels and calibrated probabilities
    that place the operating point on the ROC curve. A file the app cannot use gives
    ``{"error": <message for the user>}`` instead of a traceback; otherwise the dict holds the input image,
    the calibrated probability and its MC-dropout interval, the Grad-CAM heatmap, the operating point
    (sensitivity, specificity, PPV/NPV at ``prevalence``) and the referral suggestion.
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
    case = app.analyse_case(model, image, temperature=temperature, threshold=threshold, n_samples=n_samples, seed=seed)
    return {"error": None, **case, "op": op, "warnings": info.get("warnings", [])}


def diagnosis_assistant_figure(view: dict, y_true, y_prob):
    """Draw a :func:`diagnosis_assistant_view` result: input, Grad-CAM, probability with interval, ROC point.

    Used by :func:`diagnosis_assistant_widget` and, as a static copy, in notebook 14. Returns the figure.
    """
    import textwrap

    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import roc_curve

    from medtutor.explain import overlay

    if view.get("error"):
        fig, ax = plt.subplots(figsize=(9, 1.6))
        ax.axis("off")
        ax.text(
            0,
            0.5,
            "\n".join(textwrap.wrap("Cannot analyse this file: " + view["error"], 110)),
            fontsize=9,
            color="darkred",
            va="center",
        )
        return fig
    op = view["op"]
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.4), gridspec_kw={"width_ratios": [1, 1, 1.1, 1.1]})
    axes[0].imshow(view["image"], cmap="gray", vmin=0, vmax=255)
    axes[0].set_title("model input (28x28)", fontsize=9)
    axes[1].imshow(overlay(view["image"].astype(np.float32) / 255.0, view["heatmap"]))
    axes[1].set_title("Grad-CAM: evidence for pneumonia", fontsize=9)
    for ax in axes[:2]:
        ax.axis("off")
    ax = axes[2]
    ax.barh([0], [view["prob"]], color="tab:red" if view["prob"] >= op["threshold"] else "tab:blue", height=0.5)
    # the MC-dropout interval need not contain the dropout-off estimate: draw it as a line, not error bars
    ax.plot([view["low"], view["high"]], [0, 0], color="k", lw=2, marker="|", markersize=14)
    ax.axvline(op["threshold"], color="k", ls="--", lw=1)
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.set_xlabel("calibrated P(pneumonia), 90 % MC-dropout interval")
    ax.set_title(f"P = {view['prob']:.2f} ({view['low']:.2f}-{view['high']:.2f})", fontsize=9)
    fpr, tpr, _ = roc_curve(np.asarray(y_true).ravel(), np.asarray(y_prob, dtype=float).ravel())
    axes[3].plot(fpr, tpr, color="tab:gray")
    axes[3].plot(op["fpr"], op["tpr"], "ko")
    axes[3].plot([0, 1], [0, 1], ":", color="tab:gray", lw=0.8)
    axes[3].set_xlabel("1 - specificity")
    axes[3].set_ylabel("sensitivity")
    axes[3].set_title(
        f"sens {op['sensitivity']:.2f} spec {op['specificity']:.2f} | PPV {op['ppv']:.2f} "
        f"NPV {op['npv']:.2f} at prev. {op['prevalence']:.0%}",
        fontsize=8,
    )
    text = view["suggestion"] + ("" if not view["warnings"] else " Note: " + " ".join(view["warnings"]))
    fig.suptitle("\n".join(textwrap.wrap(text, 150)), fontsize=8)
    fig.tight_layout()
    return fig


def diagnosis_assistant_widget(
    model,
    images,
    y_true,
    y_prob,
    temperature: float = 1.0,
    threshold: float = 0.5,
    prevalence: float = 0.05,
    n_samples: int = 50,
):
    """The capstone app (ipywidgets): pick a test case or upload a PNG/DICOM, move threshold and prevalence.

    ``images`` (N, 28, 28) uint8 test images with labels ``y_true`` and calibrated probabilities ``y_prob``.
    Every redraw calls :func:`diagnosis_assistant_view` (the tested callback) and
    :func:`diagnosis_assistant_figure`. Returns the ``ipywidgets.VBox``.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    import numpy as np

    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 (N, 28, 28) test images, got {images.dtype} {images.shape}.")
    labels = np.asarray(y_true).ravel()
    options = [(f"test #{i} (label {'pneumonia' if labels[i] else 'normal'})", i) for i in range(len(images))]
    case = widgets.Dropdown(options=options, value=0, description="test case")
    upload = widgets.FileUpload(accept=".png,.jpg,.jpeg,.dcm,.dicom", multiple=False, description="own file")
    use_upload = widgets.Checkbox(value=False, description="analyse the uploaded file")
    thr = widgets.FloatSlider(
        value=threshold, min=0.01, max=0.99, step=0.01, description="threshold", continuous_update=False
    )
    prev = widgets.FloatLogSlider(
        value=prevalence,
        base=10,
        min=-3,
        max=-0.05,
        step=0.05,
        description="prevalence",
        continuous_update=False,
        readout_format=".3f",
    )
    out = widgets.Output()

    def redraw(*_):
        if use_upload.value and upload.value:
            source = upload.value[0]
        elif use_upload.value:
            source = None
        else:
            source = images[case.value]
        with out:
            out.clear_output(wait=True)
            if source is None:
                print("Upload a PNG, JPEG or DICOM file first (button 'own file').")
                return
            view = diagnosis_assistant_view(
                model, source, thr.value, prev.value, labels, y_prob, temperature=temperature, n_samples=n_samples
            )
            diagnosis_assistant_figure(view, labels, y_prob)
            plt.show()

    for w in (case, upload, use_upload, thr, prev):
        w.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([case, upload, use_upload]), widgets.HBox([thr, prev]), out])


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
    import matplotlib.pyplot as plt
    import numpy as np

    n = len(np.asarray(y_true).ravel())
    slider = widgets.IntSlider(value=k, min=1, max=n, step=1, description="top k", continuous_update=False)
    out = widgets.Output()

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            triage_figure(y_true, y_prob, slider.value)
            plt.show()

    slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([slider, out])
