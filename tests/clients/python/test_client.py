"""The Python client against a real consentd: each backend call, errors with the
server's code, retries of a retryable 503 (a real locked database), timeouts."""
from __future__ import annotations

import os
import sqlite3
import threading
import time
import unittest

from consent_client import ConsentClient, ConsentError
from consentd_site import SITE, ConsentdSite, subject_id


class ClientTest(unittest.TestCase):
    site: ConsentdSite

    @classmethod
    def setUpClass(cls) -> None:
        cls.site = ConsentdSite()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.site.close()

    def client(self, **options: float) -> ConsentClient:
        return ConsentClient(self.site.url, SITE, self.site.key, **options)  # type: ignore[arg-type]

    def test_a_check_answers_what_the_subject_chose(self) -> None:
        who = subject_id(1)
        self.site.decide(who, "custom", {"analytics": True, "marketing": False})
        c = self.client()
        self.assertTrue(c.check(who, "analytics").allowed)
        self.assertEqual(c.check(who, "marketing").reason, "denied")
        self.assertEqual(c.check(who, "necessary").reason, "necessary")
        self.assertEqual(c.check(subject_id(999), "analytics").reason, "no_decision")
        self.assertEqual(c.check(who, "unknown_thing").reason, "unknown_purpose")
        verdicts = c.check_many([(who, "analytics"), (who, "marketing"), (subject_id(998), "analytics")])
        self.assertEqual([v.allowed for v in verdicts], [True, False, False])

    def test_a_server_side_withdrawal_denies_the_next_check_and_its_retry_replays(self) -> None:
        who = subject_id(2)
        self.site.decide(who, "accept_all")
        c = self.client()
        self.assertTrue(c.check(who, "marketing").allowed)
        first = c.withdraw(who, ["marketing"], decision_id="srv-python-0001")
        self.assertFalse(c.check(who, "marketing").allowed)
        self.assertTrue(c.check(who, "analytics").allowed)
        again = c.withdraw(who, ["marketing"], decision_id="srv-python-0001")
        self.assertEqual(again["receipt_id"], first["receipt_id"])

    def test_an_export_holds_every_receipt_of_the_subject(self) -> None:
        who = subject_id(3)
        a = self.site.decide(who, "accept_all")
        b = self.client().withdraw(who)
        bundle = self.client().export(who)
        self.assertEqual(bundle["bundle"], "consent-proof-bundle/1")
        self.assertEqual([r["receipt_id"] for r in bundle["receipts"]], [a["receipt_id"], b["receipt_id"]])

    def test_errors_carry_the_server_code(self) -> None:
        with self.assertRaises(ConsentError) as bad_key:
            ConsentClient(self.site.url, SITE, "ck_nobody.secret").check(subject_id(1), "analytics")
        self.assertEqual((bad_key.exception.status, bad_key.exception.code), (401, "auth.invalid_key"))
        self.assertFalse(bad_key.exception.retryable)
        with self.assertRaises(ConsentError) as unknown:
            self.client().withdraw(subject_id(1), ["no_such_purpose"])
        self.assertEqual((unknown.exception.status, unknown.exception.code), (400, "decision.unknown_purpose"))
        self.assertEqual(unknown.exception.path, "/purposes/0")
        with self.assertRaises(ConsentError) as ahead:
            self.client()._request("GET", "/snapshot?at=999999")
        self.assertEqual(ahead.exception.code, "snapshot.position_ahead")

    def test_a_retryable_503_is_retried_until_the_database_is_free(self) -> None:
        # Another process's write lock: consentd waits its busy timeout (5 s), then answers 503.
        lock = sqlite3.connect(os.path.join(self.site.dir, "db.sqlite"), isolation_level=None,
                               check_same_thread=False)
        lock.execute("BEGIN IMMEDIATE")
        release = threading.Timer(6.0, lock.execute, ["ROLLBACK"])
        try:
            with self.assertRaises(ConsentError) as refused:
                self.client(retries=0, timeout=10).withdraw(subject_id(4), decision_id="srv-locked-0001")
            self.assertEqual((refused.exception.status, refused.exception.code), (503, "storage.unavailable"))
            self.assertTrue(refused.exception.retryable)
            release.start()  # the first attempt below is refused again, a retry after the release is stored
            started = time.monotonic()
            answer = self.client(retries=8, backoff=0.2, timeout=10).withdraw(subject_id(4),
                                                                              decision_id="srv-locked-0002")
            self.assertGreater(time.monotonic() - started, 5.0)
        finally:
            release.join()
            lock.close()
        receipts = self.client().export(subject_id(4))["receipts"]
        self.assertEqual([r["receipt_id"] for r in receipts], [answer["receipt_id"]], "stored exactly once")

    def test_every_call_has_a_timeout(self) -> None:
        self.site.pause()  # consentd accepts (the kernel does) but never answers
        try:
            started = time.monotonic()
            with self.assertRaises(ConsentError) as late:
                self.client(timeout=0.5, retries=1, backoff=0.05).check(subject_id(1), "analytics")
            self.assertEqual(late.exception.code, "client.timeout")
            self.assertLess(time.monotonic() - started, 5.0)
        finally:
            self.site.resume()

    def test_events_resume_after_the_last_event_id(self) -> None:
        c = self.client()
        start = c._request("GET", "/snapshot")["event_id"]
        answers = [self.site.decide(subject_id(10 + i), "reject_all") for i in range(3)]
        got = []
        for event in c.events(start, idle_timeout=10):
            if event.type == "receipt":
                got.append(event.id)
                if len(got) == 2:
                    break
        self.assertEqual(got, [a["log_index"] for a in answers[:2]])
        for event in c.events(got[-1], idle_timeout=10):
            if event.type == "receipt":
                self.assertEqual(event.id, answers[2]["log_index"])
                self.assertEqual(event.data and event.data["decision"]["method"], "reject_all")
                break


if __name__ == "__main__":
    unittest.main()
