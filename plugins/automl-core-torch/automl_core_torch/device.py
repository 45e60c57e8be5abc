"""Where and how a network trains: device, CPU threads, mixed precision."""

from __future__ import annotations

import contextlib
import os

import torch

__all__ = ["resolve_device", "torch_threads", "amp_dtype", "autocast", "make_grad_scaler"]


def resolve_device(device: str, allow_cuda: bool = True) -> torch.device:
    """``"auto"``: CUDA when it is available (and allowed), else the CPU.

    Inside a Ray trial that was given a GPU, Ray sets ``CUDA_VISIBLE_DEVICES`` to the GPU it
    assigned, so ``cuda`` (device 0 of the visible ones) is that GPU, not physical GPU 0.
    ``allow_cuda=False`` is how a trial given no GPU keeps ``"auto"`` off a GPU Ray did not
    hand it (Ray >= 2.48 leaves CUDA_VISIBLE_DEVICES alone for zero-GPU workers).
    """
    if device == "cpu":
        return torch.device("cpu")
    if device == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("device='cuda' but torch sees no CUDA device (use device='auto')")
        return torch.device("cuda")
    if device == "auto":
        use = allow_cuda and torch.cuda.is_available()
        return torch.device("cuda" if use else "cpu")
    raise ValueError(f"unknown device {device!r} (auto, cpu, cuda)")


@contextlib.contextmanager
def torch_threads(n_jobs: int | None):
    """Use ``n_jobs`` intra-op threads inside the block (-1: all cores), then restore.

    A trial pins its math threads to the CPUs Ray gave it; oversubscribing 2 cores made fits
    tens of times slower on these machines. Restoring keeps a fit from changing the caller's
    process-wide setting.
    """
    if not n_jobs:
        yield
        return
    n = (os.cpu_count() or 1) if n_jobs < 0 else int(n_jobs)
    old = torch.get_num_threads()
    if n != old:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if n != old:
            torch.set_num_threads(old)


def amp_dtype(device: torch.device, amp: bool) -> torch.dtype | None:
    """bfloat16 where the GPU has it (no loss scaling needed), else float16; None off GPU."""
    if not amp or device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def autocast(device: torch.device, dtype: torch.dtype | None):
    """Mixed-precision autocast on the GPU, a no-op context otherwise."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def make_grad_scaler(dtype: torch.dtype | None):
    """A loss scaler for float16 (its small range underflows gradients); None otherwise."""
    if dtype is torch.float16:
        return torch.amp.GradScaler("cuda")
    return None
