"""A local mirror of one site's consent state, answering allowed() from memory.

It loads the snapshot (every subject's state as of one event id), then follows
the event stream from exactly that id (Last-Event-ID), folding each receipt's
decision into the subject's state, and taking each notice event as the notice
in force. An erasure event drops the subjects it names (consentd's checks
answer no_decision for them at once; GDPR Art. 17(2)); one without subjects
(consentd restarted and no longer knows whom) reloads the snapshot. The states and the notice live in the core (a consent::StateTable
behind the shared library's C boundary), so folding, the answer (time-based
expiry, material notice changes, unknown purposes: the same code consentd's
checks run) and which receipts to acknowledge are the core's; a check is one
foreign call, not a JSON round trip.

Fail closed: while the stream is cut, or has sent nothing (no event, no
heartbeat) for stale_after seconds, allowed() answers False, or asks consentd
when fallback="ask".
"""
from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable, Dict, List, Optional

from .client import ConsentClient, Event, Verdict
from .core import Core, Table
from .errors import ConsentError, CoreError

STALE = Verdict(False, "mirror_stale")


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
        self._table: Optional[Table] = None  # None until the first snapshot has loaded
        self._event_id = -1
        self._live_until = 0.0  # monotonic deadline; 0 while cut
        self._stopping = threading.Event()
        self._changed = threading.Condition()
        self._thread: Optional[threading.Thread] = None
        self._pending_acks: List[str] = []
        self.errors: List[BaseException] = []  # what the follower met, for logs and tests

    # -- answers ---------------------------------------------------------------------------------
    def allowed(self, subject: str, purpose: str) -> bool:
        table = self._table
        if table is None or time.monotonic() > self._live_until:
            return self._when_stale(subject, purpose).allowed
        return table.allowed(subject, purpose, int(self._clock()))

    def verdict(self, subject: str, purpose: str) -> Verdict:
        table = self._table
        if table is None or time.monotonic() > self._live_until:
            return self._when_stale(subject, purpose)
        allowed, reason, receipt_id = table.verdict(subject, purpose, int(self._clock()))
        return Verdict(allowed, reason, receipt_id)

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
        return self._table.notice_version if self._table else 0

    @property
    def live(self) -> bool:
        return self._table is not None and time.monotonic() <= self._live_until

    def subjects(self) -> int:
        return self._table.subjects if self._table else 0

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
        # A table of its own: answers keep coming from the old one until this one is whole.
        table = self._core.table()
        event_id = -1
        first = True
        for page in self._client.snapshot(self._page_limit):
            if first:
                table.set_notice(json.dumps(page["notice"]))
                event_id = int(page["event_id"])
                first = False
                # The site's newest withdrawal this snapshot holds: applied by loading it, so acknowledged
                # (a backend started after it would otherwise show as behind until the next one).
                held = page.get("newest_withdrawal")
                if self.backend and held:
                    self._pending_acks.append(str(held["receipt_id"]))
            for row in page["subjects"]:
                table.put_state(str(row["subject"]), json.dumps(row["state"]))
        self._table = table
        self._event_id = event_id

    def _run(self) -> None:
        backoff = self._reconnect_backoff
        loaded = False
        while not self._stopping.is_set():
            try:
                if not loaded:
                    self.load_snapshot()
                    loaded = True
                    if self._pending_acks:
                        self._acknowledge()  # the withdrawal the snapshot held
                self._follow()
                backoff = self._reconnect_backoff
            except (ConsentError, CoreError, OSError, ValueError) as e:
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
            elif event.type == "notice" and event.data is not None and self._table is not None:
                self._table.set_notice(json.dumps(event.data))
            elif event.type == "erasure" and event.data is not None and event.id is not None:
                if not self._erase(event):
                    return  # reloaded: the stream resumes from the snapshot's event id
            self._live_until = time.monotonic() + self.stale_after
            if self._pending_acks:
                self._acknowledge()
            with self._changed:
                self._changed.notify_all()

    def _apply(self, event: Event) -> None:
        data = event.data or {}
        table = self._table
        if table is None:
            return
        must_acknowledge = table.apply(json.dumps(data))
        self._event_id = int(event.id or 0)
        if self.backend and must_acknowledge:
            self._pending_acks.append(str(data["receipt_id"]))
        if self._on_receipt is not None:
            try:
                self._on_receipt(data)
            except Exception as e:  # the job's own fault must not stop the mirror
                self.errors.append(e)

    def _erase(self, event: Event) -> bool:
        """An erasure (issue #13): the subjects it names are forgotten, so they answer
        no_decision as consentd's checks do. Without subjects (consentd no longer
        knows whom) the snapshot is reloaded, stale meanwhile; False then."""
        data = event.data or {}
        subjects = data.get("subjects")
        table = self._table
        if not isinstance(subjects, list) or table is None:
            self._live_until = 0.0  # deny (or ask) rather than answer on states that may hold the erased one
            self.load_snapshot()
            return False
        for subject in subjects:
            table.forget(str(subject))
        self._event_id = int(event.id or 0)
        return True

    def _acknowledge(self) -> None:
        receipts, self._pending_acks = self._pending_acks, []
        try:
            self._client.acknowledge(self.backend or "", receipts)
        except ConsentError as e:
            self.errors.append(e)
            self._pending_acks = receipts + self._pending_acks  # the next event tries again
