"""The loggers' event hub (automl_core.experiment.loggers): order, threads, failures, validation.

The loggers here are real objects that keep what they were given (no mock of the hub or the
engine); the last tests run them through a real ``ac.tune`` on the session's Ray.
"""

from __future__ import annotations

import os
import pickle
import threading
import time
import types
import warnings
from typing import Literal

import pytest

import automl_core as ac
from automl_core.config import ConfigError
from automl_core.experiment.loggers import (
    MAX_CONSECUTIVE_FAILURES,
    LoggerHub,
    LoggerWarning,
    conformance_events,
    parse_loggers,
    rows_from_results,
)
from automl_core.plugins import build_registry
from automl_core.testing import check_logger

#: what each KeepLogger saw, by its spec's ``name`` (the logger runs in this process)
SEEN: dict[str, list[tuple]] = {}


class Keeper:
    """A logger that keeps every call: (method, what it got, thread name, process id)."""

    def __init__(self, name: str, fail_in: str = "", delay_s: float = 0.0):
        self.name, self.fail_in, self.delay_s = name, fail_in, delay_s
        SEEN[name] = []

    def _keep(self, method: str, what) -> None:
        time.sleep(self.delay_s)
        SEEN[self.name].append((method, what, threading.current_thread().name, os.getpid()))
        if method in self.fail_in.split(","):
            raise RuntimeError(f"{self.name} broke in {method}")

    def start(self, *, kind, config, info, seed, results_dir, resumed, finished_rows):
        self._keep("start", dict(kind=kind, config=config, info=info, seed=seed, resumed=resumed))

    def trial(self, row, history):
        self._keep("trial", (row, history))

    def end(self, results, results_dir, example=None):
        self._keep("end", (results, results_dir, example))

    def close(self):
        self._keep("close", None)


class KeepSpec(ac.LoggerSpec):
    """Keeps the run's events in ``SEEN[name]``."""

    kind: Literal["keep"] = "keep"
    name: str = "keep"
    fail_in: str = ""
    delay_s: float = 0.0

    def build(self):
        return Keeper(self.name, self.fail_in, self.delay_s)


class BrokenSpec(ac.LoggerSpec):
    kind: Literal["broken"] = "broken"

    def build(self):
        raise OSError("no such tracker")


@ac.hookimpl
def automl_register_loggers():
    return [KeepSpec, BrokenSpec]


PLUGIN = types.ModuleType("keep_plugin")
PLUGIN.automl_register_loggers = automl_register_loggers


def start_kwargs(**over):
    kw = dict(
        kind="tune",
        config={"strategy": {"kind": "random"}},
        info={"rows": 3},
        seed=7,
        results_dir=None,
        resumed=False,
        finished_rows=[],
    )
    return {**kw, **over}


def row(i: int, status: str = "ok") -> dict:
    return {"trial_id": i, "status": status, "score": i / 10, "params": {"a": i}, "metrics": {}}


def methods(name: str) -> list[str]:
    return [m for m, *_ in SEEN[name]]


def test_each_logger_gets_every_event_in_order_on_a_driver_thread_of_its_own():
    hub = LoggerHub([("a", Keeper("a")), ("b", Keeper("b"))])
    assert hub
    hub.start(**start_kwargs())
    for i in range(5):
        hub.trial(row(i), [{"trial_id": i, "epoch": 1, "metric": "loss", "value": 1.0}])
    hub.end("the results", "/some/dir", example="rows")
    for name in ("a", "b"):
        assert methods(name) == ["start"] + ["trial"] * 5 + ["end"]
        assert [what[0]["trial_id"] for m, what, *_ in SEEN[name] if m == "trial"] == [
            0,
            1,
            2,
            3,
            4,
        ]
        threads = {t for _, _, t, _ in SEEN[name]}
        assert threads == {f"automl-logger-{name}"}, threads  # its own thread, not the caller's
        assert {pid for *_, pid in SEEN[name]} == {os.getpid()}  # in the driver process
    assert SEEN["a"][-1][1] == ("the results", "/some/dir", "rows")
    assert not LoggerHub([])  # no logger: falsy, the engine skips building rows


def test_the_rows_a_logger_gets_are_copies_the_engine_cannot_change_later():
    hub = LoggerHub([("c", Keeper("c", delay_s=0.05))])
    hub.start(**start_kwargs())
    r = row(1)
    hub.trial(r, [])
    r["params"]["a"] = "changed"  # the engine's record moves on while the logger waits
    r["status"] = "changed"
    hub.end(None, None)
    logged = SEEN["c"][1][1][0]
    assert logged["params"] == {"a": 1} and logged["status"] == "ok"


def test_trial_returns_at_once_while_a_slow_logger_works():
    hub = LoggerHub([("slow", Keeper("slow", delay_s=0.05))])
    hub.start(**start_kwargs())
    t0 = time.perf_counter()
    for i in range(20):
        hub.trial(row(i), [])
    queued_s = time.perf_counter() - t0
    hub.end(None, None)
    waited_s = time.perf_counter() - t0
    assert methods("slow").count("trial") == 20  # end waited for the whole queue
    assert waited_s >= 20 * 0.05
    assert queued_s < 0.25 * waited_s, (queued_s, waited_s)


def test_a_logger_that_raises_is_a_warning_naming_it_and_the_others_go_on():
    hub = LoggerHub([("'flaky'", Keeper("flaky", fail_in="trial")), ("'fine'", Keeper("fine"))])
    with pytest.warns(LoggerWarning) as caught:
        hub.start(**start_kwargs())
        for i in range(6):
            hub.trial(row(i), [])
        hub.end(None, None)
    texts = [str(w.message) for w in caught]
    assert texts[0] == (
        "logger 'flaky' failed in trial: RuntimeError: flaky broke in trial (the search goes on)"
    )
    # after MAX_CONSECUTIVE_FAILURES failures in a row it gets no further call
    assert len(texts) == MAX_CONSECUTIVE_FAILURES
    assert "off for the rest of this run" in texts[-1]
    assert methods("flaky") == ["start"] + ["trial"] * MAX_CONSECUTIVE_FAILURES
    assert methods("fine") == ["start"] + ["trial"] * 6 + ["end"]


def test_a_logger_whose_start_raised_gets_no_further_call():
    hub = LoggerHub([("'dead'", Keeper("dead", fail_in="start")), ("'live'", Keeper("live"))])
    with pytest.warns(LoggerWarning, match=r"'dead' failed in start.*off for the rest"):
        hub.start(**start_kwargs())
        hub.trial(row(0), [])
        hub.end(None, None)
    assert methods("dead") == ["start"]
    assert methods("live") == ["start", "trial", "end"]


def test_a_logger_that_hangs_does_not_hang_the_end_of_the_run():
    hub = LoggerHub([("'stuck'", Keeper("stuck", delay_s=3.0))])
    hub.start(**start_kwargs())
    t0 = time.perf_counter()
    with pytest.warns(LoggerWarning, match=r"'stuck' did not finish its end within 0.3 s"):
        hub.end(None, None, timeout_s=0.3)
    assert time.perf_counter() - t0 < 2.0
    hub.trial(row(0), [])  # after end: ignored, no error


def test_close_flushes_the_queue_and_calls_close():
    hub = LoggerHub([("k", Keeper("k", delay_s=0.02)), ("plain", object())])
    hub.start(**start_kwargs())
    hub.trial(row(0), [])
    with pytest.warns(LoggerWarning, match="plain failed in start"):
        hub.close()  # the object() has no start (a warning), and no close (optional: none)
    assert methods("k") == ["start", "trial", "close"]
    hub.close()  # twice: nothing more
    assert methods("k") == ["start", "trial", "close"]


def test_the_hub_stays_in_the_driver():
    with pytest.raises(TypeError, match="loggers never run on trial workers"):
        pickle.dumps(LoggerHub([("k", Keeper("k"))]))


def test_a_logger_without_the_optional_keywords_still_gets_its_calls():
    class Old:
        def __init__(self):
            self.got = []

        def start(self, *, kind, config, info, seed, results_dir, resumed, finished_rows):
            self.got.append("start")

        def trial(self, row, history):
            self.got.append("trial")

        def end(self, results, results_dir):  # no `example`
            self.got.append("end")

    old = Old()
    hub = LoggerHub([("old", old)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", LoggerWarning)
        hub.start(**start_kwargs(), finished_history=[])
        hub.trial(row(0), [])
        hub.end(None, None, example="rows")
    assert old.got == ["start", "trial", "end"]


def test_specs_are_validated_against_the_registry():
    reg = build_registry(extra_plugins=[PLUGIN])
    specs = parse_loggers(["keep", {"kind": "keep", "name": "x"}, KeepSpec(name="y")], reg)
    assert [s.name for s in specs] == ["keep", "x", "y"]
    assert parse_loggers(None, reg) == [] and parse_loggers("keep", reg)[0].kind == "keep"
    with pytest.raises(ConfigError) as exc:
        parse_loggers([{"kind": "keep"}, {"kind": "keep", "delay_s": "slow", "nope": 1}], reg)
    assert {p.split(":")[0] for p in exc.value.problems} == {"loggers.1.delay_s", "loggers.1.nope"}
    with pytest.raises(ConfigError, match=r"loggers\.0: .*'nowhere'"):
        parse_loggers(["nowhere"], reg)


def test_a_spec_whose_build_raises_is_left_out_with_a_warning():
    reg = build_registry(extra_plugins=[PLUGIN])
    with pytest.warns(LoggerWarning, match=r"loggers\.0 \('broken'\) could not be built: OSError"):
        hub = LoggerHub.from_specs(["broken", {"kind": "keep", "name": "kept"}], reg)
    assert len(hub._workers) == 1
    hub.start(**start_kwargs())
    hub.end(None, None)
    assert methods("kept") == ["start", "end"]


def test_rows_from_results_give_the_rows_the_hub_takes(tmp_path):
    run = conformance_events(str(tmp_path))
    rows, history = rows_from_results(ac.Results.load(tmp_path))
    assert [r["trial_id"] for r in rows] == [0, 1, 2, 3]
    assert rows[1]["params"] == {"lr": 0.01, "layers": 2, "act": "tanh"}
    assert rows[1]["score"] == pytest.approx(0.6) and rows[1]["metrics"]["f1"] == pytest.approx(0.5)
    assert rows[2]["status"] == "failed" and rows[2]["score"] is None and "boom" in rows[2]["error"]
    assert {h["trial_id"] for h in history} == {0, 1, 2, 3}
    assert rows == [r for r, _ in run["trials"]]


def test_the_conformance_kit_passes_a_logger_and_names_a_broken_one(tmp_path):
    check_logger(KeepSpec(name="kit"), tmp_path)
    assert methods("kit") == ["start", "end"]  # the resumed run, by a fresh logger
    assert SEEN["kit"][0][1]["resumed"] is True

    class NoTrialSpec(ac.LoggerSpec):
        kind: Literal["no_trial"] = "no_trial"

        def build(self):
            return types.SimpleNamespace(start=print, end=print)

    with pytest.raises(AssertionError, match=r"NoTrialSpec.build\(\) has no trial\(\)"):
        check_logger(NoTrialSpec, tmp_path / "other")


# -- through a real ac.tune on the session's Ray --------------------------------------------


def _objective(params):
    if params["a"] > 0.8:
        raise ValueError("a too large")
    return params["a"]


@pytest.mark.usefixtures("ray_session")
def test_a_real_tune_run_hands_its_trials_to_the_logger_in_the_driver(tmp_path):
    res = ac.tune(
        _objective,
        {"a": ac.Float(0, 1)},
        trials=6,
        seed=3,
        results_dir=tmp_path / "run",
        show_progress=False,
        loggers=[KeepSpec(name="tune")],
    )
    got = methods("tune")
    assert got[0] == "start" and got[-1] == "end" and got.count("trial") == 6
    assert {pid for *_, pid in SEEN["tune"]} == {os.getpid()}  # never on a trial worker
    rows = [what[0] for m, what, *_ in SEEN["tune"] if m == "trial"]
    assert sorted(r["trial_id"] for r in rows) == sorted(res.table["trial_id"])
    for r in rows:
        assert {"trial_id", "status", "score", "params", "metrics", "error", "seed"} <= set(r)
        assert r["params"]["a"] == pytest.approx(
            res.table.set_index("trial_id").loc[r["trial_id"], "param.a"]
        )
    start = SEEN["tune"][0][1]
    assert start["kind"] == "tune" and start["seed"] == 3 and start["resumed"] is False


@pytest.mark.usefixtures("ray_session")
def test_a_logger_that_raises_leaves_the_run_complete_and_its_folder_whole(tmp_path):
    with pytest.warns(LoggerWarning, match=r"failed in trial: RuntimeError"):
        res = ac.tune(
            _objective,
            {"a": ac.Float(0, 1)},
            trials=5,
            seed=4,
            results_dir=tmp_path / "run",
            show_progress=False,
            loggers=[KeepSpec(name="bad", fail_in="trial,end"), KeepSpec(name="good")],
        )
    assert len(res.table) == 5
    assert methods("good").count("trial") == 5 and methods("good")[-1] == "end"
    back = ac.Results.load(tmp_path / "run")
    assert list(back.table["trial_id"]) == list(res.table["trial_id"])
