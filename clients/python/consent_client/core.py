"""The consent core through its two C exports, consent_call and consent_free.

The same boundary the wasm module gives the browser (wasm/bindings.cpp), here
as libconsent_core_c.so (clients/core_shared) loaded with ctypes: the mirror
decides with the very code consentd and the banner decide with.
"""
from __future__ import annotations

import ctypes
import json
import os
from typing import Any, Optional

from .errors import CoreError

LIBRARY_ENV = "CONSENT_CORE_LIBRARY"
LIBRARY_NAME = "libconsent_core_c.so"


class Core:
    """One loaded core library; calls are thread-safe (the core has no state)."""

    def __init__(self, library: Optional[str] = None) -> None:
        path = library or os.environ.get(LIBRARY_ENV) or LIBRARY_NAME
        self._lib = ctypes.CDLL(path)
        _declare_table(self._lib)
        self._call = self._lib.consent_call
        self._call.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
        self._call.restype = ctypes.c_void_p  # a pointer we must give back, not a copied bytes object
        self._free = self._lib.consent_free
        self._free.argtypes = [ctypes.c_void_p]
        self._free.restype = None

    def call_text(self, operation: bytes, input_json: bytes) -> str:
        """The raw envelope text of one call."""
        answer = self._call(operation, input_json)
        if not answer:
            raise MemoryError("consent_call could not allocate its answer")
        return self.free_text(answer)

    def call(self, operation: str, value: Any) -> Any:
        """One JSON API operation: its value, or CoreError with the core's code."""
        envelope = json.loads(self.call_text(operation.encode(), json.dumps(value).encode()))
        if envelope.get("ok"):
            return envelope["value"]
        err = envelope.get("error", {})
        raise CoreError(err.get("code", "api.unknown"), err.get("message", ""), err.get("path", ""))

    def table(self) -> "Table":
        """A new, empty state table (the mirror's memory) in the core."""
        return Table(self)

    def free_text(self, answer: int) -> str:
        try:
            return ctypes.string_at(answer).decode("utf-8")
        finally:
            self._free(answer)


def _declare_table(lib: ctypes.CDLL) -> None:
    table_p, text, out = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p
    for name, args, result in (
            ("consent_table_new", [], table_p),
            ("consent_table_free", [table_p], None),
            ("consent_table_set_notice", [table_p, text], out),
            ("consent_table_put_state", [table_p, text, text], out),
            ("consent_table_clear", [table_p], None),
            ("consent_table_forget", [table_p, text], ctypes.c_int),
            ("consent_table_apply", [table_p, text, ctypes.POINTER(ctypes.c_int)], out),
            ("consent_table_check", [table_p, text, text, ctypes.c_int64, ctypes.c_char_p, ctypes.c_size_t],
             ctypes.c_int),
            ("consent_table_subjects", [table_p], ctypes.c_size_t),
            ("consent_table_notice_version", [table_p], ctypes.c_int64),
            ("consent_reason_name", [ctypes.c_int], ctypes.c_char_p)):
        function = getattr(lib, name)
        function.argtypes = args
        function.restype = result


_ALLOWED_BIT = 0x100


class Table:
    """Every subject's state of one site and the notice in force, held by the
    core (consent::StateTable) in its own types: a check is one foreign call
    with two strings and the time, answered with the core's policy."""

    def __init__(self, core: Core) -> None:
        lib = core._lib
        self._core = core
        self._handle = lib.consent_table_new()
        if not self._handle:
            raise MemoryError("consent_table_new could not allocate a table")
        self._free_table = lib.consent_table_free
        self._set_notice = lib.consent_table_set_notice
        self._put_state = lib.consent_table_put_state
        self._apply = lib.consent_table_apply
        self._check = lib.consent_table_check
        self._subjects = lib.consent_table_subjects
        self._notice_version = lib.consent_table_notice_version
        self._clear = lib.consent_table_clear
        self._forget = lib.consent_table_forget
        # Reason numbers to names, once: a check then maps an int to a str.
        self.reasons = []
        while True:
            name = lib.consent_reason_name(len(self.reasons))
            if name is None:
                break
            self.reasons.append(name.decode())

    def __del__(self) -> None:
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            self._free_table(handle)

    def _raise_on(self, answer: Optional[int]) -> None:
        if answer:
            err = json.loads(self._core.free_text(answer)).get("error", {})
            raise CoreError(err.get("code", "api.unknown"), err.get("message", ""), err.get("path", ""))

    def set_notice(self, notice_json: str) -> None:
        """{"notice": {…}, "version": N, "last_material_version": M}, as consentd sends it."""
        self._raise_on(self._set_notice(self._handle, notice_json.encode()))

    def put_state(self, subject: str, state_json: str) -> None:
        self._raise_on(self._put_state(self._handle, subject.encode(), state_json.encode()))

    def clear(self) -> None:
        self._clear(self._handle)

    def forget(self, subject: str) -> bool:
        """An erased subject (an erasure event): it answers no_decision from now on; True if it was held."""
        return bool(self._forget(self._handle, subject.encode()))

    def apply(self, receipt_json: str) -> bool:
        """One receipt event's data, in log order; True when the backend must acknowledge it."""
        acknowledge = ctypes.c_int(0)
        self._raise_on(self._apply(self._handle, receipt_json.encode(), ctypes.byref(acknowledge)))
        return bool(acknowledge.value)

    def allowed(self, subject: str, purpose: str, now: int) -> bool:
        return bool(self._check(self._handle, subject.encode(), purpose.encode(), now, None, 0) & _ALLOWED_BIT)

    def verdict(self, subject: str, purpose: str, now: int) -> "tuple[bool, str, str]":
        receipt = ctypes.create_string_buffer(128)
        answer = self._check(self._handle, subject.encode(), purpose.encode(), now, receipt, len(receipt))
        number = answer & 0xff
        reason = self.reasons[number] if number < len(self.reasons) else "denied"
        return bool(answer & _ALLOWED_BIT), reason, receipt.value.decode()

    @property
    def subjects(self) -> int:
        return int(self._subjects(self._handle))

    @property
    def notice_version(self) -> int:
        return int(self._notice_version(self._handle))
