"""Errors of the client: each carries consentd's stable error code."""
from __future__ import annotations

from typing import Optional


class ConsentError(Exception):
    """consentd answered {"error": {"code", "message"}}, or could not be reached.

    code is consentd's registered code (docs/errors.md), or "client.unreachable" /
    "client.timeout" / "client.bad_answer" for failures on this side.
    """

    def __init__(self, code: str, message: str, status: int = 0, retryable: bool = False,
                 retry_after: Optional[float] = None, path: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.path = path


class CoreError(Exception):
    """The core's consent_call answered {"ok": false, "error": {…}}."""

    def __init__(self, code: str, message: str, path: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.path = path
