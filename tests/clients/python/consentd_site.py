"""A real consentd on a fresh SQLite file with one site, its notice and an API key.

What the Python client's tests start from (the same set-up as
tests/clients/consentd_site.js): consentctl init, notice publish, apikey create,
then consentd on a free port of 127.0.0.1.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from typing import Any, Dict, List, Optional

SITE = "bike-shop"
ORIGIN = "https://velo.example"
NOTICE_FILE = os.path.join(os.environ.get("CONSENT_TEST_DATA_DIR", "tests/data"), "notices", "shop.json")


def subject_id(n: int) -> str:
    """A browser-made subject id: b_ + 22 base64url characters."""
    return "b_" + base64.urlsafe_b64encode(f"{n:06d}-python-subject".encode()).decode()[:22]


# libfaketime (Debian's faketime package, installed by scripts/setup.sh): consentd's
# clock moved forward while it runs, so that grants expire for real.
FAKETIME_LIBRARY = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


class ConsentdSite:
    def __init__(self, extra_args: Optional[List[str]] = None, fake_time: bool = False) -> None:
        self.dir = tempfile.mkdtemp(prefix="consent-py-")
        self.offset = 0  # seconds consentd's clock is ahead of the real one (fake_time)
        self.env: Dict[str, str] = {}
        if fake_time:
            if not os.path.exists(FAKETIME_LIBRARY):
                raise RuntimeError(f"{FAKETIME_LIBRARY} is missing: run scripts/setup.sh (Debian's faketime)")
            self._time_file = os.path.join(self.dir, "faketime")
            self.advance(0)
            self.env = {"LD_PRELOAD": FAKETIME_LIBRARY, "FAKETIME_TIMESTAMP_FILE": self._time_file,
                        "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                        # ASan wants to be the first library; libfaketime only wraps the clock calls.
                        "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
        self.common = [f"--database={self.dir}/db.sqlite", f"--keys={self.dir}/keys"]
        # The tests post many decisions from one address: the banner's rate limit would refuse them.
        self.extra_args = ["--rate-per-minute=1000000", "--rate-burst=1000000", *(extra_args or [])]
        self.ctl("init", f"--site={SITE}", f"--origin={ORIGIN}")
        self.ctl("notice", "publish", NOTICE_FILE, f"--site={SITE}")
        self.key = self.ctl("apikey", "create", f"--site={SITE}").strip()
        self.port = 0
        self.process: Optional[subprocess.Popen[str]] = None
        self.start()

    def ctl(self, *args: str) -> str:
        return subprocess.run([os.environ["CONSENTCTL"], *args, *self.common], check=True, capture_output=True,
                              text=True, timeout=60).stdout

    def start(self) -> None:
        env = dict(os.environ, **self.env)
        self.process = subprocess.Popen([os.environ["CONSENTD"], *self.common, f"--port={self.port}",
                                         *self.extra_args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, env=env)
        assert self.process.stdout is not None
        for line in self.process.stdout:
            m = re.search(r"listening on (http://[0-9.]+:(\d+))", line)
            if m:
                self.url, self.port = m.group(1), int(m.group(2))
                break
        else:
            raise RuntimeError(f"consentd did not start: {self.process.stderr.read() if self.process.stderr else ''}")
        # Keep reading its output so that a full pipe never blocks it.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        threading.Thread(target=self.process.stderr.read, daemon=True).start()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        if self.process:
            for pipe in (self.process.stdout, self.process.stderr):
                if pipe:
                    pipe.close()

    def advance(self, seconds: int) -> None:
        """Moves consentd's clock (fake_time) this much further ahead; it reads the file on every call."""
        self.offset += seconds
        with open(self._time_file + ".new", "w") as f:
            f.write(f"+{self.offset}\n")
        os.replace(self._time_file + ".new", self._time_file)

    def clock(self) -> float:
        """consentd's clock as seen from here: the mirror must decide at the same time."""
        return time.time() + self.offset

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_pipes()

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.resume()
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- what a banner would do ------------------------------------------------------------------------
    def notice(self) -> Dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/v1/sites/{SITE}/notice", timeout=10) as r:
            return json.load(r)

    def decide(self, subject: str, method: str, choices: Optional[Dict[str, bool]] = None,
               decision_id: Optional[str] = None, notice: Optional[Dict[str, Any]] = None,
               purposes: Optional[List[str]] = None) -> Dict[str, Any]:
        """Posts a decision like the banner, on the current notice; returns the receipt answer."""
        shown = notice or self.notice()
        body: Dict[str, Any] = {
            "decision_id": decision_id or "d" + os.urandom(8).hex(), "subject_id": subject,
            "notice_id": shown["notice"]["notice_id"], "notice_version": shown["notice"]["version"],
            "notice_hash": shown["hash"], "language": "en", "method": method,
        }
        if choices is not None:
            body["choices"] = choices
        if purposes is not None:
            body["purposes"] = purposes
        req = urllib.request.Request(f"{self.url}/v1/sites/{SITE}/decisions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Origin": ORIGIN})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)
