"""`nncalc quiz`: the lecture's worked answers hold, and a wrong one is caught."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncalc.collapse import NotLinearError, collapse
from nncalc.grading import quiz
from nncalc.network import Network


def test_every_answer_holds(run):
    r = run("quiz")
    assert r.code == 0
    assert "6 of 6 hold" in r.out
    assert "✗" not in r.out


def test_json_answers(run):
    doc = run("quiz", "--json").json()
    assert doc["ok"] is True
    answers = {a["id"]: a for a in doc["answers"]}
    assert answers["neuron"]["computed"]["z"] == 41.5
    # 1 − σ(41.5) = e^-41.5 / (1 + e^-41.5)
    gap = math.exp(-41.5) / (1 + math.exp(-41.5))
    assert answers["neuron"]["computed"]["one_minus_a"] == pytest.approx(gap, rel=1e-15)
    assert answers["parameters"]["computed"] == 60
    assert answers["onehot"]["computed"] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    sigma = [1 / (1 + math.exp(-k)) for k in (1, 2, 3)]
    assert answers["hidden-layer"]["computed"] == pytest.approx(sigma, rel=1e-15)
    assert answers["vehicles"]["computed"] == np.eye(4, dtype=int).tolist()
    # Θ^(2)·[e_0; Θ^(1)] worked by hand: bias −1 + 0.5·1 − 0.5·(−2) + 1·(−3) = −2.5, …
    assert answers["linear"]["computed"] == [[-2.5, 1.0, 1.5, 0.0]]


def test_a_wrong_answer_exits_1(run, monkeypatch):
    def wrong():
        return quiz.Answer("bad", "1 + 1 = 3", 3, 2, "2", False)

    monkeypatch.setattr(quiz, "QUESTIONS", (*quiz.QUESTIONS, wrong))
    r = run("quiz")
    assert r.code == 1
    assert "6 of 7 hold" in r.out
    assert run("quiz", "--json").json()["ok"] is False


def test_collapse_matches_a_hand_product():
    # Θ^(1) = [[1, 2], [3, 4]] (x ↦ 1 + 2x, 3 + 4x), Θ^(2) = [[5, 6, 7]]:
    # h = 5 + 6(1 + 2x) + 7(3 + 4x) = 32 + 40x
    net = Network.from_thetas([[1, 2], [3, 4]], [[5, 6, 7]], activation="linear")
    assert collapse(net).tolist() == [[32.0, 40.0]]


def test_collapse_names_the_non_linear_layer():
    net = Network.from_thetas([[1, 2]], [[0, 1]], activation="identity")
    net = Network((net.layers[0], Network.from_thetas([[0, 1]], activation="relu").layers[0]))
    with pytest.raises(NotLinearError, match="layer 3 applies relu"):
        collapse(net)
