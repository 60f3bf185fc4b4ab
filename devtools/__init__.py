"""Helpers shared by the end-to-end suite (``tests/e2e``) and the benchmarks (``benches``), never shipped.

- :mod:`devtools.installs`: where ``scripts/e2e`` and ``scripts/bench`` install their tools (content-keyed paths in
  ``~/.cache/pusher-fast``, the same keys the shell scripts compute).
- :mod:`devtools.processes`: free ports, server processes with a log file, waiting until they answer, stopping them.
- :mod:`devtools.servers`: soketi and sockudo, started from those installs for one app.
"""

__all__: list[str] = []
