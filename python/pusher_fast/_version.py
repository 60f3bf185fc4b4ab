from __future__ import annotations

from pusher_fast._native import __version__

__all__ = ["__version__"]
