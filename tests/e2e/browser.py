"""Headless Chromium driven over the W3C WebDriver protocol (Debian's ``chromium`` and ``chromium-driver``).

Plain HTTP calls to chromedriver, no client library: a session, navigation, windows and script execution are all
the browser test needs. chromedriver runs in its own process group on a free loopback port and takes Chromium down
with it; the profile is a fresh temporary directory.
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from devtools.installs import E2E_INSTALL_HINT, NotInstalled
from devtools.processes import die_with_parent, free_port, stop_process_group

T = TypeVar("T")

# Without these, headless Chromium reaches out to Google's services (refused on a closed network) and may stall.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise NotInstalled(f"{name} is not installed (Debian's chromium and chromium-driver): {E2E_INSTALL_HINT}")
    return path


class Browser:
    """One chromedriver process with one Chromium session."""

    def __init__(self, profile: Path, log_path: Path) -> None:
        chromium, chromedriver = _tool("chromium"), _tool("chromedriver")
        port = free_port()
        with open(log_path, "wb") as log:
            self._process = subprocess.Popen(
                [chromedriver, f"--port={port}"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        self._log_path = log_path
        # Loopback only, whatever proxy the environment names.
        self._http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60, trust_env=False)
        self._session: str | None = None
        try:
            self._wait_for_driver()
            capabilities = {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": chromium, "args": [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]},
            }
            session = self._call("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
            self._session = session["sessionId"]
        except BaseException:
            self.close()
            raise

    def _wait_for_driver(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"chromedriver exited with {self._process.returncode}: {self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if self._http.get("/status").json()["value"]["ready"]:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"chromedriver was not ready within {timeout} s: {self.log_tail()}")

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, path, json=payload)
        value = response.json()["value"]
        if response.status_code != 200:
            raise RuntimeError(f"WebDriver {method} {path} failed: {value.get('error')}: {value.get('message')}")
        return value

    def _session_call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        return self._call(method, f"/session/{self._session}{path}", payload)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def open(self, url: str) -> None:
        self._session_call("POST", "/url", {"url": url})

    def new_window(self) -> str:
        """Open a tab, switch to it and return its handle."""
        handle: str = self._session_call("POST", "/window/new", {"type": "tab"})["handle"]
        self.switch_to(handle)
        return handle

    def window(self) -> str:
        handle: str = self._session_call("GET", "/window")
        return handle

    def switch_to(self, handle: str) -> None:
        self._session_call("POST", "/window", {"handle": handle})

    def run(self, script: str, *args: Any) -> Any:
        """The value of a function body run in the page (``return ...``)."""
        return self._session_call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self, path: Path) -> None:
        """A PNG of the current window."""
        path.write_bytes(base64.b64decode(self._session_call("GET", "/screenshot")))

    def wait_for(self, what: str, check: Callable[[], T | None], timeout: float = 20) -> T:
        """``check()`` once it returns something other than ``None``/``False``; AssertionError with the page's text."""
        deadline = time.monotonic() + timeout
        while True:
            result = check()
            if result is not None and result is not False:
                return result
            if time.monotonic() > deadline:
                page = self.run("return document.body.innerText")
                raise AssertionError(f"{what}: not within {timeout} s. The page reads:\n{page}")
            time.sleep(0.1)

    def close(self) -> None:
        if self._session is not None:
            with contextlib.suppress(httpx.HTTPError, RuntimeError):
                self._call("DELETE", f"/session/{self._session}")
            self._session = None
        self._http.close()
        stop_process_group(self._process)
