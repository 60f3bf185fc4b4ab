"""The README's Python code and the examples pass ``mypy --strict``, so what users copy is typed and current.

Every ```python block of the README is checked as its own module. A block that is a fragment (it uses names the
surrounding prose introduces) is preceded in the README by ``<!-- typecheck-prelude: NAME -->``, and gets the
prelude of that name from :data:`PRELUDES` prepended: stand-ins for the reader's own code, typed, never ``Any``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
EXAMPLES = REPO / "examples"

PRELUDES = {
    # The reader's own user model and session lookup, which the endpoint examples call.
    "your-users": """
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class User:
    id: str
    name: str

    def may_join(self, channel: str) -> bool:
        return not channel.startswith("private-admin-")


def current_user() -> User | None:
    return User("42", "Zoë")
""",
    # A Flask view's context: the request and a configured client.
    "flask-view": """
from __future__ import annotations

from flask import request

from pusher_fast import Pusher

pusher = Pusher.from_env()
""",
}

_BLOCK = re.compile(r"(?:<!-- typecheck-prelude: (?P<prelude>[\w-]+) -->\n)?```python\n(?P<code>.*?)```", re.S)


@dataclass(frozen=True)
class Block:
    line: int
    prelude: str | None
    code: str


def readme_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    return [
        Block(text.count("\n", 0, match.start("code")) + 1, match["prelude"], match["code"])
        for match in _BLOCK.finditer(text)
    ]


def test_every_python_block_is_found_and_every_prelude_exists() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = readme_blocks()
    assert len(blocks) == text.count("```python\n")
    assert len(blocks) >= 4
    used = {block.prelude for block in blocks} - {None}
    assert used == set(PRELUDES), "every prelude is used, and every block's prelude is defined"


@pytest.mark.timeout(600)
def test_readme_and_examples_pass_mypy_strict(tmp_path: Path) -> None:
    files = []
    readme_line = {}
    for block in readme_blocks():
        prelude = "" if block.prelude is None else PRELUDES[block.prelude].lstrip() + "\n"
        path = tmp_path / f"readme_block_{block.line}.py"
        path.write_text(prelude + block.code, encoding="utf-8")
        readme_line[path.name] = (block.line, prelude.count("\n"))
        files.append(path)
    files.extend(sorted(EXAMPLES.glob("*.py")))
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", str(REPO / "pyproject.toml"), *map(str, files)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )

    def in_readme(match: re.Match[str]) -> str:
        first, prelude_lines = readme_line[match["file"]]
        line = int(match["line"])
        where = (
            f"the {match['file']} prelude" if line <= prelude_lines else f"README.md:{first + line - prelude_lines - 1}"
        )
        return f"{where}:"

    report = re.sub(r"\S*(?P<file>readme_block_\d+\.py):(?P<line>\d+):", in_readme, completed.stdout)
    assert completed.returncode == 0, report + completed.stderr
