"""Where the tools installed by ``scripts/e2e`` and ``scripts/bench`` live, derived as the scripts derive them.

Everything lives in a cache outside the repository (``~/.cache/pusher-fast`` or ``$PUSHER_FAST_CACHE``). An install
that is built from files of the repository sits in a folder named after a hash of those files (``content_key``, the
same function as in ``scripts/e2e/common.sh``), so an edit to them leads to a fresh install instead of a stale one.
A missing install raises :class:`NotInstalled`, naming the command that installs it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

__all__ = [
    "CACHE",
    "E2E_INSTALL_HINT",
    "REPO",
    "NotInstalled",
    "content_key",
    "go_bench_runner",
    "go_oracle",
    "node_env",
    "node_modules",
    "pinned_versions",
    "sockudo_binary",
    "soketi_script",
    "soketi_version",
]

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("PUSHER_FAST_CACHE") or Path.home() / ".cache" / "pusher-fast")
E2E_INSTALL_HINT = "run `make e2e-install` (scripts/e2e/install.sh) first"
BENCH_INSTALL_HINT = "run `scripts/bench/setup.sh` (make bench does) first"
# The files each Go program is built from, in the order the shell scripts hash them.
GO_SOURCES = ("go.mod", "go.sum", "main.go")


class NotInstalled(RuntimeError):
    """A tool of the end-to-end suite or of the benchmarks is not installed in the cache."""


def content_key(*files: Path) -> str:
    """The first 16 hex digits of the SHA-256 of the files' concatenated bytes (``content_key`` in common.sh)."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def pinned_versions() -> dict[str, str]:
    """``scripts/e2e/versions.env`` as a mapping."""
    versions = {}
    for line in (REPO / "scripts" / "e2e" / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            versions[name.strip()] = value.strip()
    return versions


def node_modules() -> Path:
    """The ``node_modules`` holding soketi, pusher-js and the official Node SDK (``scripts/e2e/install_node.sh``)."""
    lock = REPO / "tests" / "e2e" / "node" / "package-lock.json"
    root = CACHE / f"e2e-node-{content_key(lock)}"
    if not (root / ".installed").exists():
        raise NotInstalled(f"The e2e node packages are not installed in {root}: {E2E_INSTALL_HINT}")
    return root / "node_modules"


def node_env() -> dict[str, str]:
    """The environment for ``node`` scripts: the cached packages on ``NODE_PATH``."""
    return {**os.environ, "NODE_PATH": str(node_modules()), "NODE_NO_WARNINGS": "1"}


def soketi_script() -> Path:
    return node_modules() / "@soketi" / "soketi" / "bin" / "server.js"


def soketi_version() -> str:
    package = node_modules() / "@soketi" / "soketi" / "package.json"
    return str(json.loads(package.read_text())["version"])


def sockudo_binary() -> Path:
    version = pinned_versions()["SOCKUDO_VERSION"]
    binary = CACHE / f"sockudo-{version}" / "bin" / "sockudo"
    if not os.access(binary, os.X_OK):
        raise NotInstalled(f"sockudo {version} is not built at {binary}: {E2E_INSTALL_HINT}")
    return binary


def _go_program(source: Path, prefix: str, name: str, hint: str) -> Path:
    """A Go program built by ``go_build_cached`` in common.sh into ``<cache>/<prefix>-<key>/<name>``."""
    binary = CACHE / f"{prefix}-{content_key(*(source / file for file in GO_SOURCES))}" / name
    if not os.access(binary, os.X_OK):
        raise NotInstalled(f"{name} is not built at {binary}: {hint}")
    return binary


def go_oracle() -> Path:
    """The official Go SDK as a JSON-in, JSON-out program (``tests/e2e/go``, built by ``scripts/e2e/build_go.sh``)."""
    return _go_program(REPO / "tests" / "e2e" / "go", "e2e-go", "pusher-go-oracle", E2E_INSTALL_HINT)


def go_bench_runner() -> Path:
    """The Go peer of the benchmark (``benches/peers/go``, built by ``scripts/bench/build_go.sh``)."""
    return _go_program(REPO / "benches" / "peers" / "go", "bench-go", "pusher-go-bench", BENCH_INSTALL_HINT)
