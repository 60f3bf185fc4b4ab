"""Print the pinned development requirements from pyproject.toml, one per line, for `pip install`."""

from __future__ import annotations

import pathlib
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the project's virtualenv may be created by an older Python
    import tomli as tomllib

pyproject = pathlib.Path(__file__).resolve().parent.parent / "pyproject.toml"
print("\n".join(tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]["dev"]))
