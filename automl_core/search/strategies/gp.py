"""Gaussian-process Bayesian optimisation (kind ``"gp"``), on numpy and scipy.

Each suggestion after the initial design:

1. encode every finished trial as a row (see :mod:`._gp_encoding`: unit cube, log dims in log
   space, choices as indices compared by Hamming distance, inactive dims imputed to a constant);
   failed and NaN trials count as the worst loss seen, so the search learns to avoid them
   without one outlier stretching the standardised scale;
2. fit a Matern 5/2 ARD GP by maximising the marginal likelihood (with priors), warm-started
   from the previous fit (see :mod:`._gp_kernel`), to the standardised losses and to the
   losses with a heavy tail of bad values compressed (a Yeo-Johnson transform, see
   :mod:`._gp_output`; not once tied losses show plateaus), and keep the one the data favour
   (:meth:`GPStrategy._fit`); past 64 rows each new result moves the hyperparameters a few
   optimiser steps only (``LOOSE_MAXITER``); past ``MAX_ROWS`` results it is fitted on the
   best half of them and a seeded sample of the rest (an ask's cost stops growing);
3. *kriging believer* for pending trials: each one is added to the GP with its posterior mean as
   a fantasy value (same hyperparameters), so the next point goes elsewhere; and no point is
   proposed within ``PENDING_RADIUS`` length scales of a pending one, so a batch of asks (a
   cluster's workers starting together) spreads out instead of piling up at the incumbent;
4. maximise log EI: score random candidates and perturbations of the best points, run L-BFGS-B
   from the best few, try switching each choice of the winners, round ints, and take the best
   point not already tried or pending.

The initial design is a scrambled Sobol sequence seeded from the strategy's seed: space-filling,
and extended past its nominal size while fewer than two trials have finished.

**Early stopping** (ASHA, HyperBand): a trial stopped at a rung is information, not a failure.
The GP is fitted BOHB-style, on the scores at one fidelity: the highest epoch that at least
``MIN_RUNG_POINTS`` trials reached (:func:`.fidelity.choose_level`; a finished trial reached
every epoch). Trials stopped below it enter with their last score moved to that rung by the
median gap measured on the trials that reached both (:func:`.fidelity.losses_at`). Chosen over
fidelity as an input dimension: the scores of one rung need no model of how learning curves
evolve (curves of different configurations cross, and their offset between epochs is not
stationary), and a trial is one row, not one per epoch, which keeps the fit cheap with many
trials. Chosen over BOHB's own rule (leave lower trials out, wait for d + 1 results at a rung):
in an ASHA simulation (tests/test_strategy_fidelity.py) leaving them out sent the search back
into regions already stopped (median best final loss -3.26 vs -3.69 for the gap rule and -3.53
for the old "stopped = failed", Hartmann-4 curves, 400 epochs, 10 seeds), and a rung needing 4
or d + 2 trials was no better than 2 once lower trials are moved onto it. Without epochs (no
scheduler) every trial is one full-budget result and nothing changes.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from scipy.stats import qmc
from threadpoolctl import ThreadpoolController

from ..space import SearchSpace
from ._acquisition import acq_values, maximize_log_ei
from ._gp_encoding import Encoder
from ._gp_kernel import GP, LOOSE_FIT_ROWS, fit_hyperparameters, scaled_sqdist, sq_diffs
from ._gp_output import output_choices
from .base import Outcome, Strategy
from .fidelity import FULL, Seen, choose_level, losses_at, seen
from .random_search import sample_point

__all__ = ["GPStrategy"]

_controller: ThreadpoolController | None = None

#: trials that must have reached a rung before the GP models the scores there
MIN_RUNG_POINTS = 2
#: no suggestion within this many length scales (GP correlation 0.97) of a pending trial.
#: Kriging believer alone let a batch pile up at the incumbent on a deterministic objective
#: (32 asks on Branin: nearest neighbours 1e-4 apart, as good as one trial); the exclusion
#: spreads them at least as far apart as random points, and with 4 workers cost little
#: (8 seeds, 50 trials: Branin 3e-5 vs 5e-6, Hartmann6 0.18 vs 0.19, Levy-4 0.91 vs 0.83). A
#: constant liar (pending trials at the median loss) spread them too but lost more on Branin
#: (6e-3) by keeping workers off the incumbent.
PENDING_RADIUS = 0.2
#: results the GP is fitted on at most. Past it, the best half of them and a seeded random
#: sample of the rest: an ask costs O(n^2)-O(n^3) in the results, and with a scheduler a run of
#: a few minutes gives hundreds of them (ASHA stops most trials after a few epochs), while the
#: ask runs in the driver between one trial's end and the next one's start. With 32 pending at
#: 800 results an ask took 330 ms CPU, capped 42 (at 200 results, below the cap, 28-29 ms); on
#: benchmarks/bench_early_stopping.py's table case gp then ran 19-27% more trials in 120 s and
#: its best score was the same or higher on each of 5 seeds (RESULTS.md, issue 18).
MAX_ROWS = 256
#: results from which the GP's evidence chooses between the plain and the transformed losses
#: (see ``GPStrategy._fit``); below it the transform is used wherever it applies. With a
#: dozen results the evidence is itself noisy: choosing from the first fits sent one Branin
#: search of three (seed 1) to a corner, regret 1.5 after 30 trials against 1e-3.
CHOOSE_OUTPUT_ROWS = 20
#: past ``LOOSE_FIT_ROWS`` rows, the output not chosen is fitted at every this many results
#: only. Fitting both at every result made the ask with 32 pending at 200 results 36-39 ms
#: CPU (median; 29-31 with one fit, 30-32 with this cadence; RESULTS.md, issue 18), and with
#: a scheduler the ask runs in the driver between one trial's end and the next one's start.
CHALLENGE_EVERY = 8


def _one_blas_thread():
    """A context that runs BLAS on one thread.

    The matrices are tiny (tens of rows): threads buy nothing, and when trials or another
    process keep the cores busy, spinning BLAS threads made single suggestions take seconds.
    """
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def _near(gp: GP, rows: np.ndarray, pending: np.ndarray) -> np.ndarray:
    """Which ``rows`` lie within ``PENDING_RADIUS`` length scales of a pending trial."""
    if not len(pending):
        return np.zeros(len(rows), dtype=bool)
    return scaled_sqdist(rows, pending, gp.isl, gp.is_cat).min(axis=1) < PENDING_RADIUS**2


class GPStrategy(Strategy):
    """GP-based Bayesian optimisation with log expected improvement (see the module docs).

    ``n_initial`` Sobol points come first (default ``min(10, 2 * n_dims + 1)``). The
    acquisition is scored on ``n_candidates`` random points plus perturbations of the best
    trials, and refined by gradient ascent from the best ``n_starts`` of them.
    """

    def __init__(
        self,
        space: SearchSpace,
        mode: Literal["min", "max"] = "max",
        seed: int = 0,
        n_initial: int | None = None,
        n_candidates: int = 1024,
        n_starts: int = 8,
    ):
        super().__init__(space, mode, seed)
        self.enc = Encoder(space)
        n = self.enc.n_cols
        self.n_initial = n_initial if n_initial is not None else min(10, 2 * n + 1)
        self.n_candidates = n_candidates
        self.n_starts = n_starts
        self._design_cache = np.empty((0, n))
        self._n_design = 0  # design points handed out
        self._obs: list[tuple[str, dict[str, Any], float | None]] = []  # (id, point, loss|None)
        self._pending: dict[str, dict[str, Any]] = {}
        # trials that reported epochs (see _targets); empty without a scheduler or epochs
        self._partial: dict[str, Seen] = {}
        # each output's last fitted hyperparameters (warm starts): "plain", "warped"
        self._warm: dict[str, np.ndarray] = {}
        self._output = "warped"  # which output the last fit chose (see _fit)
        self._rows: list[np.ndarray] = []  # encoded rows of self._obs, in order (not state)
        self._n_fit = 0  # results when the hyperparameters were last fitted

    # -- ask / tell ---------------------------------------------------------------------------

    def ask(self, trial_id: str) -> dict[str, Any] | None:
        if self.enc.n_cols == 0:
            point: dict[str, Any] = {}
        elif self._n_design < self.n_initial or sum(v is not None for v in self._targets()[1]) < 2:
            point = self._next_design_point()
        else:
            with _one_blas_thread():
                point = self._propose()
        self._pending[trial_id] = point
        return dict(point)

    def tell(self, trial_id: str, outcome: Outcome) -> None:
        point = self._pending.pop(trial_id, None)
        if point is None:  # unknown or already told: nothing to learn, nothing to break
            return
        loss = self.loss(float(outcome.value)) if outcome.ok else None
        self._obs.append((trial_id, point, loss))
        record = seen(outcome, self.loss)
        if record.has_epochs:
            self._partial[trial_id] = record

    # -- state -------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "n_design": self._n_design,
            "obs": [(t, dict(p), loss) for t, p, loss in self._obs],
            "pending": {t: dict(p) for t, p in self._pending.items()},
            "partial": {t: (r.reached, r.losses) for t, r in self._partial.items()},
            "warm": {k: v.copy() for k, v in self._warm.items()},
            "output": self._output,
            "n_fit": self._n_fit,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._n_design = state["n_design"]
        self._obs = [(t, dict(p), loss) for t, p, loss in state["obs"]]
        self._rows = []
        self._pending = {t: dict(p) for t, p in state["pending"].items()}
        self._partial = {t: Seen(*r) for t, r in state.get("partial", {}).items()}
        self._n_fit = state.get("n_fit", 0)
        self._output = state.get("output", "warped")
        warm = state.get("warm")
        if warm is None:  # a state saved before the output choice: one fit, "raw"
            warm = {} if state.get("raw") is None else {self._output: state["raw"]}
        self._warm = {k: np.array(v, dtype=float) for k, v in warm.items()}

    # -- internals ---------------------------------------------------------------------------

    @property
    def _raw(self) -> np.ndarray | None:
        """Hyperparameters of the GP last chosen (None before the first fit)."""
        return self._warm.get(self._output)

    def _key(self, point: dict[str, Any]) -> tuple:
        return tuple((name, point.get(name)) for name in self.space.names)

    def _taken(self) -> set[tuple]:
        keys = {self._key(p) for _, p, _ in self._obs}
        keys.update(self._key(p) for p in self._pending.values())
        return keys

    def _next_design_point(self) -> dict[str, Any]:
        """The next Sobol point (distinct from earlier ones where the space allows)."""
        taken = self._taken()
        point: dict[str, Any] = {}
        for _ in range(64):  # small discrete spaces repeat points; skip those while we can
            i = self._n_design
            self._n_design += 1
            if i >= len(self._design_cache):
                # regenerating from the seed (not self.rng) keeps the design out of the state
                m = max(4, int(np.ceil(np.log2(i + 1))) + 1)
                sobol = qmc.Sobol(self.enc.n_cols, scramble=True, rng=self.seed + 7919)
                self._design_cache = self.enc.from_uniform(sobol.random_base2(m))
            point = self.enc.decode(self._design_cache[i])
            if self._key(point) not in taken:
                break
        return point

    def _targets(self) -> tuple[list[dict[str, Any]], list[float | None]]:
        """The points the GP is fitted on and their losses (None: failed, fitted at the worst).

        Without epochs, every finished trial at its final loss. With epochs (a scheduler
        stopped some trials), the losses at the rung :func:`~.fidelity.choose_level` picks,
        trials stopped below it moved there by :func:`~.fidelity.losses_at`.
        """
        if not self._partial:
            return [p for _, p, _ in self._obs], [loss for _, _, loss in self._obs]
        recs = [self._record(t, loss) for t, _, loss in self._obs]
        level = choose_level(recs, MIN_RUNG_POINTS)
        return [p for _, p, _ in self._obs], losses_at(recs, level)

    def _record(self, trial_id: str, loss: float | None) -> Seen:
        if trial_id in self._partial:
            return self._partial[trial_id]
        return Seen(FULL, ((FULL, loss),)) if loss is not None else Seen(-np.inf, ())

    def _training_data(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows and losses of finished trials (failed ones at the worst loss)."""
        _, losses = self._targets()
        rows = self._rows  # a told trial's row never changes: encode it once
        for _, p, _ in self._obs[len(rows) :]:
            rows.append(self.enc.encode(p))
        X = np.array(rows)
        worst = max(v for v in losses if v is not None)
        y = np.array([worst if v is None else v for v in losses])
        if len(y) > MAX_ROWS:
            keep = self._subset(y)
            X, y = X[keep], y[keep]
        return X, y

    def _subset(self, y: np.ndarray) -> np.ndarray:
        """Indices of the ``MAX_ROWS`` results the GP is fitted on: the best half (the region
        the acquisition exploits keeps every result) and a random sample of the rest (the
        model away from it), seeded by the strategy's seed and the count, so a batch of asks
        with no new result in between fits the same rows."""
        order = np.argsort(y, kind="stable")
        best, rest = order[: MAX_ROWS // 2], order[MAX_ROWS // 2 :]
        rng = np.random.default_rng([self.seed % 2**32, len(y)])
        return np.sort(np.concatenate([best, rng.choice(rest, MAX_ROWS - len(best), False)]))

    def _fit(self, X: np.ndarray, y: np.ndarray) -> GP:
        """The GP on the losses as given or power-transformed, whichever the data favour.

        From ``CHOOSE_OUTPUT_ROWS`` results on, both are fitted (each warm-started from its own
        last optimum; the one not chosen last time loosely, ``LOOSE_MAXITER`` iterations, as a
        challenger only) and the higher log posterior wins, the transform's log Jacobian added
        to its side so that both are densities of the same losses (a warped GP's likelihood,
        Snelson et al., 2004). Why: the transform compresses a heavy tail of bad values, which
        valleys need, but on a cone (BBOB's sharp ridge) it turns the tip into a funnel; the
        GP's own evidence keeps it where it fits better. benchmarks/bench_suite.py, 50
        evaluations, median regret: tuning seeds 100-139, sharp ridge 54.9 -> 48.5 (Optuna's
        GP 47.3), geometric-mean factor 1.01 over 25 problems (10 better, 6 worse); reported
        seeds 0-19 (RESULTS.md), sharp ridge 57 -> 41 (Optuna's GP 39; lower on 17 seeds of 20).

        Each fit starts from the last optimum. Past ``LOOSE_FIT_ROWS`` rows it stops after
        ``LOOSE_MAXITER`` iterations (see :func:`fit_hyperparameters`): the hyperparameters
        follow the data a few steps per result, and no ask pays for a full refit (with 32
        trials pending at 200 results, refitting every few results to convergence made those
        asks 60-110 ms CPU against 30 for the others). The final regrets at 150 evaluations
        were the same with 2 or 3 iterations per result as with full refits every few (8
        seeds: Hartmann6 4.6e-6, 4.8e-6, 4.8e-6; Levy-4 2.4e-4, 1.1e-4, 1.5e-4; Gallagher-101
        2.96, 2.95, 2.96). A batch of asks with no new result in between reuses the last choice
        and its hyperparameters: only the posterior is rebuilt.
        """
        out = output_choices(y)
        if out.warped is None:
            outputs = {"plain": out.plain}
        elif len(y) < CHOOSE_OUTPUT_ROWS:
            outputs = {"warped": out.warped}
        elif self._challenge_later(len(y)):
            outputs = {self._output: getattr(out, self._output)}
        else:
            outputs = {"plain": out.plain, "warped": out.warped}
        if self._raw is not None and len(self._obs) <= self._n_fit:
            return GP(X, outputs.get(self._output, out.plain), self.enc.is_cat, self._raw)
        # a lone fit starts from the last chosen optimum and runs as before the choice existed
        # (the same fits, bit for bit, below CHOOSE_OUTPUT_ROWS, plateaus or not); of two,
        # each follows its own optimum and the one not chosen last time is fitted loosely
        challenge = len(outputs) == 2
        warm = self._warm if challenge else {}
        sqd = sq_diffs(X, X, self.enc.is_cat)
        fits = {
            k: fit_hyperparameters(
                X, w, self.enc.is_cat, warm.get(k, self._raw), sqd, challenge and k != self._output
            )
            for k, w in outputs.items()
        }
        self._warm.update({k: raw for k, (raw, _) in fits.items()})
        log_evidence = {k: -nlp for k, (_, nlp) in fits.items()}
        if "warped" in log_evidence:
            log_evidence["warped"] += out.log_jacobian
        self._output = max(log_evidence, key=log_evidence.get)
        self._n_fit = len(self._obs)
        return GP(X, outputs[self._output], self.enc.is_cat, self._raw)

    def _challenge_later(self, n_rows: int) -> bool:
        """Whether this fit leaves the output not chosen unfitted: past ``LOOSE_FIT_ROWS``
        rows it is challenged at every ``CHALLENGE_EVERY``-th result only (the choice has
        settled by then, and a second fit at every result costs every ask; see
        ``CHALLENGE_EVERY``)."""
        return n_rows > LOOSE_FIT_ROWS and len(self._obs) % CHALLENGE_EVERY != 0

    def _propose(self) -> dict[str, Any]:
        enc = self.enc
        gp = self._fit(*self._training_data())
        best = float(gp.y.min())
        Xp = np.array([enc.encode(p) for p in self._pending.values()]).reshape(-1, enc.n_cols)
        if len(Xp):  # kriging believer: pending trials come back at the posterior mean
            fantasy = gp.predict(Xp)[0]
            gp = gp.condition(Xp, fantasy)
            best = min(best, float(fantasy.min()))
        cands = self._candidates(gp.X[np.argsort(gp.y)[:5]])
        scores = np.where(_near(gp, cands, Xp), -np.inf, acq_values(gp, cands, best))
        # The best few candidates start the gradient ascent. Tried and dropped: roulette
        # sampling of the starts (Optuna's), the incumbent as an extra start, 200 iterations,
        # 2048 candidates: none improved the medians on Branin/Hartmann6 over 20 seeds.
        order = np.argsort(-scores, kind="stable")[: self.n_starts]
        starts, _ = maximize_log_ei(gp, best, cands[order], enc.free_mask(cands[order]))
        if enc.is_cat.any():
            starts = self._switch_choices(gp, best, starts)
        # round ints / re-impute, score what would really run, take the best untried point
        final = np.array([enc.snap(r) for r in np.vstack([starts, cands[order]])])
        final_scores = np.where(_near(gp, final, Xp), -np.inf, acq_values(gp, final, best))
        taken = self._taken()
        for i in np.argsort(-final_scores, kind="stable"):
            point = enc.decode(final[i])
            if self._key(point) not in taken:
                return point
        for i in np.argsort(-scores, kind="stable"):  # every refined point was taken already
            point = enc.decode(cands[i])
            if self._key(point) not in taken:
                return point  # (near a pending trial only when all candidates are)
        return sample_point(self.space, self.rng)  # a tiny, exhausted discrete space

    def _candidates(self, best_rows: np.ndarray) -> np.ndarray:
        """Random rows plus Gaussian perturbations of the best rows (local refinement)."""
        enc = self.enc
        pool = enc.from_uniform(self.rng.random((self.n_candidates, enc.n_cols)))
        reps = np.repeat(best_rows, 20, axis=0)
        sigma = np.exp(self.rng.uniform(np.log(1e-3), np.log(0.2), size=(len(reps), 1)))
        noise = self.rng.normal(size=reps.shape) * sigma
        local = np.where(enc.free_mask(reps), np.clip(reps + noise, 0.0, 1.0), reps)
        return np.vstack([pool, local])

    def _switch_choices(self, gp: GP, best: float, rows: np.ndarray) -> np.ndarray:
        """Greedy discrete step: replace each row by its best one-choice neighbour, refined."""
        enc = self.enc
        base = acq_values(gp, rows, best)
        out = rows.copy()
        for i, row in enumerate(rows):
            nbs = enc.neighbours(row)
            if not len(nbs):
                continue
            vals = acq_values(gp, nbs, best)
            j = int(np.argmax(vals))
            if vals[j] > base[i]:
                ref, _ = maximize_log_ei(gp, best, nbs[j : j + 1], enc.free_mask(nbs[j : j + 1]))
                out[i] = ref[0]
        return out
