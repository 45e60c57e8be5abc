"""The trial engine: one protocol for every trial, whatever runs it.

- :mod:`.engine`: ask → seed → record → journal → snapshot → launch, then the outcome (ok,
  failed, timeout, oom, worker died, stopped early, cancelled) → retry or record → journal →
  tell → snapshot → progress. Executor-neutral: it never sees Ray or a process pool.
- :mod:`.worker`: what runs on the worker around the user's objective (the context, the
  limits, thread pinning, sorting the outcome), the same code on every executor.
- :mod:`.deadline`: the one deadline of a run, made at the call (or from the journal).
- :mod:`.threads`: trials on threads of the calling process (the autopilot on one machine).
- :mod:`.local_pool`: the warm local process pool executor (the autopilot with a per-trial
  memory cap). The Ray Tune executor is :mod:`automl_core.runner` (the only package that imports Ray).
- :mod:`.journal`, :mod:`.records`, :mod:`.progress`, :mod:`.limits`: what the engine writes,
  keeps, shows and enforces.

Which executor runs (:func:`automl_core.trials.executors.choose_executor`): threads for the
autopilot on one machine, the warm local pool when it caps each trial's memory, Ray Tune for
everything else (configured experiments, schedulers such as ASHA, GPUs and every cluster
run); ``executor="threads"`` / ``"local"`` / ``"ray"`` overrides it where the experiment
allows.

Light on purpose: a Ray worker imports this package for every trial.
"""
