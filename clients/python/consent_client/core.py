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
        try:
            return ctypes.string_at(answer).decode("utf-8")
        finally:
            self._free(answer)

    def call(self, operation: str, value: Any) -> Any:
        """One JSON API operation: its value, or CoreError with the core's code."""
        envelope = json.loads(self.call_text(operation.encode(), json.dumps(value).encode()))
        if envelope.get("ok"):
            return envelope["value"]
        err = envelope.get("error", {})
        raise CoreError(err.get("code", "api.unknown"), err.get("message", ""), err.get("path", ""))
