"""Plugin loading and the registry of component kinds.

Built by an explicit factory (:func:`build_registry`), never as an import side effect. Every
distribution exposing an entry point in the ``automl_core`` group is loaded the same way,
automl-core's own builtins included, so a third-party kind validates exactly like a builtin.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import threading
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Union

import pluggy
from pydantic import Field

from . import hookspecs
from .specs import CATEGORIES, ComponentSpec

__all__ = [
    "ENTRY_POINT_GROUP",
    "DISABLE_ENV",
    "PluginError",
    "PluginInfo",
    "Registry",
    "UnknownKindError",
    "build_registry",
    "get_registry",
    "plugin_versions",
    "reset_registry",
]

ENTRY_POINT_GROUP = "automl_core"
#: comma-separated entry-point or distribution names not to load (like PYTEST_DISABLE_PLUGIN_AUTOLOAD)
DISABLE_ENV = "AUTOML_CORE_DISABLE_PLUGINS"

_HOOKS = {
    "cleaner": "automl_register_cleaners",
    "model": "automl_register_models",
    "regularizer": "automl_register_regularizers",
    "strategy": "automl_register_strategies",
    "logger": "automl_register_loggers",
}


class PluginError(RuntimeError):
    """A plugin could not be loaded or registered something invalid; the message names it."""


@dataclass
class PluginInfo:
    """One loaded plugin: its entry-point name, distribution, version and the kinds it added."""

    name: str
    dist: str
    version: str
    kinds: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Entry:
    cls: type[ComponentSpec]
    plugin: PluginInfo


def _kind_of(cls: type) -> str | None:
    """The single literal value of ``cls.kind`` (None when it is not a one-value Literal)."""
    f = getattr(cls, "model_fields", {}).get("kind")
    if f is None:
        return None
    args = typing.get_args(f.annotation)
    if typing.get_origin(f.annotation) is typing.Literal and len(args) == 1:
        return args[0]
    return None


class UnknownKindError(KeyError):
    """A kind no loaded plugin registered. A ``KeyError`` (``except KeyError`` still works)
    whose message lists the known kinds and why a plugin's kind may be missing."""

    def __init__(self, category: str, kind: str, known: Iterable[str]):
        self.category, self.kind, self.known = category, kind, sorted(known)
        listed = ", ".join(self.known) or "none"
        super().__init__(f"unknown {category} kind {kind!r} (known: {listed}). {self.hint()}")

    def __str__(self) -> str:  # KeyError's own would print the message in quotes
        return str(self.args[0])

    @staticmethod
    def hint() -> str:
        """Where a plugin's kind goes missing: not installed, or disabled by the env var."""
        off = os.environ.get(DISABLE_ENV, "").strip()
        disabled = f"disabled ({DISABLE_ENV}={off!r})" if off else f"disabled by ${DISABLE_ENV}"
        return (
            f"If a plugin provides it, that plugin is not installed here or is {disabled}; "
            "`automl plugins` lists the installed plugins and their kinds"
        )


class Registry:
    """Kinds by category, each with the plugin (distribution) that contributed it."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, _Entry]] = {c: {} for c in CATEGORIES}
        self.plugins: list[PluginInfo] = []
        self._unions: dict[str, Any] = {}

    def add(self, category: str, cls: Any, plugin: PluginInfo) -> None:
        base = CATEGORIES[category]
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise PluginError(
                f"plugin {plugin.name!r} ({plugin.dist}) registered {cls!r} as a {category}, "
                f"which is not a subclass of {base.__name__}"
            )
        kind = _kind_of(cls)
        if kind is None:
            raise PluginError(
                f"plugin {plugin.name!r} ({plugin.dist}): {cls.__name__} must declare "
                f'kind: Literal["<name>"] = "<name>"'
            )
        existing = self._entries[category].get(kind)
        if existing is not None and existing.cls is not cls:
            raise PluginError(
                f"{category} kind {kind!r} is registered twice: by {existing.plugin.dist} "
                f"(plugin {existing.plugin.name!r}) and by {plugin.dist} (plugin {plugin.name!r})"
            )
        self._entries[category][kind] = _Entry(cls, plugin)
        plugin.kinds.setdefault(category, []).append(kind)
        self._unions.pop(category, None)

    def kinds(self, category: str) -> list[str]:
        return sorted(self._entries[category])

    def get(self, category: str, kind: str) -> type[ComponentSpec]:
        """The spec class of ``kind``; :class:`UnknownKindError` (a ``KeyError``) if none."""
        try:
            return self._entries[category][kind].cls
        except KeyError:
            raise UnknownKindError(category, kind, self.kinds(category)) from None

    def provider(self, category: str, kind: str) -> PluginInfo:
        return self._entries[category][kind].plugin

    def union(self, category: str) -> Any:
        """The discriminated union of every registered spec class of ``category``."""
        if category not in self._unions:
            classes = [e.cls for e in self._entries[category].values()]
            if not classes:
                raise PluginError(f"no {category} kinds are registered (all plugins disabled?)")
            if len(classes) == 1:
                self._unions[category] = classes[0]
            else:
                self._unions[category] = Annotated[
                    Union[tuple(classes)], Field(discriminator="kind")
                ]
        return self._unions[category]


def _disabled_names(disabled: Iterable[str] | None) -> set[str]:
    if disabled is not None:
        return set(disabled)
    raw = os.environ.get(DISABLE_ENV, "")
    return {n.strip() for n in raw.split(",") if n.strip()}


def _entry_points() -> list[tuple[md.EntryPoint, str, str]]:
    """(entry point, distribution name, version) for the group, one per distribution+name."""
    found = []
    seen = set()
    for dist in md.distributions():
        try:
            eps = dist.entry_points
        except Exception:  # a broken dist-info must not take the whole tool down
            continue
        for ep in eps:
            if ep.group != ENTRY_POINT_GROUP:
                continue
            name = dist.metadata["Name"] or "?"
            key = (name, ep.name)
            if key in seen:  # the same distribution visible twice on sys.path
                continue
            seen.add(key)
            found.append((ep, name, dist.version or "?"))
    return found


def make_plugin_manager() -> pluggy.PluginManager:
    """A plugin manager with the automl-core hook specs and no plugins yet."""
    pm = pluggy.PluginManager("automl_core")
    pm.add_hookspecs(hookspecs)
    return pm


def build_registry(
    extra_plugins: Iterable[Any] = (),
    disabled: Iterable[str] | None = None,
) -> Registry:
    """Load every plugin of the ``automl_core`` entry-point group and build the registry.

    ``extra_plugins`` are plugin objects (modules) registered beside the installed ones, for code
    that is not a distribution (a notebook, a test). ``disabled`` (default: the comma-separated
    names in ``$AUTOML_CORE_DISABLE_PLUGINS``) lists entry-point or distribution names to skip.
    """
    skip = _disabled_names(disabled)
    pm = make_plugin_manager()
    infos: dict[str, PluginInfo] = {}
    for ep, dist, version in _entry_points():
        if ep.name in skip or dist in skip:
            continue
        try:
            obj = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {ep.name!r} from distribution {dist} {version} failed to import "
                f"({ep.value}): {type(exc).__name__}: {exc}"
            ) from exc
        if pm.is_registered(obj):
            continue
        pm.register(obj, name=ep.name)
        infos[ep.name] = PluginInfo(ep.name, dist, version)
    for i, obj in enumerate(extra_plugins):
        name = getattr(obj, "__name__", f"extra{i}")
        if name in skip or pm.is_registered(obj):
            continue
        pm.register(obj, name=name)
        infos[name] = PluginInfo(name, "(not installed)", "-")

    registry = Registry()
    registry.plugins = list(infos.values())
    for category, hook_name in _HOOKS.items():
        hook = getattr(pm.hook, hook_name)
        # Call each implementation ourselves so a failure and every kind is attributed to its plugin.
        for impl in reversed(hook.get_hookimpls()):
            info = infos[impl.plugin_name]
            try:
                classes = impl.function()
            except Exception as exc:
                raise PluginError(
                    f"plugin {info.name!r} ({info.dist}) failed in {hook_name}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            for cls in classes or []:
                registry.add(category, cls, info)
    return registry


_lock = threading.Lock()
_default: Registry | None = None
_extra: list[Any] = []


def get_registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _default
    with _lock:
        if _default is None:
            _default = build_registry(_extra)
        return _default


def register_plugin(plugin: Any) -> None:
    """Register a plugin object (a module with hook implementations) for this process."""
    global _default
    with _lock:
        _extra.append(plugin)
        _default = None


def runtime_plugins() -> list[Any]:
    """The plugins added in this process with :func:`register_plugin` (not through an entry
    point): a table experiment's objective carries them to its workers."""
    with _lock:
        return list(_extra)


def ensure_plugins(plugins: list[Any]) -> None:
    """Register each of ``plugins`` not registered yet in this process (a worker receiving
    the driver's :func:`runtime_plugins`)."""
    global _default
    with _lock:
        names = {_plugin_key(p) for p in _extra}
        new = [p for p in plugins if _plugin_key(p) not in names]
        if new:
            _extra.extend(new)
            _default = None


def _plugin_key(plugin: Any) -> str:
    return (
        getattr(plugin, "__qualname__", None) or getattr(plugin, "__name__", None) or repr(plugin)
    )


def plugin_versions(registry: Registry | None = None) -> dict[str, str]:
    """Distribution -> version of every plugin the registry loaded, automl-core included.

    What a run used, for its ``info.json`` and its trackers (reproducibility). A plugin
    registered without a distribution (``register_plugin``) is listed by its name, with the
    version ``"(not installed)"``.
    """
    registry = registry or get_registry()
    try:
        core = md.version("automl-core")
    except md.PackageNotFoundError:  # run from a source tree that was never installed
        from . import __version__ as core
    versions = {"automl-core": core}
    for p in registry.plugins:
        if p.dist == "(not installed)":
            versions[p.name] = "(not installed)"
        else:
            versions[p.dist] = p.version
    return dict(sorted(versions.items()))


def reset_registry() -> None:
    """Forget the process-wide registry (and plugins added with ``register_plugin``)."""
    global _default
    with _lock:
        _default = None
        _extra.clear()
