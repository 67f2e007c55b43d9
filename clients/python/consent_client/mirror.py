"""A local mirror of one site's consent state, answering allowed() from memory.

It loads the snapshot (every subject's state as of one event id), then follows
the event stream from exactly that id (Last-Event-ID), folding each receipt's
decision into the subject's state with the core's own state.apply, and taking
each notice event as the notice in force. allowed() asks the core's
policy.is_allowed (time-based expiry, material notice changes, unknown
purposes: the same code consentd's checks run), memoized per subject and
purpose for the current second only: the core's answer depends on the time in
whole seconds, the state and the notice, and either of the latter two
replaces the memo the moment it changes.

Fail closed: while the stream is cut, or has sent nothing (no event, no
heartbeat) for stale_after seconds, allowed() answers False, or asks consentd
when fallback="ask".
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from .client import ConsentClient, Event, Verdict, verdict_of
from .core import Core
from .errors import ConsentError

STALE = Verdict(False, "mirror_stale")


@dataclass
class _Notice:
    text: str  # the notice JSON, ready to splice into the core's input
    version: int
    last_material_version: int
    unknown: Dict[str, Tuple[int, Verdict]] = field(default_factory=dict)  # memo for subjects with no state


@dataclass
class _Subject:
    state: Dict[str, Any]
    text: str
    memo: Dict[str, Tuple[int, _Notice, Verdict]] = field(default_factory=dict)


class Mirror:
    def __init__(self, client: ConsentClient, *, core: Optional[Core] = None, stale_after: float = 30.0,
                 fallback: str = "deny", clock: Callable[[], float] = time.time, page_limit: int = 1000,
                 backend: Optional[str] = None, reconnect_backoff: float = 0.2,
                 on_receipt: Optional[Callable[[Dict[str, Any]], None]] = None) -> None:
        if fallback not in ("deny", "ask"):
            raise ValueError("fallback is 'deny' or 'ask'")
        self._client = client
        self._core = core or Core()
        self.stale_after = stale_after
        self.fallback = fallback
        self._clock = clock
        self._page_limit = page_limit
        self.backend = backend  # set: acknowledge each applied withdrawal under this name
        self._reconnect_backoff = reconnect_backoff
        self._on_receipt = on_receipt  # (data) after each receipt is applied: a backend reacts at once
        self._subjects: Dict[str, _Subject] = {}
        self._notice: Optional[_Notice] = None
        self._event_id = -1
        self._live_until = 0.0  # monotonic deadline; 0 while cut
        self._stopping = threading.Event()
        self._changed = threading.Condition()
        self._thread: Optional[threading.Thread] = None
        self._pending_acks: List[str] = []
        self.errors: List[BaseException] = []  # what the follower met, for logs and tests

    # -- answers ---------------------------------------------------------------------------------
    def allowed(self, subject: str, purpose: str) -> bool:
        return self.verdict(subject, purpose).allowed

    def verdict(self, subject: str, purpose: str) -> Verdict:
        notice = self._notice
        if notice is None or time.monotonic() > self._live_until:
            return self._when_stale(subject, purpose)
        now = int(self._clock())
        entry = self._subjects.get(subject)
        if entry is None:
            hit = notice.unknown.get(purpose)
            if hit is not None and hit[0] == now:
                return hit[1]
            verdict = self._evaluate(notice, now, purpose, "{}")
            notice.unknown[purpose] = (now, verdict)
            return verdict
        memo = entry.memo.get(purpose)
        if memo is not None and memo[0] == now and memo[1] is notice:
            return memo[2]
        verdict = self._evaluate(notice, now, purpose, entry.text)
        entry.memo[purpose] = (now, notice, verdict)
        return verdict

    def _evaluate(self, notice: _Notice, now: int, purpose: str, state_text: str) -> Verdict:
        text = ('{"notice":' + notice.text + ',"last_material_version":' + str(notice.last_material_version) +
                ',"now":' + str(now) + ',"purpose":' + json.dumps(purpose) + ',"state":' + state_text + '}')
        envelope = json.loads(self._core.call_text(b"policy.is_allowed", text.encode()))
        if not envelope.get("ok"):
            return Verdict(False, envelope.get("error", {}).get("code", "core_error"))
        return verdict_of(envelope["value"])

    def _when_stale(self, subject: str, purpose: str) -> Verdict:
        if self.fallback == "ask":
            try:
                return self._client.check(subject, purpose)
            except ConsentError:
                return STALE
        return STALE

    # -- what it holds ---------------------------------------------------------------------------
    @property
    def event_id(self) -> int:
        return self._event_id

    @property
    def notice_version(self) -> int:
        return self._notice.version if self._notice else 0

    @property
    def live(self) -> bool:
        return self._notice is not None and time.monotonic() <= self._live_until

    def subjects(self) -> int:
        return len(self._subjects)

    def wait_for(self, event_id: int = -1, notice_version: int = 0, timeout: float = 10.0) -> bool:
        """Until the mirror has applied event_id (and this notice version) and is live."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (self._event_id >= event_id and self.notice_version >= notice_version and self.live):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.05))
        return True

    # -- following ---------------------------------------------------------------------------------
    def start(self, wait: bool = True, timeout: float = 30.0) -> "Mirror":
        self._thread = threading.Thread(target=self._run, name="consent-mirror", daemon=True)
        self._thread.start()
        if wait and not self.wait_for(timeout=timeout):
            raise ConsentError("client.timeout", f"the mirror did not load within {timeout} s",
                               retryable=True)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._live_until = 0.0
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, self.stale_after + 1))

    def load_snapshot(self) -> None:
        subjects: Dict[str, _Subject] = {}
        notice: Optional[_Notice] = None
        event_id = -1
        for page in self._client.snapshot(self._page_limit):
            if notice is None:
                notice = self._notice_of(page["notice"])
                event_id = int(page["event_id"])
            for row in page["subjects"]:
                subjects[row["subject"]] = _Subject(row["state"], json.dumps(row["state"]))
        self._subjects = subjects
        self._notice = notice
        self._event_id = event_id

    def _run(self) -> None:
        backoff = self._reconnect_backoff
        loaded = False
        while not self._stopping.is_set():
            try:
                if not loaded:
                    self.load_snapshot()
                    loaded = True
                self._follow()
                backoff = self._reconnect_backoff
            except (ConsentError, OSError, ValueError) as e:
                self.errors.append(e)
            self._live_until = 0.0  # cut: deny until the stream is back
            with self._changed:
                self._changed.notify_all()
            if self._stopping.wait(backoff):
                return
            backoff = min(backoff * 2, 5.0)

    def _follow(self) -> None:
        for event in self._client.events(self._event_id, notices=True, idle_timeout=self.stale_after):
            if self._stopping.is_set():
                return
            if event.type == "receipt" and event.data is not None and event.id is not None:
                self._apply(event)
            elif event.type == "notice" and event.data is not None:
                self._notice = self._notice_of(event.data)
            self._live_until = time.monotonic() + self.stale_after
            if self._pending_acks:
                self._acknowledge()
            with self._changed:
                self._changed.notify_all()

    def _apply(self, event: Event) -> None:
        data = event.data or {}
        subject = str(data["subject"])
        current = self._subjects.get(subject)
        arguments: Dict[str, Any] = {"decision": data["decision"], "decided_at": data["server_time"],
                                     "receipt_id": data["receipt_id"]}
        if current is not None:
            arguments["state"] = current.state
        state = self._core.call("state.apply", arguments)
        # A new entry (with an empty memo): an answer computed from the old state is never reused.
        self._subjects[subject] = _Subject(state, json.dumps(state))
        self._event_id = int(event.id or 0)
        # A withdrawal receipt is acknowledged even when nothing was granted:
        # consentd's operator view counts every withdrawal a backend must apply.
        if self.backend and (data.get("method") in _WITHDRAWAL_METHODS or _withdraws(current, state)):
            self._pending_acks.append(str(data["receipt_id"]))
        if self._on_receipt is not None:
            try:
                self._on_receipt(data)
            except Exception as e:  # the job's own fault must not stop the mirror
                self.errors.append(e)

    def _acknowledge(self) -> None:
        receipts, self._pending_acks = self._pending_acks, []
        try:
            self._client.acknowledge(self.backend or "", receipts)
        except ConsentError as e:
            self.errors.append(e)
            self._pending_acks = receipts + self._pending_acks  # the next event tries again

    @staticmethod
    def _notice_of(value: Dict[str, Any]) -> _Notice:
        return _Notice(json.dumps(value["notice"]), int(value["version"]), int(value["last_material_version"]))


_WITHDRAWAL_METHODS = ("withdraw", "server_withdraw")


def _withdraws(before: Optional[_Subject], after: Dict[str, Any]) -> bool:
    """A purpose granted before this receipt and denied after it: processing must stop."""
    if before is None:
        return False
    for purpose, record in before.state.items():
        if record.get("state") == "granted" and after.get(purpose, {}).get("state") != "granted":
            return True
    return False
