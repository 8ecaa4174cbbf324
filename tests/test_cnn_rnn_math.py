"""Notebook 04's kernel playground callback: a true 'same' convolution with clear errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from medtutor import widgets


@pytest.fixture
def image():
    return np.random.default_rng(0).random((12, 10)).astype(np.float32)


def test_identity_kernel_returns_the_image(image):
    out = widgets.kernel_playground_view(image, "identity")
    assert out.shape == image.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, image, atol=1e-7)


def test_blur_keeps_a_constant_image_constant():
    flat = np.full((8, 8), 0.5, dtype=np.float32)
    for name in ("box blur", "Gaussian blur", "sharpen"):
        np.testing.assert_allclose(widgets.kernel_playground_view(flat, name), flat, atol=1e-6)
    for name in ("edge: Sobel x", "edge: Sobel y", "edge: Laplacian"):
        np.testing.assert_allclose(widgets.kernel_playground_view(flat, name), 0.0, atol=1e-6)


def test_it_is_a_true_convolution_not_a_cross_correlation(image):
    sobel = np.asarray(widgets.PLAYGROUND_KERNELS["edge: Sobel x"], dtype=np.float32)
    out = widgets.kernel_playground_view(image, "edge: Sobel x")
    expected = scipy.signal.convolve2d(image, sobel, mode="same", boundary="symm")
    np.testing.assert_allclose(out, expected, atol=1e-6)
    # Sobel x flipped is -Sobel x, so a cross-correlation would give the opposite sign inside the image
    corr = scipy.signal.correlate2d(image, sobel, mode="same", boundary="symm")
    np.testing.assert_allclose(out[1:-1, 1:-1], -corr[1:-1, 1:-1], atol=1e-6)


def test_custom_kernel_and_channel_axis(image):
    kernel = np.zeros((5, 5))
    kernel[2, 2] = 2.0
    np.testing.assert_allclose(widgets.kernel_playground_view(image[..., None], kernel), 2 * image, atol=1e-6)
    uint8 = (image * 255).astype(np.uint8)
    assert widgets.kernel_playground_view(uint8, "identity").dtype == np.float32


def test_every_kernel_is_3x3():
    assert len(widgets.PLAYGROUND_KERNELS) >= 5
    for kernel in widgets.PLAYGROUND_KERNELS.values():
        assert np.asarray(kernel).shape == (3, 3)


@pytest.mark.parametrize(
    "bad_image, kernel, error, match",
    [
        (np.zeros((2, 8, 8)), "sharpen", ValueError, "x\\[i\\]"),
        (np.zeros(8), "sharpen", ValueError, "2-D"),
        (np.array([[0.0, np.nan], [0.0, 0.0]]), "identity", ValueError, "NaN"),
        (np.array([["a", "b"], ["c", "d"]]), "identity", TypeError, "real numbers"),
        (np.zeros((8, 8)), "emboss", ValueError, "choose one of"),
        (np.zeros((8, 8)), np.ones((2, 2)), ValueError, "odd"),
        (np.zeros((8, 8)), np.ones(3), ValueError, "odd"),
        (np.zeros((8, 8)), np.full((3, 3), np.inf), ValueError, "NaN"),
        (np.zeros((2, 2)), "sharpen", ValueError, "smaller kernel"),
    ],
)
def test_bad_input_gets_a_clear_error(bad_image, kernel, error, match):
    with pytest.raises(error, match=match):
        widgets.kernel_playground_view(bad_image, kernel)


def test_widget_builds_and_refuses_a_single_image(image):
    pytest.importorskip("ipywidgets")
    import matplotlib

    matplotlib.use("Agg")
    box = widgets.kernel_playground_widget(np.stack([image, image]))
    assert len(box.children) == 3
    with pytest.raises(ValueError, match="stack"):
        widgets.kernel_playground_widget(image[0])
