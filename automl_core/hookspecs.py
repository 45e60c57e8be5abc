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
