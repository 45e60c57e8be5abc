"""Charts and the HTML report, drawn from real runs on the session's local Ray.

Every chart is rendered to PNG and checked twice: through matplotlib's objects (how many lines,
bars, points; what values) and as an image (it opens, has the expected size, is not blank).
The page is opened in headless Chromium to check that every embedded image decodes.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.datasets import load_breast_cancer, load_diabetes

import automl_core as ac
from automl_core.evaluation.cv import make_folds
from automl_core.interfaces.cli import main
from automl_core.report import (
    CHARTS,
    ChartUnavailable,
    best_so_far,
    load_results,
    param_importance,
    permutation_importance,
    plot_best_by_time,
    plot_best_by_trial,
    plot_feature_importance,
    plot_importance,
    plot_regularization,
    plot_trial_scores,
    top_trials_frame,
    write_report,
)

pytestmark = pytest.mark.usefixtures("ray_session")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

LR = {
    "kind": "logistic_regression",
    "regularizers": [
        {
            "kind": "l2",
            "strength": {"type": "float", "low": 1e-3, "high": 1e3, "log": True, "grid_points": 4},
        }
    ],
}
RF = {
    "kind": "random_forest",
    "n_estimators": {"type": "choice", "values": [10, 30]},
    "max_depth": {"type": "choice", "values": [2, 0]},
}


def _cancer() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).frame.sample(200, random_state=0)


@pytest.fixture(scope="module")
def comparison():
    """random and grid on the same data: the multi-strategy charts, and a classification run."""
    df = _cancer()
    return ac.compare(
        df,
        "target",
        strategies=["random", "grid"],
        trials=6,
        seed=0,
        models=[LR, RF],
        config={"cv": {"folds": 3, "train_score": True}},
        test_size=0.25,
        show_progress=False,
    )


@pytest.fixture(scope="module")
def clf(comparison):
    res = comparison.results["random"]
    # stand-in (the shape before_after.compare_cleaning returns) until runs record it
    # themselves; setdefault keeps the real one once they do
    res.info.setdefault(
        "cleaning_gain",
        {
            "metric": "accuracy",
            "mode": "max",
            "baseline_score": 0.9,
            "baseline_std": 0.02,
            "baseline_fold_scores": [0.88, 0.9, 0.92],
            "cleaned_score": 0.95,
            "cleaned_std": 0.01,
            "cleaned_fold_scores": [0.94, 0.95, 0.96],
            "gain": 0.05,
        },
    )
    if res.feature_importance is None:
        # measured the way a run without a test split measures it (out of fold), until the
        # run records it itself
        df = _cancer()
        X, y = df.drop(columns="target"), df["target"]
        folds = make_folds(y, "classification", 3, True, None, seed=0)
        res.feature_importance = permutation_importance(
            res.best_pipeline, X, y, res.metric, folds=folds, n_repeats=2
        )
    return res


@pytest.fixture(scope="module")
def reg():
    df = load_diabetes(as_frame=True).frame
    lasso = {
        "kind": "linear_regression",
        "regularizers": [
            {"kind": "l1", "strength": {"type": "float", "low": 1e-3, "high": 30, "log": True}}
        ],
    }
    return ac.run(
        df,
        target="target",
        trials=5,
        seed=0,
        models=[lasso],
        config={"cv": {"folds": 3, "train_score": True}},
        test_size=0.25,
        show_progress=False,
    )


@pytest.fixture(scope="module")
def epochs():
    """A function reporting torch-style train/val loss and accuracy per epoch."""

    def fit(params, report):
        loss = 1.0
        for epoch in range(1, 7):
            loss *= 1 - params["lr"]
            val = loss + 0.03 * epoch * params["lr"]
            report(
                epoch=epoch,
                train_loss=loss,
                val_loss=val,
                train_accuracy=1 - loss / 2,
                val_accuracy=1 - val / 2,
            )
        return {"val_accuracy": 1 - val / 2}

    return ac.tune(
        fit,
        {"lr": ac.Float(0.05, 0.5, log=True)},
        trials=3,
        metric="val_accuracy",
        show_progress=False,
    )


# ------------------------------------------------------------------------------ helpers


def png_of(fig) -> Image.Image:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return Image.open(io.BytesIO(buf.getvalue()))


def assert_picture(img: Image.Image, size: tuple[int, int] | None = None) -> None:
    """Opens, has the expected size, and is a picture: varied pixels, not a blank page."""
    img.load()
    if size:
        assert img.size == size
    px = np.asarray(img.convert("L"), dtype=float)
    assert px.std() > 10, "the image is (nearly) one colour"
    assert (px < 200).mean() > 0.01, "under 1% of the image is drawn on"


def labelled(ax) -> list[str]:
    return [ln.get_label() for ln in ax.get_lines() if not ln.get_label().startswith("_")]


# ------------------------------------------------------------------------------ search progress


def test_best_so_far_is_a_running_best_that_failures_do_not_move():
    rows = pd.DataFrame(
        {"score": [0.5, 0.7, None, 0.6, 0.9], "status": ["ok", "ok", "failed", "ok", "ok"]}
    )
    assert best_so_far(rows, "max").tolist() == [0.5, 0.7, 0.7, 0.7, 0.9]
    assert best_so_far(rows, "min").tolist() == [0.5, 0.5, 0.5, 0.5, 0.5]


@pytest.mark.parametrize("plot", [plot_best_by_trial, plot_best_by_time])
def test_best_so_far_has_one_line_per_strategy(comparison, plot):
    fig = plot(comparison)
    ax = fig.axes[0]
    names = labelled(ax)
    assert len(names) == 2 and names[0].startswith("random") and names[1].startswith("grid")
    table = comparison.table
    for line, strategy in zip(
        [ln for ln in ax.get_lines() if ln.get_label() in names], ["random", "grid"]
    ):
        y = np.asarray(line.get_ydata(), float)
        assert np.all(np.diff(y[~np.isnan(y)]) >= 0)  # accuracy: the best only grows
        ok = table[(table["strategy"] == strategy) & (table["status"] == "ok")]
        assert y[-1] == pytest.approx(ok["score"].max())
    if plot is plot_best_by_time:
        assert ax.get_xlim()[0] == 0 and ax.get_xlim()[1] >= table["finished_s"].max()
    assert_picture(png_of(fig), (700, 420))


def test_every_trial_is_a_point_and_the_best_is_starred(comparison):
    fig = plot_trial_scores(comparison)
    ax = fig.axes[0]
    counts = [len(c.get_offsets()) for c in ax.collections]
    ok = comparison.table[comparison.table["status"] == "ok"]
    assert sum(counts[:-1]) == len(ok) and counts[-1] == 1  # per strategy, then the star
    assert ax.collections[-1].get_offsets()[0][1] == pytest.approx(ok["score"].max())
    assert_picture(png_of(fig), (700, 420))


# ------------------------------------------------------------------------------ other charts


def test_cleaning_bars_show_before_and_after(clf):
    fig = clf.plot_cleaning()
    bars = fig.axes[0].patches
    gain = clf.info["cleaning_gain"]
    assert [b.get_height() for b in bars] == pytest.approx(
        [gain["baseline_score"], gain["cleaned_score"]]
    )
    dots = [ln for ln in fig.axes[0].get_lines() if ln.get_marker() == "o"]
    assert sum(len(ln.get_xdata()) for ln in dots) == 6  # every fold score drawn
    assert_picture(png_of(fig), (550, 420))


def test_cleaning_chart_is_skipped_cleanly_without_a_gain(reg):
    assert "cleaning_gain" not in reg.info
    with pytest.raises(ChartUnavailable, match="no cleaning gain"):
        reg.plot_cleaning()


def test_training_and_validation_against_l2_strength(comparison, clf):
    fig = clf.plot_regularization()
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert labelled(ax) == [
        "logistic_regression (l2 strength): validation",
        "logistic_regression (l2 strength): training",
    ]
    val = ax.get_lines()[0]
    lr = clf.table.dropna(subset=["param.logistic_regression.l2.strength"])
    assert sorted(val.get_xdata()) == pytest.approx(
        sorted(lr["param.logistic_regression.l2.strength"])
    )
    # a compare table works too (more points, the same columns)
    assert len(comparison.table) > len(clf.table)
    assert_picture(png_of(plot_regularization(comparison)), (700, 420))


def test_regression_regularization_uses_the_l1_strength(reg):
    ax = reg.plot_regularization().axes[0]
    assert len(ax.get_lines()[0].get_xdata()) == 5
    assert "l1 strength" in labelled(ax)[0]


def test_epoch_curves_have_a_panel_per_metric_and_two_lines_per_trial(epochs):
    fig = epochs.plot_epochs()
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax in fig.axes:
        assert len(ax.get_lines()) == 2 * 3
        assert all(len(ln.get_xdata()) == 6 for ln in ax.get_lines())
    assert_picture(png_of(fig), (900, 420))


def test_epoch_chart_is_skipped_without_history(clf):
    with pytest.raises(ChartUnavailable, match="no per-epoch history"):
        clf.plot_epochs()


def test_confusion_matrix_counts_every_test_row(clf):
    fig = clf.plot_test_predictions()
    ax = fig.axes[0]
    counts = [int(t.get_text()) for t in ax.texts]
    assert len(counts) == 4 and sum(counts) == len(clf.test_predictions) == clf.info["test_rows"]
    tp = clf.test_predictions
    assert sum(counts[i] for i in (0, 3)) == int((tp["y_true"] == tp["y_pred"]).sum())
    assert_picture(png_of(fig))


def test_predicted_vs_actual_for_regression(reg):
    fig = reg.plot_test_predictions()
    ax = fig.axes[0]
    assert len(ax.collections[0].get_offsets()) == len(reg.test_predictions)
    assert "RMSE" in ax.get_title() and "test r2" in ax.get_title()
    assert_picture(png_of(fig), (560, 520))


def test_parameter_importance_one_bar_per_varying_param(comparison):
    imp = param_importance(comparison)
    assert imp.sum() == pytest.approx(1.0)
    assert set(imp.index) <= {
        "model",
        "logistic_regression.l2.strength",
        "random_forest.n_estimators",
        "random_forest.max_depth",
    }
    fig = plot_importance(comparison)
    assert len(fig.axes[0].patches) == len(imp)
    assert_picture(png_of(fig))


def test_importance_needs_enough_trials(epochs):
    with pytest.raises(ChartUnavailable, match="importance needs"):
        epochs.plot_importance()


# ------------------------------------------------------------------------ input column importance


def test_feature_importance_chart_has_a_bar_per_column(clf):
    fig = clf.plot_feature_importance(top=5)
    ax = fig.axes[0]
    assert len(ax.patches) == min(5, len(clf.feature_importance))
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx(clf.feature_importance["importance"].head(5).tolist())
    assert_picture(png_of(fig))
    with pytest.raises(ChartUnavailable, match="no feature importance"):
        plot_feature_importance(ac.Results(table=clf.table, metric="accuracy", mode="max"))


def test_top_trials_table_is_sorted_and_shows_active_params(clf):
    frame = top_trials_frame(clf, n=3)
    assert frame["rank"].tolist() == [1, 2, 3]
    scores = [float(s) for s in frame["score"]]
    assert scores == sorted(scores, reverse=True)
    for text in frame["parameters"]:
        assert text.startswith("model=")
        assert "logistic_regression." not in text and "random_forest." not in text  # own prefix cut
    fig = clf.plot_top_trials(n=3)
    assert fig.axes[0].tables
    assert_picture(png_of(fig))


def test_every_chart_has_a_results_method(clf):
    for chart in CHARTS:
        assert callable(getattr(clf, f"plot_{chart.name}"))


def test_a_run_where_every_trial_failed_gives_notes_not_a_crash(tmp_path):
    table = pd.DataFrame(
        {
            "trial_id": [0, 1],
            "strategy": "random",
            "status": "failed",
            "score": [None, None],
            "finished_s": [1.0, 2.0],
        }
    )
    rep = write_report(ac.Results(table=table, metric="accuracy", mode="max"), tmp_path)
    assert rep.images == {} and rep.failed == {}
    assert set(rep.skipped) == {c.name for c in CHARTS}
    assert "no trial finished with a score" in rep.html.read_text()


# ------------------------------------------------------------------------------ the report


@pytest.fixture(scope="module")
def report_dir(clf, tmp_path_factory):
    d = tmp_path_factory.mktemp("results")
    clf.save(d)
    assert main(["report", str(d)]) == 0
    return d


def test_report_command_writes_pngs_and_one_self_contained_page(report_dir, clf):
    drawn = {c.name for c in CHARTS} - {"epochs"}  # a table run has no epochs
    assert {p.stem for p in report_dir.glob("*.png")} == drawn
    for png in report_dir.glob("*.png"):
        assert_picture(Image.open(png))
    page = (report_dir / "report.html").read_text()
    # every image inline, nothing fetched: no src/href but data: URIs, no <link> or <script src>
    refs = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert refs and all(r.startswith("data:image/png;base64,") for r in refs)
    assert "<link" not in page and "http" not in page
    assert len(refs) == len(drawn) - 1  # the top trials are a text table in the page
    assert f"{clf.info['test_score']:.4g}" in page  # the test score, the cleaning gain, facts
    assert "cleaning gain" in page and "test rows" in page
    assert "Not shown: no per-epoch history" in page
    # the leaderboard as text, one row per model; both importances side by side
    board = page[
        page.index('id="leaderboard"') : page.index("</section>", page.index('id="leaderboard"'))
    ]
    assert board.count("<tr>") == 1 + clf.leaderboard().shape[0]
    pair = re.search(r'<div class="pair">(.*?)</div>', page, re.S)
    assert (
        pair and 'id="importance"' in pair.group(1) and 'id="feature_importance"' in pair.group(1)
    )


def test_report_folder_is_read_without_unpickling(report_dir, clf, tmp_path):
    d = tmp_path / "copy"
    shutil.copytree(report_dir, d)
    (d / "best_pipeline.joblib").write_bytes(b"not a pickle")  # would fail if it were loaded
    res = load_results(d)
    assert res.best_pipeline is None and len(res.table) == len(clf.table)
    assert res.info["task"] == "classification"


def test_automl_run_writes_the_report(tmp_path, capsys):
    df = load_breast_cancer(as_frame=True).frame.sample(120, random_state=1)
    df.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "exp.toml").write_text(
        'target = "target"\n[budget]\ntrials = 2\n[[models]]\nkind = "logistic_regression"\n'
    )
    out = tmp_path / "out"
    code = main(
        [
            "run",
            str(tmp_path / "exp.toml"),
            "--data",
            str(tmp_path / "data.csv"),
            "--results",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    assert (out / "report.html").exists() and (out / "best_by_trial.png").exists()
    assert "report:" in capsys.readouterr().out


# Debian: apt-get install -y chromium
@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)
def test_every_image_of_the_page_loads_in_headless_chromium(report_dir, tmp_path):
    page = (report_dir / "report.html").read_text()
    probe = (
        "<script>window.addEventListener('load', () => {"
        "const r = [...document.images].map(i => ({alt: i.alt, w: i.naturalWidth, "
        "h: i.naturalHeight, ok: i.complete}));"
        "const p = document.createElement('pre'); p.id = 'img-check';"
        "p.textContent = JSON.stringify(r); document.body.appendChild(p);});</script>"
    )
    copy = tmp_path / "probe.html"
    copy.write_text(page.replace("</body>", probe + "</body>"))
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000",
        "--dump-dom",
        copy.as_uri(),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'<pre id="img-check">(.*?)</pre>', out, re.S)
    assert found, f"the probe did not run; chromium printed: {out[:500]}"
    images = json.loads(html.unescape(found.group(1)))
    assert len(images) == page.count("<img ")
    for img in images:
        assert img["ok"] and img["w"] > 0 and img["h"] > 0, img
    # natural sizes are the PNGs' own: the page shows the files it claims to
    sizes = {Image.open(p).size for p in Path(report_dir).glob("*.png")}
    assert {(i["w"], i["h"]) for i in images} <= sizes
