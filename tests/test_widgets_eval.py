"""Tests for the evaluation widgets' callbacks (notebooks 08 and 16): threshold caption, reader study, case filter."""

from __future__ import annotations

import numpy as np
import pytest

from medtutor import widgets
from medtutor.metrics import wilson_interval


def test_threshold_caption_never_prints_nan():
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8, 0.9])
    numbers, caption = widgets.threshold_view(y, p, 0.0)  # everyone called positive: NPV undefined
    assert np.isnan(numbers["npv"]) and "nan" not in caption
    assert "NPV undefined: no negatives called" in caption
    numbers, caption = widgets.threshold_view(y, p, 1.0)  # nobody called positive: PPV undefined
    assert np.isnan(numbers["ppv"]) and "PPV undefined: no positives called" in caption and "nan" not in caption
    _, caption = widgets.threshold_view(y, p, 0.5)
    assert "undefined" not in caption and "NPV 0.667" in caption


def test_reader_study_cases_balanced_and_seeded():
    y = np.r_[np.ones(30), np.zeros(12)].astype(int)
    cases = widgets.reader_study_cases(y, 20, seed=1)
    assert len(set(cases)) == 20 and y[cases].sum() == 10
    assert cases == widgets.reader_study_cases(y, 20, seed=1) and cases != widgets.reader_study_cases(y, 20, seed=2)
    with pytest.raises(ValueError, match="even number"):
        widgets.reader_study_cases(y, 7)
    with pytest.raises(ValueError, match="at least 10"):
        widgets.reader_study_cases(np.r_[np.ones(30), np.zeros(5)].astype(int), 20)


def test_reader_study_answer_moves_to_next_unanswered():
    answers = [None] * 4
    answers, pos = widgets.reader_study_answer(answers, 0, 1)
    assert answers == [1, None, None, None] and pos == 1
    answers, pos = widgets.reader_study_answer(answers, 3, 0)
    assert pos == 1  # wraps around to the first gap
    answers, pos = widgets.reader_study_answer(answers, 1, 0)
    answers, pos = widgets.reader_study_answer(answers, 2, 1)
    assert answers == [1, 0, 1, 0] and pos == 4  # all done
    cleared, pos = widgets.reader_study_answer(answers, 2, None)
    assert cleared[2] is None and pos == 2 and answers[2] == 1  # input list untouched
    with pytest.raises(ValueError, match="label must be"):
        widgets.reader_study_answer(answers, 0, "yes")
    with pytest.raises(ValueError, match="position"):
        widgets.reader_study_answer(answers, 9, 1)


def test_reader_study_view_scores_a_scripted_reader():
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    reader = [1, 1, 1, 0, 0, 0, 1, 0]  # sens 3/4, spec 3/4
    other = np.array([1, 1, 0, 0, 0, 0, 0, 0])
    view = widgets.reader_study_view(reader, y, other_reader=other)
    assert view["complete"] and (view["tp"], view["fn"], view["tn"], view["fp"]) == (3, 1, 3, 1)
    assert view["sensitivity"] == pytest.approx(wilson_interval(3, 4)) and view["specificity"][0] == 0.75
    from sklearn.metrics import cohen_kappa_score

    assert view["kappa_truth"] == pytest.approx(cohen_kappa_score(y, reader))
    assert view["kappa_other"] == pytest.approx(cohen_kappa_score(other, reader))
    partial = widgets.reader_study_view([1, None, None, None, 0, None, None, None], y)
    assert not partial["complete"] and partial["n_answered"] == 2 and "kappa_other" not in partial
    assert widgets.reader_study_view([None] * 8, y) == {"complete": False, "n_answered": 0}
    with pytest.raises(ValueError, match="answer every case"):
        widgets.reader_study_view([1, 0], y)
    with pytest.raises(ValueError, match="one per study case"):
        widgets.reader_study_view(reader, y, other_reader=[1, 0])


def test_reader_study_figure_and_widget_build():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    y = (rng.random(60) < 0.5).astype(int)
    p = np.clip(0.3 * y + 0.7 * rng.random(60), 0, 1)
    cases = widgets.reader_study_cases(y, 10, seed=0)
    view = widgets.reader_study_view(list(y[cases]), y[cases])
    fig = widgets.reader_study_figure(view, y, p, model_point=(0.2, 0.8))
    assert "10 cases" in fig.axes[0].get_title()
    plt.close(fig)
    images = rng.integers(0, 256, (60, 28, 28), dtype=np.uint8)
    box = widgets.reader_study_widget(images, y, cases, y_prob_all=p)
    assert box.answers == [None] * 10
    box.children[0].children[1].click()  # "pneumonia" for the first case
    assert box.answers[0] == 1 and box.answers[1:] == [None] * 9
    plt.close("all")


def test_filter_cases():
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0.05, 0.45, 0.55, 0.95, 0.3, 0.9])
    assert widgets.filter_cases(y, p) == [0, 4, 1, 2, 5, 3]  # ordered by probability
    assert widgets.filter_cases(y, p, "pneumonia", "near the threshold") == [2]
    assert widgets.filter_cases(y, p, "normal", "confident pneumonia") == [5]
    assert widgets.filter_cases(y, p, "any", "confident normal", threshold=0.5) == [0, 4]
    long = widgets.filter_cases(np.zeros(624, int), np.linspace(0, 1, 624), limit=40)
    assert len(long) == 40 and long[0] == 0 and long[-1] == 623
    with pytest.raises(ValueError, match="label must be"):
        widgets.filter_cases(y, p, "sick")
    with pytest.raises(ValueError, match="same test set"):
        widgets.filter_cases(y, p[:3])
