"""``python -m pusher_fast``: the ``pusher-fast`` command line."""

from __future__ import annotations

import sys

from pusher_fast.cli import main

if __name__ == "__main__":
    sys.exit(main())
