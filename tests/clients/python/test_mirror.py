"""The Python mirror against a real consentd (issue #15 items 3 and 6): its
answers equal consentd's checks on a random workload; it follows restarts
without a gap; it fails closed when its stream is cut or goes quiet."""
from __future__ import annotations

import copy
import random
import time
import unittest
from typing import Any, Dict, List, Tuple

from consent_client import ConsentClient, Mirror
from consentd_site import SITE, ConsentdSite, subject_id

PURPOSES = ["necessary", "analytics", "marketing", "unknown_purpose"]


def answers_of(mirror: Mirror, pairs: List[Tuple[str, str]]) -> List[Tuple[bool, str, str]]:
    return [(v.allowed, v.reason, v.receipt_id) for v in (mirror.verdict(s, p) for s, p in pairs)]


class MirrorTest(unittest.TestCase):
    def setUp(self) -> None:
        # consentd's clock can be moved forward (libfaketime): the mirror reads the same clock.
        self.site = ConsentdSite(["--heartbeat-seconds=1"], fake_time=True)
        self.client = ConsentClient(self.site.url, SITE, self.site.key)
        self.mirror = Mirror(self.client, stale_after=3.0, clock=self.site.clock).start()

    def tearDown(self) -> None:
        self.mirror.stop()
        self.client.close()
        self.site.close()

    def consentd_answers(self, pairs: List[Tuple[str, str]]) -> List[Tuple[bool, str, str]]:
        return [(v.allowed, v.reason, v.receipt_id) for v in self.client.check_many(pairs)]

    def publish_next_notice(self, material: bool) -> int:
        current = self.site.notice()["notice"]
        notice: Dict[str, Any] = copy.deepcopy(current)
        notice["version"] = current["version"] + 1
        notice["material"] = material
        return int(self.client.publish_notice(notice)["version"])

    def test_the_mirror_answers_as_consentd_on_a_random_workload(self) -> None:
        rng = random.Random(20261203)
        subjects = [subject_id(100 + i) for i in range(10)]
        pairs = [(s, p) for s in subjects + [subject_id(999)] for p in PURPOSES]
        compared = 0
        reasons: Dict[str, int] = {}
        for step in range(60):
            who = rng.choice(subjects)
            op = rng.choice(["accept_all", "reject_all", "custom", "gpc", "withdraw", "server_withdraw",
                             "notice", "time"] if step > 5 else ["accept_all", "custom"])
            event_id, version = self.mirror.event_id, self.mirror.notice_version
            if op == "time":
                # 20 to 120 days and some seconds: grants (180 days) and refusals (90) expire on the way.
                self.site.advance(rng.randint(20, 120) * 86400 + rng.randint(0, 86399))
            elif op == "notice":
                version = self.publish_next_notice(material=rng.random() < 0.5)
            elif op == "server_withdraw":
                event_id = self.client.withdraw(who, rng.choice([None, ["marketing"], ["analytics"]]))["log_index"]
            elif op == "withdraw":
                event_id = self.site.decide(who, "withdraw", purposes=rng.choice([None, ["analytics"]]))["log_index"]
            elif op in ("custom", "gpc"):
                choices = {"analytics": rng.random() < 0.6}
                if op == "custom":
                    choices["marketing"] = rng.random() < 0.6
                event_id = self.site.decide(who, op, choices)["log_index"]
            else:
                event_id = self.site.decide(who, op)["log_index"]
            self.assertTrue(self.mirror.wait_for(event_id, version), f"step {step} ({op}) never reached the mirror")
            mine = answers_of(self.mirror, pairs)
            self.assertEqual(mine, self.consentd_answers(pairs), f"after step {step}: {op}")
            for answer in mine:
                reasons[answer[1]] = reasons.get(answer[1], 0) + 1
            compared += len(pairs)
        self.assertGreater(compared, 1000)
        # The workload reached every rule: grants, refusals, withdrawals, expiry, notice changes.
        for reason in ("granted", "denied", "withdrawn", "expired", "notice_changed", "no_decision",
                       "unknown_purpose", "necessary"):
            self.assertIn(reason, reasons, f"no answer was {reason}: {reasons}")
        allowed = sum(a[0] for a in answers_of(self.mirror, pairs))
        self.assertGreater(allowed, 0, "the workload left something granted")

    def test_a_withdrawal_denies_in_the_mirror_and_a_restart_of_consentd_leaves_no_gap(self) -> None:
        who = subject_id(1)
        granted = self.site.decide(who, "accept_all")
        self.assertTrue(self.mirror.wait_for(granted["log_index"]))
        self.assertTrue(self.mirror.allowed(who, "marketing"))
        withdrawn = self.client.withdraw(who, ["marketing"])
        self.assertTrue(self.mirror.wait_for(withdrawn["log_index"]))
        self.assertFalse(self.mirror.allowed(who, "marketing"))
        self.assertEqual(self.mirror.verdict(who, "marketing").reason, "withdrawn")

        self.site.restart()
        after = [self.site.decide(subject_id(2 + i), "accept_all") for i in range(3)]
        self.assertTrue(self.mirror.wait_for(after[-1]["log_index"], timeout=20))
        for i in range(3):
            self.assertTrue(self.mirror.allowed(subject_id(2 + i), "analytics"))
        self.assertEqual(self.mirror.subjects(), 4)

    def test_each_applied_withdrawal_is_acknowledged_and_shows_in_the_export(self) -> None:
        backend = Mirror(self.client, stale_after=3.0, clock=self.site.clock, backend="recommendations").start()
        try:
            who = subject_id(7)
            self.assertTrue(backend.wait_for(self.site.decide(who, "accept_all")["log_index"]))
            withdrawn = self.client.withdraw(who, ["analytics"])
            # The banner's own withdrawal, and a refusal that ends a grant: both stop processing.
            by_visitor = self.site.decide(who, "withdraw", purposes=["marketing"])
            self.assertTrue(backend.wait_for(by_visitor["log_index"]))
            deadline = time.monotonic() + 5
            acks: List[Dict[str, Any]] = []
            while time.monotonic() < deadline:
                acks = self.client.export(who)["acknowledgements"]
                if len(acks) == 2:
                    break
                time.sleep(0.05)
            self.assertEqual([(a["receipt_id"], a["backend"]) for a in acks],
                             [(withdrawn["receipt_id"], "recommendations"),
                              (by_visitor["receipt_id"], "recommendations")])
            # Stopped within the same second as the withdrawal was recorded.
            self.assertLessEqual(acks[0]["acknowledged_at"] - withdrawn["server_time"], 1)
            view = self.client.backends()
            self.assertEqual(view["newest_withdrawal"], by_visitor["log_index"])
            self.assertEqual([(b["backend"], b["behind"]) for b in view["backends"]], [("recommendations", False)])
            self.assertEqual(backend.errors, [])
        finally:
            backend.stop()

    def test_a_backend_started_after_a_withdrawal_acknowledges_it_from_the_snapshot(self) -> None:
        who = subject_id(8)
        self.site.decide(who, "accept_all")
        withdrawn = self.client.withdraw(who, ["marketing"])
        self.site.decide(subject_id(9), "accept_all")  # the newest event is not the withdrawal
        late = Mirror(self.client, stale_after=3.0, clock=self.site.clock, backend="reports").start()
        try:
            self.assertFalse(late.allowed(who, "marketing"))
            deadline = time.monotonic() + 5
            view: Dict[str, Any] = {}
            while time.monotonic() < deadline:
                view = self.client.backends()
                if view["backends"]:
                    break
                time.sleep(0.05)
            # Loading a snapshot that holds the withdrawal applied it: the backend is not behind on it.
            self.assertEqual(view["newest_withdrawal"], withdrawn["log_index"])
            self.assertEqual([(b["backend"], b["behind"], b["last_acknowledged_event"]) for b in view["backends"]],
                             [("reports", False, withdrawn["log_index"])])
            self.assertEqual([a["backend"] for a in self.client.export(who)["acknowledgements"]], ["reports"])
            self.assertEqual(late.errors, [])
        finally:
            late.stop()

    def denied_within(self, who: str, purpose: str, seconds: float = 5.0) -> bool:
        deadline = time.monotonic() + seconds
        while self.mirror.allowed(who, purpose) and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self.mirror.allowed(who, purpose)

    def test_an_erased_subject_is_dropped_by_the_mirror_as_consentd_forgets_it(self) -> None:
        who, other = subject_id(20), subject_id(21)
        self.site.decide(who, "accept_all")
        self.assertTrue(self.mirror.wait_for(self.site.decide(other, "accept_all")["log_index"]))
        self.assertTrue(self.mirror.allowed(who, "analytics"))
        erased = self.client.erase(who)
        self.assertTrue(self.denied_within(who, "analytics"))
        self.assertEqual(self.mirror.verdict(who, "analytics").reason, "no_decision")
        self.assertEqual(self.client.check(who, "analytics").reason, "no_decision")
        self.assertGreaterEqual(self.mirror.event_id, erased["log_index"])
        self.assertTrue(self.mirror.allowed(other, "analytics"))
        self.assertEqual(self.mirror.subjects(), 1)
        self.assertEqual(self.mirror.errors, [])

    def test_an_erasure_consentd_cannot_name_reloads_the_snapshot(self) -> None:
        who, other = subject_id(22), subject_id(23)
        self.assertTrue(self.mirror.wait_for(self.site.decide(who, "accept_all")["log_index"]))
        self.assertTrue(self.mirror.allowed(who, "analytics"))
        # consentctl erases in its own process: consentd never learns whom, so its
        # stream sends the erasure without subjects when the next receipt wakes it.
        self.site.ctl("erase", f"--site={SITE}", f"--subject={who}", "--reason=subject_request")
        later = self.site.decide(other, "accept_all")
        self.assertTrue(self.denied_within(who, "analytics", 10.0))
        self.assertTrue(self.mirror.wait_for(later["log_index"], timeout=10))
        self.assertEqual(self.mirror.verdict(who, "analytics").reason, "no_decision")
        self.assertTrue(self.mirror.allowed(other, "analytics"))
        self.assertEqual(self.mirror.subjects(), 1)

    def test_a_mirror_that_loses_its_stream_starts_denying(self) -> None:
        who = subject_id(5)
        self.assertTrue(self.mirror.wait_for(self.site.decide(who, "accept_all")["log_index"]))
        self.assertTrue(self.mirror.allowed(who, "analytics"))
        # Quiet: consentd stopped (SIGSTOP) sends no heartbeat; after stale_after the mirror denies.
        self.site.pause()
        try:
            deadline = time.monotonic() + 10
            while self.mirror.allowed(who, "analytics") and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertFalse(self.mirror.allowed(who, "analytics"))
            self.assertEqual(self.mirror.verdict(who, "analytics").reason, "mirror_stale")
        finally:
            self.site.resume()
        self.assertTrue(self.mirror.wait_for(timeout=20))
        self.assertTrue(self.mirror.allowed(who, "analytics"))
        # Cut: consentd killed; the mirror denies at once (no need to wait for stale_after).
        self.site.kill()
        deadline = time.monotonic() + 2.5
        while self.mirror.live and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertFalse(self.mirror.allowed(who, "analytics"))


if __name__ == "__main__":
    unittest.main()
