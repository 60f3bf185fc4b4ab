"""The result table: one row per scenario, its contenders' medians, ratios, the ceiling, targets; text and JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benches.throughput.common import Sample

# The columns of the contenders, in table order: the official Python SDK, the official Go and Node SDKs, pusher_fast.
PEERS = ("go", "node")
COLUMNS = {"official": "official Python", "go": "Go SDK", "node": "Node SDK", "fast": "pusher_fast"}
PEER_NAMES = {"go": "Go", "node": "Node"}


@dataclass
class Target:
    """One target of a row. ``kind``: ``x_official`` / ``x_go`` (pusher_fast at least ``value`` times as fast),
    ``of_ceiling`` (at least ``value`` of the ceiling), ``min_rate``, ``max_mb`` or ``check`` (``ok`` as given)."""

    kind: str
    value: float = 0.0
    label: str = ""
    ok: bool | None = None


@dataclass
class Row:
    """One line of the table. ``kind`` is ``time`` (seconds per call), ``rate`` (per second) or ``memory`` (MB)."""

    name: str
    kind: str
    unit: str = ""
    official: float | None = None
    go: float | None = None
    node: float | None = None
    fast: float | None = None
    ceiling: float | None = None
    ceiling_parts: dict[str, float] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    note: str = ""
    error: str | None = None
    unavailable: str | None = None
    samples: dict[str, list[dict[str, float]]] = field(default_factory=dict)

    def keep_samples(self, samples: dict[str, list[Sample]], names: dict[str, str]) -> None:
        """Record every run of the contenders in ``names`` (sample key -> column or ceiling part) for the JSON."""
        for key, label in names.items():
            self.samples[label] = [
                {"count": s.count, "seconds": s.seconds, "rate": s.rate} for s in samples.get(key, [])
            ]

    def speedup(self, other: float | None) -> float | None:
        """How many times faster pusher_fast is than ``other`` (a rate or a time of this row)."""
        if not other or not self.fast or self.kind == "memory":
            return None
        return self.fast / other if self.kind == "rate" else other / self.fast

    def best_peer(self) -> tuple[str, float] | None:
        """The fastest of the Go and Node SDKs in this row."""
        measured = [(name, value) for name in PEERS if (value := getattr(self, name)) is not None]
        if not measured:
            return None
        pick = max if self.kind == "rate" else min
        return pick(measured, key=lambda item: item[1])

    def of_ceiling(self) -> float | None:
        if not self.ceiling or self.fast is None or self.kind != "rate":
            return None
        return self.fast / self.ceiling

    def measured(self, target: Target) -> float | None:
        if target.kind == "x_official":
            return self.speedup(self.official)
        if target.kind == "x_go":
            return self.speedup(self.go)
        if target.kind == "of_ceiling":
            return self.of_ceiling()
        if target.kind == "min_rate":
            return self.fast if self.kind == "rate" else (1 / self.fast if self.fast else None)
        if target.kind == "max_mb":
            return self.fast
        return None

    def met(self, target: Target) -> bool:
        if target.kind == "check":
            return bool(target.ok)
        value = self.measured(target)
        if value is None:
            return False
        return value <= target.value if target.kind == "max_mb" else value >= target.value

    def describe(self, target: Target) -> str:
        if target.label:
            return target.label
        if target.kind == "x_official":
            return f"≥{target.value:g}x official"
        if target.kind == "x_go":
            return f"≥{target.value:g}x Go"
        if target.kind == "of_ceiling":
            return f"≥{100 * target.value:g}% of ceiling"
        if target.kind == "min_rate":
            return f"≥{fmt_rate(target.value)} {self.unit}"
        if target.kind == "max_mb":
            return f"≤{target.value:g} MB"
        return target.kind

    def status(self) -> str:
        if self.error:
            return "ERROR"
        if self.unavailable:
            return "n/a"
        if not self.targets:
            return ""
        return "met" if all(self.met(target) for target in self.targets) else "MISSED"

    def targets_text(self) -> str:
        return ", ".join(f"{self.describe(t)} {'✓' if self.met(t) else '✗'}" for t in self.targets)

    def cell(self, value: float | None) -> str:
        if value is None:
            return "—"
        if self.kind == "time":
            return f"{fmt_time(value)} ({fmt_rate(1 / value)}/s)"
        if self.kind == "memory":
            return f"{value:.1f} MB"
        return f"{fmt_rate(value)} {self.unit}"

    def as_json(self) -> dict[str, Any]:
        best = self.best_peer()
        data = asdict(self)
        data["targets"] = [
            {**asdict(t), "description": self.describe(t), "measured": self.measured(t), "met": self.met(t)}
            for t in self.targets
        ]
        data.update(
            speedup_vs_official=self.speedup(self.official),
            best_peer=best[0] if best else None,
            speedup_vs_best_peer=self.speedup(best[1]) if best else None,
            of_ceiling=self.of_ceiling(),
            status=self.status(),
        )
        return data


def fmt_rate(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:.0f}"


def fmt_time(seconds: float) -> str:
    micros = seconds * 1e6
    return f"{micros:.3g} µs" if micros < 1000 else f"{micros / 1000:.3g} ms"


def ratio_text(value: float | None, suffix: str = "") -> str:
    if value is None:
        return ""
    return f"{value:.2f}x{suffix}" if value >= 0.1 else f"{value:.2g}x{suffix}"


def table_lines(rows: list[Row]) -> list[str]:
    header = [
        "scenario",
        *COLUMNS.values(),
        "x official",
        "x best peer",
        "ceiling",
        "of ceiling",
        "targets",
        "status",
    ]
    lines = []
    for row in rows:
        best = row.best_peer()
        of_ceiling = row.of_ceiling()
        cells = [row.name] + [row.cell(getattr(row, column)) for column in COLUMNS]
        if row.unavailable and row.fast is None:
            cells[-1] = "not available"
        cells += [
            ratio_text(row.speedup(row.official)),
            ratio_text(row.speedup(best[1]), f" {PEER_NAMES[best[0]]}") if best else "",
            row.cell(row.ceiling) if row.ceiling else "",
            f"{100 * of_ceiling:.0f}%" if of_ceiling is not None else "",
            row.targets_text(),
            row.status(),
        ]
        lines.append(cells)
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths)) + " |"

    output = [render(header), "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
    output += [render(line) for line in lines]
    notes = [(row.name, row.error or row.unavailable or row.note) for row in rows]
    notes = [(name, text) for name, text in notes if text]
    if notes:
        output.append("")
        output += [f"- {name}: {text}" for name, text in notes]
    return output


def write_json(path: Path, header: list[str], rows: list[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"header": header, "rows": [row.as_json() for row in rows]}, indent=2))
