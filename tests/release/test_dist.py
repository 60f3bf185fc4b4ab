"""The wheels and the sdist in ``dist/`` (``make dist``), as users get them.

Each wheel is opened and its extension module read as an ELF file; the glibc wheels are also judged by auditwheel,
the musl wheel by the libraries it needs. The x86_64 manylinux wheel is installed into a clean virtualenv of every
CPython the package claims, with nothing but its runtime dependency, and the sdist is built from source in another;
each then runs ``smoke.py`` through the public API against the local server. The aarch64 and musl wheels cannot be
imported on this machine, so they are checked as files only.

Run with ``make dist-test`` (or ``pytest tests/release -m dist`` after ``make dist``); ``make test`` leaves them out.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

import pusher_fast
from devtools.dist import DIST, WHEELS, WheelTarget, interpreter, sdist_name, supported_pythons, wheel_name
from devtools.installs import CACHE, REPO, NotInstalled

from . import smoke

pytestmark = pytest.mark.dist

VERSION = pusher_fast.__version__
SMOKE = Path(smoke.__file__)
MANYLINUX_X86_64 = next(target for target in WHEELS if target.platform_tag == "manylinux_2_17_x86_64")
MUSL_LIBC = {"libc.so", "libc.musl-x86_64.so.1"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dev_only_packages() -> set[str]:
    """The packages of the `dev` extra that are not runtime dependencies: a user's environment has none of them."""
    pins = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "dev_requirements.py")], check=True, capture_output=True, text=True
    ).stdout.split()
    return {canonical(re.split(r"[=<>!~\[; ]", pin)[0]) for pin in pins} - {"httpx"}


def artifact(name: str) -> Path:
    path = DIST / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make dist` first", pytrace=False)
    return path


def package_files() -> set[str]:
    """The package's files in the repository, relative to ``python/``."""
    root = REPO / "python"
    return {
        path.relative_to(root).as_posix()
        for path in (root / "pusher_fast").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".so"
    }


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that would let a child see the repository or its virtualenv."""
    env = {name: value for name, value in os.environ.items() if name not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    return {**env, **extra}


def run(command: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env or clean_env(), capture_output=True, text=True)
    if done.returncode:
        pytest.fail(f"{' '.join(command)} exited {done.returncode}\n{done.stdout}\n{done.stderr}", pytrace=False)
    return done.stdout


def make_venv(version: str, where: Path) -> Path:
    try:
        python = interpreter(version)
    except NotInstalled as exc:
        pytest.fail(str(exc), pytrace=False)
    run([str(python), "-m", "venv", str(where)], cwd=where.parent)
    return where / "bin" / "python"


def install(python: Path, requirement: Path, env: Mapping[str, str] | None = None) -> None:
    # The dependencies come from the package index as wheels: nothing but pusher-fast's sdist may be compiled here.
    from_source = ["--no-binary=pusher-fast"] if requirement.name.endswith(".tar.gz") else []
    command = [str(python), "-m", "pip", "install", "--quiet", "--no-input", "--only-binary=:all:", *from_source]
    run([*command, str(requirement)], cwd=python.parent, env=env)


def wheel_tags(wheel_file: str) -> list[str]:
    return re.findall(r"^Tag: (\S+)$", wheel_file, re.MULTILINE)


def installed_wheel_tags(python: Path) -> list[str]:
    code = "import importlib.metadata as m; print(m.distribution('pusher-fast').read_text('WHEEL'))"
    return wheel_tags(run([str(python), "-I", "-c", code], cwd=python.parent))


def run_smoke(python: Path, venv: Path) -> None:
    """``smoke.py`` with the venv's interpreter, isolated (``-I``: no script folder, user site or PYTHON* variables)."""
    output = run([str(python), "-I", str(SMOKE)], cwd=venv)
    loaded = dict(line.split(" ", 1) for line in output.splitlines()[:3])
    site = next((venv / "lib").glob("python3.*/site-packages"))
    assert loaded["pusher_fast"] == f"{VERSION} from {site / 'pusher_fast' / '__init__.py'}"
    assert loaded["native"] == str(site / "pusher_fast" / "_native.abi3.so")
    assert re.findall(r"^ok (\w+)$", output, re.MULTILINE) == [check.__name__ for check in smoke.CHECKS]


def installed_packages(python: Path) -> set[str]:
    listed = json.loads(run([str(python), "-m", "pip", "list", "--format=json"], cwd=python.parent))
    return {canonical(package["name"]) for package in listed}


def test_dist_holds_three_wheels_and_the_sdist() -> None:
    expected = {wheel_name(target, VERSION) for target in WHEELS} | {sdist_name(VERSION)}
    assert DIST.is_dir(), "run `make dist` first"
    assert {path.name for path in DIST.iterdir()} == expected


@pytest.mark.parametrize("target", WHEELS, ids=lambda target: target.platform_tag)
def test_wheel_contents(target: WheelTarget) -> None:
    with zipfile.ZipFile(artifact(wheel_name(target, VERSION))) as wheel:
        names = set(wheel.namelist())
        dist_info = f"pusher_fast-{VERSION}.dist-info"
        tags = wheel_tags(wheel.read(f"{dist_info}/WHEEL").decode())
        metadata = wheel.read(f"{dist_info}/METADATA").decode()
        native = wheel.read("pusher_fast/_native.abi3.so")
        current = package_files() & names
        stale = sorted(name for name in current if wheel.read(name) != (REPO / "python" / name).read_bytes())

    assert f"cp39-abi3-{target.platform_tag}" in tags
    assert all(tag.startswith("cp39-abi3-") for tag in tags), tags
    assert "Requires-Python: >=3.9" in metadata.splitlines()
    runtime = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert runtime == ["Requires-Dist: httpx>=0.28.1,<0.29"]
    packaged = {name for name in names if name.startswith("pusher_fast/")} - {"pusher_fast/_native.abi3.so"}
    assert packaged == package_files(), "the wheel is stale or incomplete: run `make dist`"
    assert not stale, f"the wheel holds older versions of {stale}: run `make dist`"
    assert not {name for name in names if name.endswith(".so")} - {"pusher_fast/_native.abi3.so"}

    elf = ELFFile(io.BytesIO(native))
    assert (elf.header["e_machine"], elf.elfclass, elf.little_endian) == (target.elf_machine, 64, True)
    needed = {tag.needed for tag in elf.get_section_by_name(".dynamic").iter_tags("DT_NEEDED")}
    versions = elf.get_section_by_name(".gnu.version_r")
    glibc = {aux.name for _, auxes in versions.iter_versions() for aux in auxes} if versions else set()
    if target.musl:
        assert needed <= MUSL_LIBC, f"the musl wheel needs more than musl's libc: {needed}"
        assert not glibc, f"the musl wheel asks for glibc symbol versions: {glibc}"
    else:
        assert "libc.so.6" in needed
        newest = max(tuple(map(int, name.removeprefix("GLIBC_").split("."))) for name in glibc if "GLIBC_" in name)
        assert newest <= (2, 17), f"the wheel needs glibc {newest}, manylinux2014 allows 2.17"


@pytest.mark.parametrize("target", [target for target in WHEELS if not target.musl], ids=lambda t: t.platform_tag)
def test_auditwheel_agrees_on_the_manylinux_policy(target: WheelTarget) -> None:
    # auditwheel reads the host's libc to judge musl wheels, so on a glibc machine it judges the glibc wheels only.
    wheel = artifact(wheel_name(target, VERSION))
    shown = " ".join(run([str(Path(sys.executable).parent / "auditwheel"), "show", str(wheel)], cwd=DIST).split())
    assert f'is consistent with the following platform tag: "{target.platform_tag}"' in shown, shown


def test_sdist_holds_the_whole_workspace() -> None:
    with tarfile.open(artifact(sdist_name(VERSION))) as sdist:
        root = f"pusher_fast-{VERSION}/"
        names = {member.name.removeprefix(root) for member in sdist.getmembers() if member.isfile()}
        pkg_info = sdist.extractfile(root + "PKG-INFO")
        assert pkg_info is not None
        assert f"Version: {VERSION}" in pkg_info.read().decode().splitlines()

    workspace = {"Cargo.toml", "Cargo.lock", ".cargo/config.toml", "pyproject.toml", "README.md"}
    # The fuzz crate (rust/fuzz) is a workspace of its own that no build needs: it stays out of the sdist.
    crates = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "rust").rglob("*")
        if path.is_file()
        and (path.suffix == ".rs" or path.name == "Cargo.toml")
        and path.relative_to(REPO / "rust").parts[0] != "fuzz"
    }
    python = {f"python/{name}" for name in package_files()}
    missing = (workspace | crates | python) - names
    assert not missing, f"the sdist lacks {sorted(missing)}: run `make dist`"
    assert not {name for name in names if name.split("/")[0] in {"target", "tests", ".venv", "dist"}}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("version", supported_pythons())
def test_manylinux_wheel_on_every_supported_cpython(version: str, tmp_path: Path) -> None:
    wheel = artifact(wheel_name(MANYLINUX_X86_64, VERSION))
    python = make_venv(version, tmp_path / "venv")
    install(python, wheel)

    packages = installed_packages(python)
    assert {"pusher-fast", "httpx"} <= packages
    unexpected = packages & dev_only_packages()
    assert not unexpected, f"the venv holds development packages: {unexpected}"
    with zipfile.ZipFile(wheel) as archive:
        built = wheel_tags(archive.read(f"pusher_fast-{VERSION}.dist-info/WHEEL").decode())
    assert installed_wheel_tags(python) == built
    run_smoke(python, tmp_path / "venv")
    key = run([str(tmp_path / "venv" / "bin" / "pusher-fast"), "keygen"], cwd=tmp_path).strip()
    assert len(base64.b64decode(key, validate=True)) == 32


@pytest.mark.timeout(1800)
def test_sdist_builds_from_source_and_passes_the_smoke_suite(tmp_path: Path) -> None:
    sdist = artifact(sdist_name(VERSION))
    oldest = supported_pythons()[0]
    python = make_venv(oldest, tmp_path / "venv")
    # Cargo's products of sdist builds are kept between runs, so only the three workspace crates are compiled again.
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR") or CACHE / "target") / "sdist"
    install(python, sdist, env=clean_env(CARGO_TARGET_DIR=str(target_dir)))

    assert installed_wheel_tags(python) == ["cp39-abi3-linux_x86_64"], "pip did not build the sdist from source"
    run_smoke(python, tmp_path / "venv")
