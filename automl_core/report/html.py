"""The report: every chart as a PNG file plus one self-contained ``report.html``.

The page embeds its images as base64 ``data:`` URIs and its style inline: no network, no
external file, so it opens the same from an e-mail attachment as from the results folder.
A chart whose data is absent is replaced by a note; a chart that fails is replaced by the
error, and the rest of the report is still written.
"""

from __future__ import annotations

import base64
import html
import io
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ._common import ChartUnavailable, fmt, ok_trials, table_of
from .charts import CHARTS, Chart

__all__ = ["Report", "write_report", "render_html"]


@dataclass
class Report:
    """What :func:`write_report` wrote, and which charts it left out and why."""

    html: Path
    images: dict[str, Path] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  #: data absent: name → what is missing
    failed: dict[str, str] = field(default_factory=dict)  #: a chart raised: name → error


@dataclass
class _Rendered:
    chart: Chart
    png: bytes | None = None
    note: str | None = None
    failed: bool = False


def _render(data: Any, chart: Chart, dpi: int) -> _Rendered:
    try:
        fig = chart.load()(data)
    except ChartUnavailable as exc:
        return _Rendered(chart, note=str(exc))
    except Exception as exc:  # one broken chart must not cost the whole report
        return _Rendered(chart, note=f"{type(exc).__name__}: {exc}", failed=True)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return _Rendered(chart, png=buf.getvalue())


def write_report(
    data: Any,
    directory: str | Path | None = None,
    *,
    charts: list[str] | None = None,
    dpi: int = 100,
    title: str | None = None,
) -> Report:
    """Write ``<chart>.png`` files and ``report.html`` into ``directory``.

    ``directory`` defaults to the results' own folder (``results_dir``). ``charts`` picks
    charts by name (default: all). A PNG left from an earlier report for a chart now skipped
    is removed, so the folder matches the page.
    """
    directory = directory or getattr(data, "results_dir", None)
    if directory is None:
        raise ValueError("give a directory: these results were never saved to a folder")
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    wanted = [c for c in CHARTS if charts is None or c.name in charts]
    rendered = [_render(data, c, dpi) for c in wanted]
    report = Report(html=d / "report.html")
    for r in rendered:
        path = d / f"{r.chart.name}.png"
        if r.png is not None:
            path.write_bytes(r.png)
            report.images[r.chart.name] = path
        else:
            path.unlink(missing_ok=True)
            (report.failed if r.failed else report.skipped)[r.chart.name] = r.note or ""
    report.html.write_text(render_html(data, rendered, title=title or _default_title(data, d)))
    return report


def _default_title(data: Any, d: Path) -> str:
    return f"AutoML report: {d.resolve().name}"


# ---------------------------------------------------------------------------- the page

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;
background:#f6f7f9}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:1.6em;margin:0 0 4px}
.sub{color:#5b6472;margin:0 0 20px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:20px}
.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:12px 16px;min-width:150px}
.card .k{color:#5b6472;font-size:.85em}.card .v{font-size:1.4em;font-weight:600}
.card .d{color:#5b6472;font-size:.8em}
section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:16px;margin:0 0 16px}
h2{font-size:1.15em;margin:0 0 10px}
img{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;font-size:.85em;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e6e9ee;vertical-align:top}
th{background:#eef2f7}
.note{color:#5b6472;font-style:italic;margin:0}
.pair{display:flex;flex-wrap:wrap;gap:0 16px}.pair>section{flex:1 1 420px;min-width:0}
.error{color:#b3261e;margin:0}
"""


def _e(value: Any) -> str:
    return html.escape(fmt(value) if not isinstance(value, str) else value)


def _card(key: str, value: str, detail: str = "") -> str:
    d = f'<div class="d">{html.escape(detail)}</div>' if detail else ""
    return (
        f'<div class="card"><div class="k">{html.escape(key)}</div>'
        f'<div class="v">{html.escape(value)}</div>{d}</div>'
    )


def _cards(data: Any) -> str:
    info = getattr(data, "info", None) or {}
    metric = getattr(data, "metric", None) or "score"
    cards = []
    best = getattr(data, "best", None)
    if best is not None:
        std = f" ± {fmt(best.score_std, 3)}" if best.score_std is not None else ""
        cards.append(_card(f"best CV {metric}", fmt(best.score), f"trial {best.trial_id}{std}"))
    if info.get("test_score") is not None:
        rows = f"{info['test_rows']} held-out rows" if "test_rows" in info else "held-out rows"
        cards.append(_card(f"test {metric}", fmt(info["test_score"]), rows))
    gain = info.get("cleaning_gain")
    if isinstance(gain, dict) and gain.get("gain") is not None:
        g = gain["gain"]
        detail = f"{fmt(gain.get('baseline_score'))} → {fmt(gain.get('cleaned_score'))}"
        cards.append(_card("cleaning gain", f"{'+' if g >= 0 else ''}{fmt(g)}", detail))
    elif isinstance(gain, dict) and gain.get("baseline_error"):
        cards.append(_card("cleaning gain", "–", "the baseline without cleaning failed"))
    try:
        table = table_of(data)
        n_ok = len(ok_trials(table))
        cards.append(_card("trials", f"{n_ok} / {len(table)}", "scored / run"))
        if "finished_s" in table.columns and table["finished_s"].notna().any():
            cards.append(_card("search time", f"{float(table['finished_s'].max()):.1f} s"))
    except (TypeError, ChartUnavailable):
        pass
    return f'<div class="cards">{"".join(cards)}</div>'


def _fact(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_fact(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fact(v) for v in value) + "]"
    return fmt(value)


def _facts(data: Any) -> str:
    facts: dict[str, Any] = {}
    for key in ("metric", "mode"):
        if getattr(data, key, None):
            facts[key] = getattr(data, key)
    try:
        table = table_of(data)
        if "strategy" in table.columns:
            facts["strategies"] = ", ".join(dict.fromkeys(table["strategy"].astype(str)))
    except TypeError:
        pass
    config = getattr(data, "config", None)
    for key in ("seed", "test_size"):
        v = getattr(config, key, None)
        if v is not None:
            facts[key] = v
    folds = getattr(getattr(config, "cv", None), "folds", None)
    if folds:
        facts["cv folds"] = folds
    for key, value in (getattr(data, "info", None) or {}).items():
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        facts[key.replace("_", " ")] = value
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(_fact(v))}</td></tr>"
        for k, v in facts.items()
    )
    return f"<section><h2>Run facts</h2><table>{rows}</table></section>"


def _html_table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _leaderboard(data: Any) -> str:
    """The best trial of each model as a text table (absent when no trial scored)."""
    from .leaderboard import leaderboard_frame

    try:
        board = leaderboard_frame(data)
    except (TypeError, ChartUnavailable):
        return ""
    if board.empty:
        return ""
    shown = board.rename(columns={"fit_time_s": "fit s", "predict_time_s": "predict s"})
    shown["score_std"] = [fmt(v, 3) for v in shown["score_std"]]
    for col in ("fit s", "predict s"):
        shown[col] = [fmt(v, 3) for v in shown[col]]
    shown["trial_id"] = ["–" if pd.isna(v) else str(int(v)) for v in shown["trial_id"]]
    note = (
        '<p class="note">The best trial of each model; fit and predict seconds are summed '
        "over the folds.</p>"
    )
    return f'<section id="leaderboard"><h2>Leaderboard</h2>{_html_table(shown)}{note}</section>'


#: charts shown side by side (what the search's parameters and the table's columns explain)
_PAIRED = ("importance", "feature_importance")


def _sections(data: Any, rendered: list[_Rendered]) -> list[str]:
    """Each chart's section, the two importance charts in one row."""
    pair = [r for r in rendered if r.chart.name in _PAIRED]
    out = []
    for r in rendered:
        if r.chart.name not in _PAIRED:
            out.append(_chart_section(data, r))
        elif r is pair[0]:
            inner = "".join(_chart_section(data, q) for q in pair)
            out.append(inner if len(pair) == 1 else f'<div class="pair">{inner}</div>')
    return out


def _chart_section(data: Any, r: _Rendered) -> str:
    title = html.escape(r.chart.title)
    if r.png is None:
        cls, lead = ("error", "Chart failed") if r.failed else ("note", "Not shown")
        msg = f"{lead}: {r.note}. This chart reads {r.chart.needs}."
        return f'<section id="{r.chart.name}"><h2>{title}</h2><p class="{cls}">{html.escape(msg)}</p></section>'
    if r.chart.name == "top_trials":
        # as text in the page (searchable, copyable); the PNG is still written for slides
        from .importance import top_trials_frame

        body = _html_table(top_trials_frame(data))
    else:
        b64 = base64.b64encode(r.png).decode("ascii")
        body = f'<img alt="{title}" src="data:image/png;base64,{b64}">'
    return f'<section id="{r.chart.name}"><h2>{title}</h2>{body}</section>'


def render_html(data: Any, rendered: list[_Rendered], title: str) -> str:
    """The whole page as one string."""
    metric = getattr(data, "metric", None) or "score"
    task = (getattr(data, "info", None) or {}).get("task", "")
    stamp = time.strftime("%Y-%m-%d %H:%M")
    sub = " · ".join(x for x in (task, f"metric {metric}", f"written {stamp}") if x)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body><main>",
        f'<h1>{html.escape(title)}</h1><p class="sub">{html.escape(sub)}</p>',
        _cards(data),
        _leaderboard(data),
        *_sections(data, rendered),
        _facts(data),
        "</main></body></html>",
    ]
    return "\n".join(parts)
