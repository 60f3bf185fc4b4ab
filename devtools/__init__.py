"""Helpers of the end-to-end suite (``tests/e2e``), the benchmarks (``benches``) and the release build, never shipped.

- :mod:`devtools.installs`: where ``scripts/e2e`` and ``scripts/bench`` install their tools (content-keyed paths in
  ``~/.cache/pusher-fast``, the same keys the shell scripts compute).
- :mod:`devtools.processes`: free ports, server processes with a log file, waiting until they answer, stopping them.
- :mod:`devtools.servers`: soketi and sockudo, started from those installs for one app.
- :mod:`devtools.dist`: the wheels that ``make dist`` builds (``python -m devtools.dist``) and ``tests/release`` checks.
"""

__all__: list[str] = []
