#!/usr/bin/env python3
"""The shop's second backend job: personalised bike recommendations, which use
a subscriber's browsing for the analytics purpose. It asks the Python client's
local mirror (clients/python) before each recommendation: consentd's state
followed from its event stream and decided by the core through its C boundary,
so no check is a round trip. When a subscriber withdraws, the mirror hears of
it at once, the job stops for that person and the mirror acknowledges the
withdrawal to consentd as backend "recommendations": the subject's export
then shows that this system stopped too, and when.

Nothing is really recommended: each step is one log line on stdout.
Environment: CONSENTD_URL, DEMO_SITE, DEMO_API_KEY_FILE (never logged),
DEMO_SUBSCRIBERS, DEMO_SEND_INTERVAL (seconds, default 5), CONSENT_CORE_LIBRARY.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from typing import Any, Dict, List

from consent_client import ConsentClient, Mirror

PURPOSE = "analytics"
BACKEND = "recommendations"


def say(text: str) -> None:
    sys.stdout.write(time.strftime("%H:%M:%S ", time.gmtime()) + text + "\n")
    sys.stdout.flush()


def subscribers(path: str) -> List[Dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as f:
            listed = json.load(f).get("subscribers", [])
    except (OSError, ValueError):
        return []
    return [s for s in listed if isinstance(s, dict) and isinstance(s.get("subject"), str)]


def main() -> int:
    env = os.environ
    for name in ("CONSENTD_URL", "DEMO_SITE", "DEMO_API_KEY_FILE", "DEMO_SUBSCRIBERS"):
        if not env.get(name):
            sys.stderr.write(f"recommendations: {name} is not set\n")
            return 64
    with open(env["DEMO_API_KEY_FILE"], encoding="utf-8") as f:
        key = f.read().strip()
    interval = float(env.get("DEMO_SEND_INTERVAL", "5"))
    client = ConsentClient(env["CONSENTD_URL"].rstrip("/"), env["DEMO_SITE"], key)
    allowed: Dict[str, bool] = {}

    def on_receipt(data: Dict[str, Any]) -> None:
        subject = data.get("subject")
        if subject not in allowed:
            return
        now = mirror.verdict(subject, PURPOSE)
        if allowed[subject] and not now.allowed:
            say(f"■ {subject}: analytics {now.reason} ({data.get('method')} receipt) — recommendations stopped")
        allowed[subject] = now.allowed

    mirror = Mirror(client, backend=BACKEND, fallback="ask", stale_after=45.0, on_receipt=on_receipt)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    say(f"recommendations started: every {interval:g} s, asking the local mirror about {PURPOSE}")
    mirror.start(wait=False)
    while not stopping.wait(interval):
        for who in subscribers(env["DEMO_SUBSCRIBERS"]):
            verdict = mirror.verdict(who["subject"], PURPOSE)
            before = allowed.get(who["subject"])
            allowed[who["subject"]] = verdict.allowed
            if verdict.allowed:
                say(f"★ recommended three bikes to {who.get('email', who['subject'])} (analytics granted)")
            elif before is not False:
                say(f"· {who.get('email', who['subject'])}: no recommendations ({verdict.reason})")
    mirror.stop()
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
