"""Several strategies on the same problem, budget and folds: one table, and the curves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas loads with the first comparison, not with `import automl_core`
    import pandas as pd

    from ..results import Results

__all__ = ["Comparison", "compare", "best_so_far"]


def best_so_far(table: pd.DataFrame, mode: str, by: str = "trial_id") -> pd.DataFrame:
    """Best score so far of each strategy, in trial order (``by="trial_id"``) or in time
    (``by="finished_s"``). Failed trials do not move the curve. Columns: strategy, ``by``,
    score, best_so_far."""
    import pandas as pd

    parts = []
    for strategy, t in table.groupby("strategy", sort=False):
        t = t.sort_values(by)
        scores = t["score"].where(t["status"] == "ok")
        best = scores.cummax() if mode == "max" else scores.cummin()
        parts.append(
            pd.DataFrame(
                {
                    "strategy": strategy,
                    by: t[by].to_numpy(),
                    "score": scores.to_numpy(),
                    "best_so_far": best.to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@dataclass
class Comparison:
    """``table``: every trial of every strategy (``strategy`` column). ``per_trial`` and
    ``per_second``: best-so-far curves as data. ``results``: the full Results by strategy."""

    table: pd.DataFrame
    metric: str
    mode: str
    results: dict[str, Results] = field(default_factory=dict)

    @property
    def per_trial(self) -> pd.DataFrame:
        return best_so_far(self.table, self.mode, "trial_id")

    @property
    def per_second(self) -> pd.DataFrame:
        return best_so_far(self.table, self.mode, "finished_s")

    def summary(self) -> pd.DataFrame:
        """Per strategy: best score, trials ok, wall time of its run."""
        import pandas as pd

        rows = []
        for name, res in self.results.items():
            t = res.table
            rows.append(
                {
                    "strategy": name,
                    "best_score": res.best.score if res.best else None,
                    "trials_ok": int((t["status"] == "ok").sum()),
                    "wall_s": float(t["finished_s"].max()) if len(t) else 0.0,
                }
            )
        asc = self.mode == "min"
        return pd.DataFrame(rows).sort_values("best_score", ascending=asc, ignore_index=True)


def compare(
    data: pd.DataFrame,
    target: str,
    strategies: list[Any] = ("random", "gp"),
    trials: int | None = 20,
    seed: int = 0,
    **run_kwargs: Any,
) -> Comparison:
    """Run ``ac.run`` once per strategy with the same config, budget and seed.

    The same seed gives the same folds (and the same per-trial model seeds), so the scores
    differ only by what each strategy chose to try. Ray (embedded, or the cluster at
    ``address``) is started before the first strategy's clock starts, so no strategy's
    ``wall_s`` carries its start-up; an embedded Ray's prestarted workers have imported their
    stack by then too (up to 10 s of waiting), as the later strategies find them.
    """
    import pandas as pd

    from ..runner.session import ensure_ray
    from ..runner.warm import wait_for_prestarted
    from .api import run

    ensure_ray(run_kwargs.get("address"), preload="tables")
    wait_for_prestarted(ready=True)
    results: dict[str, Results] = {}
    for s in strategies:
        name = s if isinstance(s, str) else (s.get("kind") if isinstance(s, dict) else s.kind)
        results[name] = run(data, target, strategy=s, trials=trials, seed=seed, **run_kwargs)
    first = next(iter(results.values()))
    table = pd.concat([r.table for r in results.values()], ignore_index=True)
    return Comparison(table, first.metric, first.mode, results)
