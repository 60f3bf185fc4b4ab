"""The header of the result: the machine, the software measured, the command, and how busy the machine was."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from devtools.installs import REPO


def machine_lines(settings: argparse.Namespace, sink_version: str | None, peer_versions: dict[str, str]) -> list[str]:
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        memory = f", {int(Path('/proc/meminfo').read_text().split()[1]) / 1024 / 1024:.0f} GiB RAM"
    packages = []
    for name in ("pusher", "pusher-fast", "requests", "aiohttp", "httpx", "pytest-benchmark"):
        try:
            packages.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            packages.append(f"{name} (not installed)")
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True, check=False
    ).stdout.strip()
    sink_text = f"{sink_version} (1 worker, return 200 '{{}}', no access log)" if sink_version else "none"
    lines = [
        f"machine: {cpu}, {os.cpu_count()} cores{memory}; {platform.platform()}",
        f"python: {platform.python_implementation()} {platform.python_version()}",
        f"packages: {', '.join(packages)}; pusher_fast tree {commit or 'unknown'}",
        "peers: " + "; ".join(f"{name}: {text}" for name, text in peer_versions.items()),
        f"sink: {sink_text}; load average at start: " + " ".join(f"{load:.2f}" for load in os.getloadavg()),
        f"command: {settings.command}",
    ]
    if settings.micro_command:
        lines.append(f"micro benchmarks command: {settings.micro_command}")
    return lines


def cpu_counters() -> tuple[float, float] | None:
    """Seconds of CPU the whole machine has spent busy, and stolen by the hypervisor, since boot (Linux)."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, steal / tick


def own_cpu_seconds() -> float:
    """CPU time of this process and of every child it has reaped (servers, runs), and of theirs."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def contention_line(start: tuple[float, float] | None, own_start: float, seconds: float) -> str:
    """How much CPU other processes took while the scenarios ran: a busy machine lowers the multi-core numbers."""
    end = cpu_counters()
    if start is None or end is None:
        return "other processes' CPU during the run: unknown"
    others = max(0.0, (end[0] - start[0]) - (own_cpu_seconds() - own_start))
    cores = os.cpu_count() or 1
    return (
        f"other processes' CPU during the run: {others:.0f} core-seconds over {seconds:.0f} s "
        f"({100 * others / (seconds * cores):.0f}% of {cores} cores); hypervisor steal: {end[1] - start[1]:.0f} s"
    )
