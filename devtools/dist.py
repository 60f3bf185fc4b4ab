"""The release artifacts: which wheels ``make dist`` builds, how, and where they land; ``tests/release`` checks them.

``python -m devtools.dist`` (``make dist``) builds into ``dist/``:

- one ``abi3`` wheel (CPython 3.9 and newer) per entry of :data:`WHEELS`, cross-compiled and cross-linked by maturin
  with zig (the ``ziglang`` package of the ``dev`` extra), so the glibc wheels link against glibc 2.17's symbols
  whatever the build machine has; maturin checks each wheel against its policy (``--auditwheel check``);
- the sdist, which compiles the extension from the whole Cargo workspace;

then ``twine check --strict`` reads all of them. Cargo's build products stay in ``$CARGO_TARGET_DIR`` (one folder per
target triple inside it), so a second ``make dist`` only relinks what changed. Missing Rust standard libraries of the
target triples are added with rustup first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from devtools.installs import REPO, NotInstalled

__all__ = [
    "DIST",
    "PYTHON_TAG",
    "WHEELS",
    "WheelTarget",
    "build",
    "interpreter",
    "sdist_name",
    "supported_pythons",
    "wheel_name",
]

DIST = REPO / "dist"
PYTHON_TAG = "cp39-abi3"
"""The interpreter and ABI tags of every wheel: the stable ABI of CPython 3.9 (pyo3's ``abi3-py39``)."""


@dataclass(frozen=True)
class WheelTarget:
    """One wheel: the Rust target triple it is compiled for and the platform it serves."""

    triple: str
    compatibility: str
    """maturin's ``--compatibility``: the policy the wheel is linked for and checked against."""
    platform_tag: str
    """The PEP 600 / PEP 656 platform tag (manylinux2014 wheels also carry the legacy ``manylinux2014_*`` alias)."""
    elf_machine: str
    """``e_machine`` of the extension module, as pyelftools names it."""

    @property
    def musl(self) -> bool:
        return self.triple.endswith("-musl")


WHEELS = (
    WheelTarget("x86_64-unknown-linux-gnu", "manylinux2014", "manylinux_2_17_x86_64", "EM_X86_64"),
    WheelTarget("aarch64-unknown-linux-gnu", "manylinux2014", "manylinux_2_17_aarch64", "EM_AARCH64"),
    WheelTarget("x86_64-unknown-linux-musl", "musllinux_1_2", "musllinux_1_2_x86_64", "EM_X86_64"),
)


def wheel_name(target: WheelTarget, version: str) -> str:
    """The file name maturin gives the wheel (legacy alias first for manylinux2014, as maturin orders them)."""
    if target.compatibility == "manylinux2014":
        arch = target.platform_tag.removeprefix("manylinux_2_17_")
        platform = f"manylinux2014_{arch}.{target.platform_tag}"
    else:
        platform = target.platform_tag
    return f"pusher_fast-{version}-{PYTHON_TAG}-{platform}.whl"


def sdist_name(version: str) -> str:
    return f"pusher_fast-{version}.tar.gz"


def supported_pythons() -> tuple[str, ...]:
    """The CPython versions the package claims (its ``Programming Language :: Python :: 3.X`` classifiers)."""
    classifiers = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', (REPO / "pyproject.toml").read_text())
    return tuple(sorted(classifiers, key=lambda version: tuple(map(int, version.split(".")))))


def interpreter(version: str) -> Path:
    """The newest pyenv-installed CPython ``version`` (e.g. ``"3.9"``); :class:`NotInstalled` if there is none."""
    versions = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    release = re.compile(rf"{re.escape(version)}\.(\d+)")
    by_patch = {
        int(match[1]): path for path in versions.glob(f"{version}.*") if (match := release.fullmatch(path.name))
    }
    python = by_patch[max(by_patch)] / "bin" / "python" if by_patch else None
    if python is None or not os.access(python, os.X_OK):
        raise NotInstalled(f"CPython {version} is not installed under {versions}: `pyenv install {version}`")
    return python


def _run(command: Sequence[str | Path], env: dict[str, str]) -> None:
    started = time.monotonic()
    print("+", " ".join(map(str, command)), flush=True)
    subprocess.run(list(map(str, command)), check=True, env=env, cwd=REPO)
    print(f"  ({time.monotonic() - started:.0f} s)", flush=True)


def _add_rust_targets(env: dict[str, str]) -> None:
    if shutil.which("rustup") is None:
        raise NotInstalled("rustup is not on PATH: it adds the Rust standard library of each target triple")
    listed = subprocess.run(
        ["rustup", "target", "list", "--installed"], check=True, capture_output=True, text=True, env=env, cwd=REPO
    )
    missing = sorted({target.triple for target in WHEELS} - set(listed.stdout.split()))
    if missing:
        _run(["rustup", "target", "add", *missing], env)


def build(out: Path = DIST) -> list[Path]:
    """Build every wheel of :data:`WHEELS` and the sdist into ``out`` (emptied first), then ``twine check`` them."""
    bin_dir = Path(sys.executable).parent
    # maturin runs zig as `python -m ziglang`, with the first python on PATH: this virtualenv's.
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    _add_rust_targets(env)
    shutil.rmtree(out, ignore_errors=True)
    maturin = bin_dir / "maturin"
    for target in WHEELS:
        command: list[str | Path] = [maturin, "build", "--release", "--locked", "--target", target.triple, "--zig"]
        _run([*command, "--compatibility", target.compatibility, "--auditwheel", "check", "--out", out], env)
    _run([maturin, "sdist", "--out", out], env)
    artifacts = sorted(out.iterdir())
    _run([bin_dir / "twine", "check", "--strict", *artifacts], env)
    return artifacts


def main() -> None:
    started = time.monotonic()
    try:
        artifacts = build()
    except NotInstalled as error:
        sys.exit(f"make dist: {error}")
    except subprocess.CalledProcessError as error:
        sys.exit(f"make dist: `{' '.join(map(str, error.cmd))}` failed with exit code {error.returncode}")
    print(f"make dist: {len(artifacts)} artifacts in {time.monotonic() - started:.0f} s")
    for artifact in artifacts:
        print(f"  {artifact.relative_to(REPO)}  ({artifact.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
