"""Checks for the exercises of notebook 06."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._api import call, exercise
from ._bughunt import bug_hunt_exercise

# Exercise 06.1: the lines of the tutorial pipeline shown in the notebook, and which of them are wrong.
LINES_05_1 = {"A", "B", "C", "D", "E", "F"}
BUGS_05_1 = {"B", "E", "F"}


bug_hunt_exercise(
    "06.1",
    "Find the bugs in a tutorial pipeline",
    hint="Check every index against the image size at that line, what each function really computes, and "
    "whether the result could come from a real patient.",
    lines=LINES_05_1,
    bugs=BUGS_05_1,
    wrong=[set(), {"B"}, {"B", "E"}, {"B", "C", "E", "F"}, {"B", "D", "E", "F"}, {"A", "B", "E", "F"}, "BEF"],
    missing_note=lambda chosen: (
        "; look again at " + ("the anatomy, not the code" if "F" in BUGS_05_1 - chosen else "what a line computes")
    ),
    extra_note=": check their numbers once more",
)


def _grey_levels_05_2() -> dict[str, int]:
    """Distinct 8-bit grey levels (round(255 v)) of CT_small's soft tissue (0 < HU < 100) in two displays."""
    from medtutor import data, imaging, preprocess

    hu = imaging.to_hu(imaging.read_dicom(data.dicom_path("CT_small.dcm")))
    soft = (hu > 0) & (hu < 100)
    c, w = imaging.WINDOW_PRESETS["mediastinum"]
    views = {"min-max": preprocess.minmax_scale(hu), "mediastinum": imaging.apply_window(hu, c, w)}
    return {k: int(np.unique(np.round(255 * v[soft])).size) for k, v in views.items()}


@exercise(
    "06.2",
    "Predict, then count the grey levels of soft tissue",
    hint="Keep only the soft-tissue pixels (0 < HU < 100) of each scaled image, turn them into 8-bit levels with "
    "np.round(255 * v), and count the DIFFERENT levels (np.unique).",
    wrong=[
        {"min-max": 256, "mediastinum": 256},
        {"min-max": 73, "mediastinum": 13},
        {"min-max": 4998, "mediastinum": 4998},
        {"min-max": 99, "mediastinum": 99},
        [13, 73],
    ],
)
def _check_05_2(answer: Any) -> str | None:
    if not isinstance(answer, dict) or set(answer) != {"min-max", "mediastinum"}:
        return 'answer with a dict with the keys "min-max" and "mediastinum".'
    try:
        got = {k: float(v) for k, v in answer.items()}
    except (TypeError, ValueError):
        return "each value must be a number of grey levels."
    expected = _grey_levels_05_2()
    ok = {k: abs(got[k] - expected[k]) <= 1 for k in expected}  # +-1: rounding vs floor, or DICOM's exact window
    if all(ok.values()):
        return None
    swapped = all(abs(got[k] - expected[o]) <= 1 for k, o in [("min-max", "mediastinum"), ("mediastinum", "min-max")])
    if swapped:
        return "the two counts look swapped: which display spends more of its grey range on 0-100 HU?"
    if max(got.values()) > 256:
        return "a count above 256 cannot be a number of 8-bit grey levels: count distinct levels, not pixels."
    wrong = [k for k, good in ok.items() if not good]
    return f"the count for {' and '.join(wrong)} is off."


def _load_counter_05_4(n: int):
    """A dataset of ``n`` indexed images whose decoding step counts its calls (what a cache should save)."""
    import tensorflow as tf

    calls: list[int] = []
    rng = np.random.default_rng(n)
    images = rng.random((n, 6, 6, 1)).astype(np.float32)

    def decode(i):
        calls.append(1)
        return images[int(i)]

    def load(i):
        img = tf.py_function(decode, [i], tf.float32)
        img.set_shape((6, 6, 1))
        return img, i

    return tf.data.Dataset.range(n).map(load), images, calls


def _noise_augment_05_4(seed: int):
    """A random augmentation with its own generator: different noise every time it runs, in every epoch.

    Why a ``tf.random.Generator``: with a global TensorFlow seed (``medtutor.setup``), ``tf.random.uniform``
    inside a tf.data function restarts its sequence with every epoch, which would hide the bug being checked.
    """
    import tensorflow as tf

    gen = tf.random.Generator.from_seed(seed)
    return lambda xb: xb + gen.uniform(tf.shape(xb), 0.01, 0.02, dtype=xb.dtype)


def _epochs_05_4(pipe: Any, n: int, batch_size: int) -> list[dict[int, np.ndarray]] | str:
    """Two epochs of ``pipe`` as {index: image}, or a message when its batches are malformed."""
    epochs = []
    for _ in range(2):
        seen: dict[int, np.ndarray] = {}
        for xb, ib in pipe:
            xb, ib = np.asarray(xb), np.asarray(ib)
            if xb.ndim != 4 or len(xb) > batch_size:
                return f"the pipeline must yield batches of at most {batch_size} images (batch_size)."
            seen.update({int(i): x for i, x in zip(ib, xb)})
        if sorted(seen) != list(range(n)):
            return "each epoch must yield every image exactly once."
        epochs.append(seen)
    return epochs


@exercise(
    "06.4",
    "Fix the pipeline whose augmentation never changes",
    hint="Ask of each step: may its result be reused from the first epoch, or must it run again in every epoch? "
    "A cache replays everything above it.",
    wrong=[
        lambda ds, aug, b, seed: ds.map(lambda x, i: (aug(x), i)).cache().shuffle(64, seed=seed).batch(b),
        lambda ds, aug, b, seed: ds.shuffle(64, seed=seed).batch(b).map(lambda x, i: (aug(x), i)),
        lambda ds, aug, b, seed: ds.cache().shuffle(64, seed=seed).batch(b),
        lambda ds, aug, b, seed: ds.cache().shuffle(64, seed=seed).batch(b).map(lambda x, i: (aug(x), i)).cache(),
    ],
)
def _check_05_4(answer: Any) -> str | None:
    for n, batch_size, seed in [(10, 4, 0), (7, 3, 5)]:
        ds, images, calls = _load_counter_05_4(n)
        pipe = call(answer, ds, _noise_augment_05_4(seed), batch_size, seed)
        if not hasattr(pipe, "element_spec"):
            return f"return a tf.data.Dataset, got {type(pipe).__name__}."
        epochs = _epochs_05_4(pipe, n, batch_size)
        if isinstance(epochs, str):
            return epochs
        if len(calls) > n:
            return f"{len(calls)} decodings for {n} images in 2 epochs: the decoded images are not cached."
        if any(np.allclose(epochs[0][i], images[i]) for i in range(n)):
            return "some images come out unchanged: the augmentation is not applied to every batch."
        if all(np.allclose(epochs[0][i], epochs[1][i]) for i in range(n)):
            return "every image is identical in both epochs: the augmentation runs only once."
    return None


@exercise(
    "06.3",
    "A split by patient",
    hint="Draw a set of test PATIENTS first (np.unique, then a seeded rng.choice), then mark all their images.",
    wrong=[
        lambda ids, f, seed: np.random.default_rng(seed).random(len(ids)) < f,
        lambda ids, f, seed: np.zeros(len(ids), dtype=bool),
        lambda ids, f, seed: np.isin(ids, np.unique(ids)),
        # ignores the seed: every "random" split is the same one
        lambda ids, f, seed: np.isin(
            ids, np.random.default_rng(0).choice(np.unique(ids), round(f * len(np.unique(ids))), replace=False)
        ),
        # ignores the seed the other way: not reproducible
        lambda ids, f, seed: np.isin(
            ids, np.random.default_rng().choice(np.unique(ids), round(f * len(np.unique(ids))), replace=False)
        ),
    ],
)
def _check_05_3(answer: Any) -> str | None:
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 40, 400)  # 40 patients, about 10 images each
    for patient_ids, seed in [(ids, 0), (ids, 1), (np.array([f"p{i:02d}" for i in ids]), 2)]:
        is_test = np.asarray(call(answer, patient_ids, 0.25, seed))
        if is_test.shape != patient_ids.shape or is_test.dtype != bool:
            return (
                f"return a boolean array with one entry per image {patient_ids.shape}, got {is_test.shape} "
                f"{is_test.dtype}."
            )
        shared = set(patient_ids[is_test].tolist()) & set(patient_ids[~is_test].tolist())
        if shared:
            return f"{len(shared)} patients have images on both sides of the split."
        share = len(set(patient_ids[is_test].tolist())) / len(set(patient_ids.tolist()))
        if abs(share - 0.25) > 0.1:
            return f"{share:.0%} of the patients are in the test set; expected about 25 %."
    return _check_05_3_seed(answer, ids)


def _check_05_3_seed(answer: Any, ids: np.ndarray) -> str | None:
    """The split must be reproducible for one seed and change with the seed."""
    splits = [np.asarray(call(answer, ids, 0.25, seed)) for seed in (0, 0, 1, 2, 3)]
    if not np.array_equal(splits[0], splits[1]):
        return "calling it twice with the same seed gave two different splits: it must be reproducible."
    if all(np.array_equal(splits[0], other) for other in splits[2:]):
        return "seeds 0, 1, 2 and 3 all gave the same split: your code ignores the seed."
    return None
