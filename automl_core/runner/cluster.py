"""Checks against the cluster before a run starts: resources per node, plugins on each node.

Both turn what would otherwise be a hang (a trial no node can host waits forever) or a failure
inside every trial (a kind missing on a worker) into one clear error before the first trial.
"""

from __future__ import annotations

import math
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import ConfigError
from ..plugins import PluginError

__all__ = [
    "NodeInfo",
    "ResourceError",
    "alive_nodes",
    "check_resources",
    "node_label",
    "preflight",
    "trial_slots",
]

_PLURALS = {"strategy": "strategies"}

#: seconds the preflight waits for every node to answer
PREFLIGHT_TIMEOUT_S = 120.0


class ResourceError(ConfigError):
    """A trial asks for more than any one node of the cluster has (the CLI exits 2)."""


def node_label(node_id: str, hostname: str | None = None) -> str:
    """How a node reads in the results table: ``<first 8 hex of the Ray node id>@<hostname>``.

    The hostname says which machine; the id tells apart nodes sharing a machine (containers,
    or a test cluster of several nodes on one host) and matches ``ray status`` / ``ray.nodes()``.
    """
    return f"{node_id[:8]}@{hostname or socket.gethostname()}"


@dataclass(frozen=True)
class NodeInfo:
    node_id: str
    hostname: str
    ip: str
    cpu: float
    gpu: float
    memory: float

    @property
    def label(self) -> str:
        return node_label(self.node_id, self.hostname)

    def describe(self) -> str:
        return f"{self.label} ({self.ip}): {_num(self.cpu)} CPU, {_num(self.gpu)} GPU"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def alive_nodes(ray: Any) -> list[NodeInfo]:
    out = []
    for n in ray.nodes():
        if not n.get("Alive"):
            continue
        res = n.get("Resources", {})
        out.append(
            NodeInfo(
                node_id=n["NodeID"],
                hostname=n.get("NodeManagerHostname") or n.get("NodeManagerAddress", "?"),
                ip=n.get("NodeManagerAddress", "?"),
                cpu=float(res.get("CPU", 0)),
                gpu=float(res.get("GPU", 0)),
                memory=float(res.get("memory", 0)),
            )
        )
    return out


def _fits(node: NodeInfo, cpu: float, gpu: float, memory: float) -> bool:
    # a small tolerance: Ray stores fractional resources in 1/10000 units
    eps = 1e-4
    return node.cpu + eps >= cpu and node.gpu + eps >= gpu and node.memory + eps >= memory


def trial_slots(nodes: Sequence[NodeInfo], cpu: float, gpu: float, memory: float = 0) -> int:
    """How many trials fit at once: the sum over nodes, since a trial runs on one node."""
    total = 0
    for n in nodes:
        k = [math.floor(n.cpu / cpu + 1e-6)] if cpu > 0 else []
        if gpu > 0:
            k.append(math.floor(n.gpu / gpu + 1e-6))
        if memory > 0:
            k.append(math.floor(n.memory / memory + 1e-6))
        total += min(k) if k else 0
    return total


def check_resources(ray: Any, cpu: float, gpu: float, memory: float = 0) -> list[NodeInfo]:
    """The alive nodes one trial fits on; :class:`ResourceError` when there is none.

    Compared per node, not with the cluster total: 2 nodes of 4 CPUs cannot run a trial of 8.
    """
    nodes = alive_nodes(ray)
    fit = [n for n in nodes if _fits(n, cpu, gpu, memory)]
    if fit:
        return fit
    listing = "; ".join(n.describe() for n in nodes) or "none alive"
    want = f"{_num(cpu)} CPU" + (f" and {_num(gpu)} GPU" if gpu else "")
    if memory:
        want += f" and {memory / 2**20:.0f} MiB of memory"
    problems = []
    if gpu and not any(n.gpu > 0 for n in nodes):
        problems.append(
            f"resources.gpu: a trial asks for {_num(gpu)} GPU but no node of the cluster has a "
            f"GPU (nodes: {listing}). Set resources.gpu = 0, or add a node with GPUs "
            "(`ray start --address=... --num-gpus=N`)."
        )
    elif cpu > max((n.cpu for n in nodes), default=0):
        problems.append(
            f"resources.cpu: a trial asks for {_num(cpu)} CPU but the largest node has "
            f"{_num(max((n.cpu for n in nodes), default=0))} (a trial runs on one node; "
            f"nodes: {listing}). Lower resources.cpu."
        )
    else:
        problems.append(
            f"resources: no node has {want} for one trial (a trial runs on one node; "
            f"nodes: {listing})."
        )
    raise ResourceError(problems)


def _preflight_task(required: dict[str, list[str]], objective: list[Any]) -> dict[str, Any]:
    """Runs on one node: which required kinds its registry lacks, and whether the objective
    loads there (``objective`` holds its object ref, in a list so that Ray does not resolve
    it before this code can catch the error)."""
    import ray

    from .. import __version__
    from ..plugins import build_registry

    out: dict[str, Any] = {
        "node_id": ray.get_runtime_context().get_node_id(),
        "hostname": socket.gethostname(),
        "version": __version__,
    }
    try:
        registry = build_registry()
    except Exception as exc:  # a plugin that fails to import there
        out["error"] = f"{type(exc).__name__}: {exc}"
        return out
    out["missing"] = {
        category: sorted(set(kinds) - set(registry.kinds(category)))
        for category, kinds in required.items()
        if set(kinds) - set(registry.kinds(category))
    }
    if objective and not out["missing"]:
        try:
            ray.get(objective[0])
        except Exception as exc:  # its module is not importable there, say
            text = str(exc).strip()
            out["objective_error"] = text.splitlines()[-1] if text else repr(exc)
    return out


def preflight(
    ray: Any,
    nodes: Sequence[NodeInfo],
    required_kinds: Mapping[str, Sequence[str]] | None,
    objective_ref: Any = None,
    timeout_s: float = PREFLIGHT_TIMEOUT_S,
) -> None:
    """Check on each node that automl-core imports, that its plugins provide
    ``required_kinds``, and that the objective (``objective_ref``) loads there.

    One small task per node (0 CPUs, pinned with node affinity), all at once, so it costs one
    worker start (~1-4 s on a cold node) rather than a failure in every trial. Raises
    :class:`~automl_core.PluginError` naming the node, the missing kinds, and the fix.
    """
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from ..plugins import get_registry

    required = {c: sorted(set(k)) for c, k in (required_kinds or {}).items() if k}
    task = ray.remote(num_cpus=0, max_retries=0)(_preflight_task)
    refs = {
        n.node_id: task.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(n.node_id, soft=False)
        ).remote(required, [objective_ref] if objective_ref is not None else [])
        for n in nodes
    }
    by_id = {n.node_id: n for n in nodes}
    ready, _ = ray.wait(list(refs.values()), num_returns=len(refs), timeout=timeout_s)
    problems: list[str] = []
    needed: set[str] = set()
    install = False  # a problem that installing automl-core and plugins on the node fixes
    driver_registry = get_registry()
    for node_id, ref in refs.items():
        label = by_id[node_id].label
        if ref not in ready:
            problems.append(f"node {label} did not answer the plugin check in {timeout_s:.0f} s")
            continue
        try:
            res = ray.get(ref)
        except Exception as exc:
            text = str(exc).strip().splitlines()
            cause = next((t for t in reversed(text) if t.strip()), type(exc).__name__)
            problems.append(f"node {label}: automl-core does not import there ({cause.strip()})")
            install = True
            continue
        if "error" in res:
            problems.append(f"node {label}: loading plugins failed: {res['error']}")
            install = True
            continue
        if "objective_error" in res:
            problems.append(
                f"node {label} cannot load the objective: {res['objective_error']} (define it "
                "in a module installed on every node, or in the script that runs the search)"
            )
        missing = res["missing"]
        if not missing:
            continue
        parts, dists = [], set()
        for category, kinds in missing.items():
            noun = category if len(kinds) == 1 else _PLURALS.get(category, category + "s")
            parts.append(f"{noun} " + ", ".join(repr(k) for k in kinds))
            for kind in kinds:
                try:
                    p = driver_registry.provider(category, kind)
                    dists.add(f"{p.dist}=={p.version}")
                except KeyError:
                    pass
        provided = f" (provided here by {', '.join(sorted(dists))})" if dists else ""
        problems.append(f"node {label} lacks {' and '.join(parts)}{provided}")
        needed.update(dists)
        install = True
    if problems and not install:
        raise PluginError("the cluster cannot run this experiment:\n  " + "\n  ".join(problems))
    if problems:
        pip = ", ".join(f'"{d}"' for d in sorted(needed)) or '"<your plugin>"'
        fix = (
            "install automl-core and the plugins your experiment uses on every node (the "
            "versions installed here), or ship them with Ray's runtime_env, e.g. `ray job "
            f"submit --runtime-env-json '{{\"pip\": [{pip}]}}' -- automl run exp.toml`"
        )
        raise PluginError(
            "the cluster cannot run this experiment:\n  " + "\n  ".join(problems) + "\n" + fix
        )
