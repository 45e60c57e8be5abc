"""Hook specifications: the plugin author's reference.

A plugin is a module (or object) with functions named like the hooks below, decorated with
:data:`automl_core.hookimpl`, exposed through an entry point in the ``automl_core`` group::

    # pyproject.toml of your distribution
    [project.entry-points.automl_core]
    my_plugin = "my_package.plugin"

Every hook is optional. The registration hooks are called once, when the plugin manager is
built (:func:`automl_core.plugins.build_registry`), in no guaranteed order across plugins. The
builtins of automl-core register through exactly this path (``automl_core.builtins``).
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("automl_core")
hookimpl = pluggy.HookimplMarker("automl_core")


@hookspec
def automl_register_cleaners() -> list[type]:
    """Return a list of :class:`~automl_core.specs.CleanerSpec` subclasses.

    Each class must declare ``kind: Literal["your_kind"] = "your_kind"``; the kind must not be
    registered by any other installed plugin (a duplicate is an error naming both
    distributions). Called once at plugin load. Any plugin may implement it.
    """


@hookspec
def automl_register_models() -> list[type]:
    """Return a list of :class:`~automl_core.specs.ModelSpec` subclasses.

    Set ``tasks`` to the tasks the model serves and ``accepted_regularizers`` to the regularizer
    kinds its ``build`` maps onto its own parameters. Called once at plugin load.

    A model takes part in the runs that do not spell it out through its class, exactly like
    the builtins (there is no list of kinds anywhere else):

    - ``default_search(task)`` / ``default_regularizers(task)``: the ranges searched when a
      user names the model by its kind alone (``models=["my_model"]``) and by the autopilot;
    - ``portfolio(task, n_features)``: a list of
      :class:`~automl_core.specs.PortfolioEntry` ``(rank, values)``; a model with entries is
      searched by the autopilot (the default run), which tries every installed model's entries
      first, in order of rank (the builtins use 1, 2, 3...);
    - ``default_rank``: set it to put the model in the model list of a configured run that
      names no models.

    Test them with :func:`automl_core.autopilot.portfolio.check_portfolio` beside
    :func:`automl_core.testing.check_spec` on ``default_search(task)``.
    """


@hookspec
def automl_register_regularizers() -> list[type]:
    """Return a list of :class:`~automl_core.specs.RegularizerSpec` subclasses.

    A regularizer is only data: models that list its kind in ``accepted_regularizers`` apply
    it. Called once at plugin load.
    """


@hookspec
def automl_register_strategies() -> list[type]:
    """Return a list of :class:`~automl_core.specs.StrategySpec` subclasses.

    ``build(space, mode, seed)`` must return an ask/tell :class:`~automl_core.Strategy`; run
    :func:`automl_core.testing.check_strategy` on it in your tests. Called once at plugin load.
    """


@hookspec
def automl_register_loggers() -> list[type]:
    """Return a list of :class:`~automl_core.specs.LoggerSpec` subclasses (experiment trackers).

    An experiment names them (``loggers=[{"kind": ...}]``, ``[[loggers]]`` in TOML).
    ``build()`` returns an object with ``start(*, kind, config, info, seed, results_dir,
    resumed, finished_rows, finished_history)``, ``trial(row, history)``,
    ``end(results, results_dir, example=None)`` and optionally ``close()``; the
    :class:`~automl_core.specs.LoggerSpec` docstring says what each receives. They are called
    in the driver only, on a background thread of their own, in order; one that raises is a
    warning naming it and the run goes on; ``start`` runs again with ``resumed=True`` when
    ``ac.resume`` continues the run, with the rows earlier processes finished. Keep the module
    the entry point names light: import the tracker's client inside ``build()`` or the
    logger's methods. Run :func:`automl_core.testing.check_logger` in your tests. Called once
    at plugin load.
    """
