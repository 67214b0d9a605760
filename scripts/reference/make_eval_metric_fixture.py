#!/usr/bin/env python3
"""Scikit-learn's numbers for the classification and clustering metrics of `eval`, on fixed inputs.

Writes training-driver/src/test/resources/fixtures/eval/sklearn_metrics.json, which
`EvalMetricsParityTest` compares the Java code against:
- LogisticRegression (lbfgs, L2, C=1, intercept): a 3-class (multinomial) and a 2-class
  (binomial) problem, fitted to convergence (tol=1e-10, max_iter=10000) so that the optimum, not
  the optimiser's path, is compared: coefficients, intercepts, test predictions;
- accuracy_score and f1_score(average="macro") on label lists (labels missing from one side);
- v_measure_score on label/cluster pairs, degenerate ones included;
- KMeans(algorithm="lloyd", n_init=1, init=<given centres>) labels, converged and cut at 2
  iterations (the final relabelling).

Usage: /work/venv-ref/bin/python scripts/reference/make_eval_metric_fixture.py
(scikit-learn 1.9.1, numpy 2.4.6 generated the committed file).
"""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, v_measure_score

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "training-driver" / "src" / "test" / "resources" / "fixtures" / "eval" / "sklearn_metrics.json"
rng = np.random.default_rng(20261207)


def blobs(n_per, centres, scale):
    x = np.concatenate([c + scale * rng.standard_normal((n_per, len(c))) for c in centres])
    y = np.repeat(np.arange(len(centres)), n_per)
    return np.round(x, 4), y


def logreg_case(name, centres, n_train, n_test, scale, labels):
    x, y = blobs(n_train, centres, scale)
    xt, yt = blobs(n_test, centres, scale)
    y = [labels[i] for i in y]
    yt = [labels[i] for i in yt]
    clf = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(x, y)
    pred = clf.predict(xt).tolist()
    return {
        "name": name,
        "x_train": x.tolist(), "y_train": y, "x_test": xt.tolist(), "y_test": yt,
        "classes": clf.classes_.tolist(), "coef": clf.coef_.tolist(),
        "intercept": clf.intercept_.tolist(), "n_iter": int(clf.n_iter_[0]),
        "predictions": pred,
        "accuracy": accuracy_score(yt, pred), "f1_macro": f1_score(yt, pred, average="macro"),
    }


def kmeans_case(name, x, init_rows, max_iter):
    init = x[init_rows]
    km = KMeans(n_clusters=len(init_rows), init=init, n_init=1, algorithm="lloyd",
                max_iter=max_iter, tol=1e-4).fit(x)
    return {"name": name, "x": x.tolist(), "init": init.tolist(), "max_iter": max_iter,
            "labels": km.labels_.tolist()}


logreg = [
    logreg_case("three_classes", [[0, 0, 1, 0, 0, 1], [1, 1, 0, 0, 1, 0], [0, 1, 1, 1, 0, 0]],
                15, 10, 0.9, ["joy", "anger", "sadness"]),
    logreg_case("binary", [[0, 0, 1, 0], [0.5, 1, 0, 0.3]], 15, 12, 0.8, ["0", "1"]),
]

f1_cases = []
for gold, pred in [
    (["a", "b", "c", "a", "b", "c", "a"], ["a", "b", "b", "a", "c", "c", "b"]),
    (["x", "x", "y", "y", "z"], ["x", "w", "y", "x", "x"]),  # w never gold, z never predicted
    (["p", "q"], ["p", "q"]),
]:
    f1_cases.append({"gold": gold, "predicted": pred, "accuracy": accuracy_score(gold, pred),
                     "f1_macro": f1_score(gold, pred, average="macro", zero_division=0)})

v_cases = []
labels_rand = rng.integers(0, 4, 50)
clusters_rand = np.where(rng.random(50) < 0.6, labels_rand, rng.integers(0, 5, 50))
for gold, clusters in [
    (["a", "a", "b", "b", "c", "c"], [0, 0, 1, 1, 2, 2]),
    (["a", "a", "b", "b", "c", "c"], [1, 1, 0, 0, 0, 0]),
    (["a", "a", "b", "b"], [0, 0, 0, 0]),
    (["a", "a", "a"], [0, 1, 2]),
    (["a", "a", "a"], [0, 0, 0]),
    ([f"l{v}" for v in labels_rand], clusters_rand.tolist()),
]:
    v_cases.append({"gold": gold, "clusters": clusters, "v_measure": v_measure_score(gold, clusters)})

xk, _ = blobs(20, [[0, 0, 0], [2, 2, 0], [0, 2, 2], [2, 0, 2]], 0.9)
kmeans = [kmeans_case("converged", xk, [0, 1, 2, 3], 300),
          kmeans_case("two_iterations", xk, [5, 6, 7, 8], 2)]

OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text(json.dumps({
    "sklearn": sklearn.__version__, "numpy": np.__version__,
    "logistic_regression": logreg, "labels": f1_cases, "v_measure": v_cases, "kmeans": kmeans,
}, indent=1) + "\n")
print("wrote", OUT, OUT.stat().st_size, "bytes")
for c in logreg:
    print(c["name"], "n_iter", c["n_iter"], "acc", c["accuracy"], "f1", c["f1_macro"])
