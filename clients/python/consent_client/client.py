"""consentd's backend API over HTTP, standard library only.

Every call has a timeout; answers 429 and 503 (consentd's retryable errors,
docs/errors.md) and connection failures are retried with exponential backoff
that honours Retry-After. A withdrawal is retried safely: it always carries a
decision id, so consentd answers a retry with the first receipt.
"""
from __future__ import annotations

import http.client
import json
import random
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from .errors import ConsentError

RETRYABLE_STATUSES = (429, 503)


@dataclass(frozen=True)
class Verdict:
    """The answer to "may I use this subject's data for this purpose now?"."""

    allowed: bool
    reason: str
    receipt_id: str = ""


@dataclass(frozen=True)
class Event:
    """One server-sent event: "receipt" (id = log index), "notice", or "heartbeat"."""

    type: str
    id: Optional[int] = None
    data: Optional[Dict[str, Any]] = None


def verdict_of(value: Dict[str, Any]) -> Verdict:
    return Verdict(bool(value.get("allowed")), str(value.get("reason", "")), str(value.get("receipt_id") or ""))


class ConsentClient:
    """A backend of one site, authenticated by its API key."""

    def __init__(self, base_url: str, site: str, api_key: str, *, timeout: float = 5.0, retries: int = 3,
                 backoff: float = 0.05, max_backoff: float = 2.0) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._scheme = parsed.scheme
        self._host = parsed.hostname
        self._port = parsed.port
        self._prefix = parsed.path.rstrip("/")
        self.site = site
        self._auth = f"Bearer {api_key}"
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._local = threading.local()  # one keep-alive connection per thread

    # -- the backend API -------------------------------------------------------------------------
    def check(self, subject: str, purpose: str) -> Verdict:
        path = f"/subjects/{_quote(subject)}/purposes/{_quote(purpose)}"
        return verdict_of(self._request("GET", path))

    def check_many(self, checks: Iterable[Tuple[str, str]]) -> List[Verdict]:
        """Many (subject, purpose) checks in one request each 1000 (consentd's batch limit)."""
        pairs = list(checks)
        out: List[Verdict] = []
        for start in range(0, len(pairs), 1000):
            body = {"checks": [{"subject": s, "purpose": p} for s, p in pairs[start:start + 1000]]}
            out.extend(verdict_of(r) for r in self._request("POST", "/checks", body)["results"])
        return out

    def withdraw(self, subject: str, purposes: Optional[Sequence[str]] = None,
                 decision_id: Optional[str] = None) -> Dict[str, Any]:
        """Server-side withdrawal (all consent purposes when none are named); the receipt answer."""
        body: Dict[str, Any] = {"decision_id": decision_id or "srv_" + secrets.token_urlsafe(16)}
        if purposes is not None:
            body["purposes"] = list(purposes)
        return self._request("POST", f"/subjects/{_quote(subject)}/withdrawals", body)

    def erase(self, subject: str, reason: str = "subject_request") -> Dict[str, Any]:
        """Erases the subject's receipts (docs/erasure.md); the erasure receipt answer.
        Mirrors following the site drop the subject on its erasure event."""
        return self._request("POST", f"/subjects/{_quote(subject)}/erasure", {"reason": reason})

    def export(self, subject: str) -> Dict[str, Any]:
        """The subject's proof bundle (receipts, notices shown, proofs, keys)."""
        return self._request("GET", f"/subjects/{_quote(subject)}/export")

    def publish_notice(self, notice: Dict[str, Any]) -> Dict[str, Any]:
        return self._request("POST", "/notices", notice)

    def acknowledge(self, backend: str, receipt_ids: Sequence[str]) -> Dict[str, Any]:
        """Tells consentd this backend has applied these withdrawals (it stopped processing)."""
        return self._request("POST", "/acknowledgements", {"backend": backend, "receipts": list(receipt_ids)})

    def backends(self) -> Dict[str, Any]:
        """The operator's view: each backend's acknowledged position, and which are behind."""
        return self._request("GET", "/backends")

    def snapshot(self, limit: int = 500) -> Iterator[Dict[str, Any]]:
        """Every page of the site's snapshot, all at the first page's event id."""
        query = f"?limit={limit}"
        while True:
            page = self._request("GET", "/snapshot" + query)
            yield page
            nxt = page.get("next")
            if not nxt:
                return
            query = f"?limit={limit}&at={nxt['at']}&after={_quote(nxt['after'])}"

    def events(self, last_event_id: Optional[int] = None, *, notices: bool = False,
               idle_timeout: float = 30.0) -> Iterator[Event]:
        """One connection of the event stream, from after last_event_id; ends when it is cut.

        idle_timeout: no byte (event or heartbeat) for this long raises ConsentError client.timeout.
        """
        headers = {"Authorization": self._auth, "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        conn = self._connect(self.timeout)
        try:
            conn.request("GET", self._path("/events" + ("?notices=1" if notices else "")), headers=headers)
            resp = conn.getresponse()
            if resp.status != 200:
                raise _error_of(resp.status, resp.read(), resp.getheader("Retry-After"))
            if conn.sock is not None:
                conn.sock.settimeout(idle_timeout)
            yield from _read_events(resp)
        except (TimeoutError, OSError, http.client.HTTPException) as e:
            if isinstance(e, ConsentError):
                raise
            code = "client.timeout" if isinstance(e, TimeoutError) else "client.unreachable"
            raise ConsentError(code, f"event stream: {e}", retryable=True) from e
        finally:
            conn.close()

    # -- HTTP --------------------------------------------------------------------------------------
    def _path(self, rest: str) -> str:
        return f"{self._prefix}/v1/sites/{_quote(self.site)}{rest}"

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._host, self._port, timeout=timeout)
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout)

    def _request(self, method: str, rest: str, body: Optional[Dict[str, Any]] = None) -> Any:
        attempt = 0
        while True:
            try:
                return self._once(method, self._path(rest), body)
            except ConsentError as e:
                if not e.retryable or attempt >= self.retries:
                    raise
                delay = min(self.max_backoff, self.backoff * (2 ** attempt)) * (0.5 + random.random() / 2)
                time.sleep(max(delay, min(e.retry_after or 0.0, self.max_backoff)))
                attempt += 1

    def _once(self, method: str, path: str, body: Optional[Dict[str, Any]]) -> Any:
        headers = {"Authorization": self._auth}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for fresh in (False, True):
            conn = getattr(self._local, "conn", None)
            if conn is None or fresh:
                if conn is not None:
                    conn.close()
                conn = self._local.conn = self._connect(self.timeout)
                fresh = True
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                text = resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                # A kept-alive connection the server closed meanwhile: once more on a new one.
                conn.close()
                self._local.conn = None
                if fresh:
                    raise ConsentError("client.unreachable", f"{method} {path}: {e}", retryable=True) from e
                continue
            except TimeoutError as e:
                conn.close()
                self._local.conn = None
                raise ConsentError("client.timeout", f"{method} {path}: no answer in {self.timeout} s",
                                   retryable=True) from e
            except OSError as e:
                conn.close()
                self._local.conn = None
                raise ConsentError("client.unreachable", f"{method} {path}: {e}", retryable=True) from e
            if resp.will_close:
                conn.close()
                self._local.conn = None
            if resp.status >= 400:
                raise _error_of(resp.status, text, resp.getheader("Retry-After"))
            try:
                return json.loads(text) if text else {}
            except ValueError as e:
                raise ConsentError("client.bad_answer", f"{method} {path}: the answer is not JSON",
                                   status=resp.status) from e
        raise AssertionError("unreachable")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _quote(part: str) -> str:
    return urllib.parse.quote(part, safe="")


def _error_of(status: int, text: bytes, retry_after: Optional[str]) -> ConsentError:
    code, message, path = "client.bad_answer", f"HTTP {status}", ""
    try:
        err = json.loads(text)["error"]
        code, message, path = str(err["code"]), str(err.get("message", "")), str(err.get("path", ""))
    except (ValueError, KeyError, TypeError):
        pass
    after: Optional[float] = None
    if retry_after:
        try:
            after = float(retry_after)
        except ValueError:
            after = None
    return ConsentError(code, message, status, status in RETRYABLE_STATUSES, after, path)


def _read_events(resp: http.client.HTTPResponse) -> Iterator[Event]:
    """WHATWG HTML §9.2 event stream parsing, as much as consentd sends: id, event, data, comments."""
    fields: Dict[str, str] = {}
    while True:
        raw = resp.readline()
        if not raw:
            return  # the stream was cut
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if "event" in fields or "data" in fields:
                ident = fields.get("id")
                data = json.loads(fields["data"]) if "data" in fields else None
                yield Event(fields.get("event", "message"), int(ident) if ident is not None else None, data)
            fields = {}
        elif line.startswith(":"):
            yield Event("heartbeat")
        else:
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
