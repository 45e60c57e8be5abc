"""One trial engine, three executors: ``[faults] retries``, ``trial_timeout_s`` and ``memory_mb``
hold the same on Ray Tune and on the warm local pool (the same test body, parametrised by
executor); the thread executor keeps the time limit (what it cannot do, a memory cap, it
refuses); and which executor runs follows one rule."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

import automl_core as ac
from automl_core.trials.executors import ExecutorSettings, choose_executor
from automl_core.trials.threads import TRIAL_THREAD_PREFIX, is_trial_thread

EXECUTORS = ["ray", "local"]


@pytest.fixture(params=EXECUTORS)
def executor(request):
    if request.param == "ray":
        request.getfixturevalue("ray_session")
    return request.param


def _objectives():
    """Defined in a function so they travel by value to every worker (this test module is
    not importable there)."""

    def _dies_once(params):
        """Kills its own worker process on the first attempt (as a lost node or the OOM killer
        would), succeeds on the next."""
        marker = Path(params["dir"], "attempted")
        if not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return 1.0

    def _limited(params):
        import numpy as np

        kind = params["kind"]
        if kind == "python_loop":  # stopped by the exception the watchdog raises
            while True:
                pass
        if kind == "native_call":  # one call the exception cannot interrupt: the worker is ended
            time.sleep(60)
        if kind == "allocate":  # 4 GiB past a 300 MiB cap
            return float(np.ones(2**29).sum())
        return 1.0

    return _dies_once, _limited


_dies_once, _limited = _objectives()


@pytest.mark.slow
@pytest.mark.parametrize("retries,status,attempts", [(1, "ok", 2), (0, "failed", 1)])
def test_a_dead_worker_is_retried_up_to_retries(tmp_path, executor, retries, status, attempts):
    res = ac.tune(
        _dies_once,
        {"x": ac.Float(0, 1), "dir": str(tmp_path)},
        trials=1,
        retries=retries,
        executor=executor,
        results_dir=tmp_path / "run",
        show_progress=False,
    )
    row = res.table.iloc[0]
    assert row["status"] == status, row["error"]
    if status == "failed":
        assert "died" in row["error"]
    lines = (tmp_path / "run" / "journal.jsonl").read_text().splitlines()
    events = [json.loads(e) for e in lines if e]
    assert [e["attempts"] for e in events if e["event"] == "trial"] == [attempts]
    assert sum(e["event"] == "retry" for e in events) == retries


@pytest.mark.slow
def test_time_and_memory_limits_end_their_trials_and_the_run_goes_on(tmp_path, executor):
    kinds = ["python_loop", "native_call", "allocate", "fine"]
    t0 = time.perf_counter()
    res = ac.tune(
        _limited,
        {"kind": ac.Choice(kinds)},
        strategy="grid",
        trial_timeout_s=1.5,
        memory_mb=300,
        retries=2,
        max_concurrent=1,
        executor=executor,
        results_dir=tmp_path / "run",
        show_progress=False,
    )
    rows = dict(zip(res.table["param.kind"], res.table["status"]))
    errors = dict(zip(res.table["param.kind"], res.table["error"]))
    assert rows["python_loop"] == "timeout", errors["python_loop"]
    assert rows["native_call"] == "timeout", errors["native_call"]
    assert "ran past its time limit of 1.5 s" in errors["native_call"]
    assert rows["allocate"] == "oom", errors["allocate"]
    assert "ran out of memory (limit: 300 MiB per trial)" in errors["allocate"]
    assert rows["fine"] == "ok"
    # a timeout is not a crash to retry
    assert '"event":"retry"' not in (tmp_path / "run" / "journal.jsonl").read_text()
    assert time.perf_counter() - t0 < 120


def test_an_infinite_score_is_named_as_such(tmp_path):
    res = ac.tune(
        lambda p: float("inf"),
        {"x": ac.Float(0, 1)},
        trials=1,
        executor="local",
        show_progress=False,
    )
    assert res.table["status"].tolist() == ["failed"]
    assert "infinite" in res.table["error"][0]


def test_which_executor_runs_is_one_rule():
    assert choose_executor(ExecutorSettings()) == "ray"  # a configured run or ac.tune
    assert choose_executor(ExecutorSettings(autopilot=True)) == "threads"
    none = {"kind": "none"}  # a config's default scheduler table
    assert choose_executor(ExecutorSettings(autopilot=True, scheduler=none)) == "threads"
    # a per-trial memory cap needs a process per trial: the pool
    assert choose_executor(ExecutorSettings(autopilot=True, memory_mb=500)) == "local"
    assert choose_executor(ExecutorSettings(autopilot=True, address="h:1")) == "ray"
    assert choose_executor(ExecutorSettings(autopilot=True, gpu=1)) == "ray"
    assert choose_executor(ExecutorSettings(executor="local")) == "local"
    assert choose_executor(ExecutorSettings(executor="threads")) == "threads"
    with pytest.raises(ValueError, match="local pool cannot run a scheduler"):
        choose_executor(ExecutorSettings(executor="local", scheduler={"kind": "asha"}))
    with pytest.raises(ValueError, match="thread executor cannot run a per-trial memory cap"):
        choose_executor(ExecutorSettings(executor="threads", memory_mb=300))
    with pytest.raises(ValueError, match="thread executor cannot run GPUs"):
        choose_executor(ExecutorSettings(executor="threads", gpu=1))


def _in_threads(release):
    """Objectives for the thread executor: they run in this very process."""

    def _limited(params):
        kind = params["kind"]
        if kind == "python_loop":  # stopped by the exception the watchdog raises
            while True:
                pass
        if kind == "native_call":  # one call the exception cannot interrupt: given up on
            release.wait(60)
        if kind == "fails":
            raise ValueError("a bad config")
        return 1.0

    return _limited


@pytest.mark.slow
def test_threads_keep_the_time_limit_and_give_up_on_a_stuck_call():
    import threading

    kinds = ["python_loop", "native_call", "fails", "fine"]
    release = threading.Event()
    t0 = time.perf_counter()
    res = ac.tune(
        _in_threads(release),
        {"kind": ac.Choice(kinds)},
        strategy="grid",
        trial_timeout_s=1.0,
        max_concurrent=1,
        executor="threads",
        show_progress=False,
    )
    took = time.perf_counter() - t0
    rows = dict(zip(res.table["param.kind"], res.table["status"]))
    errors = dict(zip(res.table["param.kind"], res.table["error"]))
    assert rows == {"python_loop": "timeout", "native_call": "timeout", "fails": "failed",
                    "fine": "ok"}, errors  # fmt: skip
    assert "ran past its time limit of 1 s" in errors["python_loop"]
    assert "its thread was left to finish by itself" in errors["native_call"]
    assert "ValueError: a bad config" in errors["fails"]
    # the run did not wait for the call (60 s; limit 1 s + grace 2.05 s, then two quick trials)
    assert took < 40, took
    # the stuck call still runs on its daemon thread, in this process, and ends by itself
    # a watchdog ("automl-trial-watchdog") may still be finishing its grace wait
    stuck = [t for t in threading.enumerate() if is_trial_thread(t)]
    assert len(stuck) == 1 and stuck[0].daemon and stuck[0].is_alive()
    release.set()
    stuck[0].join(timeout=10)
    assert not stuck[0].is_alive()


def test_threads_left_at_exit_keep_only_those_still_running():
    """A process running many searches: a left thread that has since ended is not kept."""
    import threading

    from automl_core.trials import threads

    release = threading.Event()
    live = threading.Thread(target=release.wait, name=f"{TRIAL_THREAD_PREFIX}1", daemon=True)
    done = threading.Thread(target=lambda: None, name=f"{TRIAL_THREAD_PREFIX}2")
    live.start(), done.start(), done.join()
    before = list(threads._LEFT_AT_EXIT)
    try:
        threads._wait_at_exit([live, done])
        assert live in threads._LEFT_AT_EXIT and done not in threads._LEFT_AT_EXIT
        release.set()
        live.join(5)
        threads._wait_at_exit([])  # the next run's call drops it
        assert live not in threads._LEFT_AT_EXIT
    finally:
        release.set()
        threads._LEFT_AT_EXIT[:] = [t for t in before if t.is_alive()]
    assert is_trial_thread(live) and not is_trial_thread(threading.Thread(name="automl-trial-x"))
    assert not is_trial_thread(threading.Thread(name="automl-trial-watchdog"))


def test_threads_run_side_by_side_in_this_process():
    """Two trials at once, both in the calling process (no worker process is started)."""
    import threading

    seen: list[tuple[int, str]] = []
    both = threading.Barrier(2, timeout=20)  # passes only if two trials run at the same time

    def objective(params):
        both.wait()
        seen.append((os.getpid(), threading.current_thread().name))
        return params["x"]

    res = ac.tune(
        objective,
        {"x": ac.Float(0, 1)},
        trials=4,
        max_concurrent=2,
        executor="threads",
        show_progress=False,
    )
    assert res.table["status"].tolist() == ["ok"] * 4
    assert {pid for pid, _ in seen} == {os.getpid()}
    assert all(name.startswith(TRIAL_THREAD_PREFIX) for _, name in seen)


#: what the third trial saw when it sent Ctrl-C: SIGINT's handler then, and how many it sent
#: (threads share this module: the trial runs in this process)
_CTRL_C: dict = {}
#: seconds the third trial waits to be stopped before it sends Ctrl-C again
CTRL_C_AGAIN_S = 3.0


def _interrupts_on_the_third(params):
    """Ctrl-C (SIGINT to the main thread, as a terminal's) while the third trial runs; that
    trial then runs on (a Python loop, so the stop can end it) until the run stops it.

    Python runs the handler in the main thread at its next bytecode, and a ``KeyboardInterrupt``
    raised while that thread runs a finalizer (a ``__del__`` or weakref callback, which the
    garbage collector can start anywhere) is printed as ignored and lost: a real terminal's
    Ctrl-C can be lost the same way, and its user presses it again. So does this trial when it
    is still running ``CTRL_C_AGAIN_S`` later; a run that saw the first one has stopped it by
    then (within ``STOP_POLL_S``, 0.25 s)."""
    import threading

    if params["x"] == 3 and not _CTRL_C:  # once: the resumed run goes through
        _CTRL_C.update(handler=signal.getsignal(signal.SIGINT), sent=0)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 20:
            if time.monotonic() - t0 >= CTRL_C_AGAIN_S * _CTRL_C["sent"]:
                _CTRL_C["sent"] += 1
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    return float(params["x"])


def test_ctrl_c_on_threads_keeps_what_finished_and_resumes(tmp_path):
    from automl_core.trials.journal import ExperimentInterrupted

    space = {"x": ac.Choice([1, 2, 3, 4, 5, 6])}
    kwargs = dict(strategy="grid", max_concurrent=1, executor="threads", show_progress=False)
    _CTRL_C.clear()
    try:
        ac.tune(_interrupts_on_the_third, space, results_dir=tmp_path / "run", **kwargs)
    except ExperimentInterrupted as exc:
        interrupted = exc
    else:
        pytest.fail(f"the run went on past Ctrl-C; the third trial saw {_CTRL_C}")
    # Python's own handler, which raises KeyboardInterrupt: no earlier test left another
    assert _CTRL_C["handler"] is signal.default_int_handler
    assert interrupted.done == 2 and interrupted.results_dir == str(tmp_path / "run")
    events = [json.loads(e) for e in (tmp_path / "run" / "journal.jsonl").read_text().split()]
    assert events[-1]["event"] == "interrupted"
    assert [e["trial_id"] for e in events if e["event"] == "trial"] == [0, 1]

    res = ac.resume(tmp_path / "run", show_progress=False)
    assert sorted(res.table["param.x"]) == [1, 2, 3, 4, 5, 6]
    assert (res.table["status"] == "ok").all()


EXIT_SCRIPT = """
import threading, time
import automl_core as ac

t0 = time.monotonic()

def objective(params):
    threading.Event().wait(4)  # one C-level wait the time limit cannot interrupt
    return 1.0

res = ac.tune(objective, {"x": ac.Float(0, 1)}, trials=1, trial_timeout_s=0.5,
              executor="threads", show_progress=False)
print("returned", round(time.monotonic() - t0, 2), res.table["status"].tolist(), flush=True)
"""


def test_the_interpreter_waits_at_exit_for_a_trial_thread_left_in_a_c_call(tmp_path):
    """A daemon thread coming back from C code while the interpreter finalizes is ended inside
    it (a crash at exit was seen once): the run returns on time, the process exits after the
    call has returned, with status 0."""
    import subprocess
    import sys

    script = tmp_path / "exit_wait.py"
    script.write_text(EXIT_SCRIPT)
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    took = time.monotonic() - t0
    assert done.returncode == 0, done.stderr[-2000:]
    line = [x for x in done.stdout.splitlines() if x.startswith("returned")][0]
    returned_at = float(line.split()[1])
    assert "['timeout']" in line
    assert returned_at < 4.0, line  # the run did not wait for the call (limit 0.5 s + grace)
    assert took >= 4.0, took  # the exit did
