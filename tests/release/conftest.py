"""The release artifacts' suite (``make dist-test``): it checks what ``make dist`` left in ``dist/``."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "dist: checks of the wheels and sdist in dist/, installed into clean virtualenvs (`make dist-test`)"
    )
