"""Fork awareness: a process generation that changes in every child created by ``os.fork()``.

Connections, threads and locks do not survive a fork: a child that used its parent's pooled connection would read the
parent's answers, and a native runtime thread does not exist in the child at all. Transports remember the generation
they built their native client in, and build a fresh one when it differs; the old one is left to the parent.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["current", "reset_if_forked"]

_generation = 0
_cache_generation: dict[int, int] = {}


def _after_fork_in_child() -> None:
    global _generation
    _generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def current() -> int:
    """The generation of this process: 0 in the first, one more in each forked child."""
    return _generation


def reset_if_forked(cache: dict[Any, Any]) -> None:
    """Empties ``cache`` once in each new generation (what it holds belongs to the parent)."""
    key = id(cache)
    if _cache_generation.get(key, 0) != _generation:
        cache.clear()
        _cache_generation[key] = _generation
