"""The progress display that replaces Ray's console tables."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """``[ 12/20] best accuracy 0.9532 (trial 7) | failed 1 | 8.1s``.

    Rewrites one line on a terminal; prints a line per finished trial (at most every 2 s,
    plus the last) when the output is a file or a pipe, so logs stay readable.
    """

    def __init__(self, total: int | None, metric: str, stream: TextIO | None = None):
        self.total = total
        self.metric = metric
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._last_done = -1

    def __getstate__(self):  # picklable with the searcher that holds it; the stream is not
        return {**self.__dict__, "stream": None}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.stream = sys.stderr

    def update(self, done: int, failed: int, best: float | None, best_id: int | None, final=False):
        now = time.perf_counter()
        if not self.tty and not final and now - self._last < 2.0:
            return
        if not self.tty and final and self._last_done == done:
            return  # that line is already on screen
        self._last = now
        self._last_done = done
        total = f"/{self.total}" if self.total else ""
        width = len(str(self.total or done))
        best_txt = (
            f"best {self.metric} {best:.4g} (trial {best_id})"
            if best is not None
            else "no score yet"
        )
        line = f"[{done:>{width}}{total}] {best_txt} | failed {failed} | {now - self.t0:.1f}s"
        if self.tty:
            self.stream.write("\r" + line.ljust(78) + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def show(self, recorder, mode: str, final: bool = False) -> None:
        """:meth:`update` from a run's records (``runner.records.Recorder``): trials finished
        (cancelled ones left out), how many of them did not end "ok" or "stopped early", and
        the best so far for ``mode``."""
        done = [r for r in recorder.done() if r.status != "cancelled"]
        best = recorder.best(mode)
        self.update(
            len(done),
            sum(r.status not in ("ok", "stopped early") for r in done),
            best.score if best else None,
            best.trial_id if best else None,
            final=final,
        )
