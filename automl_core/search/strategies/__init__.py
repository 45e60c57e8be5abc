"""Search strategies (ask/tell). The builtin ones are registered as plugins in ``builtins``."""

from .base import Outcome, Strategy

__all__ = ["Outcome", "Strategy"]
