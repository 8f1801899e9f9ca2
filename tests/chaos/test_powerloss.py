"""Power loss on a real single-node skiffd: the shim records what was
synced, SIGKILL, powerloss.apply cuts the data directory back, restart.

Under the default flush policy (log.flush.interval.messages=1) every
acknowledged record must survive; with a page-cache policy acknowledged
records are lost (which proves the shim and the cut do something) and the
broker must still restart cleanly on what is left.  The replay model itself
is checked on hand-written journals."""

import os
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))
sys.path.insert(0, HERE)

import clients      # noqa: E402
import harness      # noqa: E402
import kafkawire    # noqa: E402
import powerloss    # noqa: E402

WINDOW = 16          # produce requests kept in flight, so some are unanswered at the kill


def shim_path():
    return os.path.abspath(os.path.join(harness.BUILD_DIR, "chaos", "liblostwrites.so"))


class PowerLossNode:
    """A harness.Broker run under the shim, with power loss between runs."""

    def __init__(self, case, overrides, strict_dirs=False):
        if not os.path.exists(shim_path()):
            raise AssertionError("no %s (make chaos-build)" % shim_path())
        self.b = harness.Broker(name=case._testMethodName, overrides=overrides)
        case.brokers.append(self.b)   # stopped and checked by the test's cleanup
        self.journal = os.path.join(self.b.dir, "sync-journal")
        self.b.env = powerloss.shim_env(shim_path(), self.journal)
        self.base = {}
        self.reports = []
        self.strict_dirs = strict_dirs

    def start(self):
        self.base = powerloss.begin(self.b.log_dir, self.journal)
        self.b.start()

    def power_loss(self):
        self.b.kill()
        rep = powerloss.apply(self.b.log_dir, self.journal, self.base, strict_dirs=self.strict_dirs)
        self.reports.append(rep)
        return rep


def produce_until_killed(node, topic, n_acked, value_base):
    """Produces one-record batches (acks=1) with WINDOW requests in flight;
    once n_acked are acknowledged, applies power loss while the rest are in
    flight.  Returns ({offset: value} acknowledged, power-loss report)."""
    acked = {}
    sent = {}
    seq = value_base
    with node.b.raw() as c:
        deadline = time.monotonic() + 60
        while len(acked) < n_acked:
            if time.monotonic() > deadline:
                raise AssertionError("production stalled at %d acknowledged" % len(acked))
            while len(sent) < WINDOW:
                body = c.produce_request(topic, 0, kafkawire.build_batch([(None, b"%d" % seq)]), acks=1)
                corr = c.send(0, 7, body)
                sent[corr] = seq
                seq += 1
            corr, body = c.recv(10.0)
            value = sent.pop(corr)
            r = kafkawire.Reader(body)
            parts = r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16(), r.i64(), r.i64(), r.i64()))))
            _, err, base_offset, _, _ = parts[0][1][0]
            if err != 0:
                raise AssertionError("produce of %d: error %d" % (value, err))
            acked[base_offset] = value
        rep = node.power_loss()
    return acked, rep


def read_log(node, topic):
    with node.b.raw() as c:
        recs, hw = kafkawire.fetch_all(c, topic, 0)
    return {r["offset"]: int(r["value"]) for r in recs}, hw


class PowerLossTest(harness.SkiffTestCase):

    def test_synced_policy_keeps_every_acknowledged_record(self):
        self.synced_policy(strict_dirs=False)

    def test_synced_policy_strict_directories(self):
        # New segments must survive because their directory was synced
        # before anything in them was acknowledged, not by ext4's grace.
        self.synced_policy(strict_dirs=True)

    def synced_policy(self, strict_dirs):
        # Small segments, so rolls, sealed index syncs and checkpoints are
        # part of what the cut has to respect.
        node = PowerLossNode(self, {"log.flush.interval.messages": 1, "log.segment.bytes": 8192}, strict_dirs)
        node.start()
        topic = clients.unique("pl-sync")
        clients.create_topic(node.b, topic, 1)
        all_acked = {}
        for rnd in range(3):
            acked, rep = produce_until_killed(node, topic, 300, rnd * 100000)
            all_acked.update(acked)
            node.start()
            log, hw = read_log(node, topic)
            lost = sorted(o for o, v in all_acked.items() if log.get(o) != v)
            self.assertEqual(lost, [], "round %d: acknowledged records lost or changed after power loss "
                             "(first offsets %s)\n%s" % (rnd, lost[:10], powerloss.format_report(rep, node.b.log_dir)))
        self.assertGreater(len(os.listdir(node.b.partition_dir(topic, 0))), 3, "expected several segments")
        harness_report(self, node)

    def test_page_cache_policy_loses_acknowledged_records(self):
        node = PowerLossNode(self, {"log.flush.interval.messages": 100000, "log.segment.bytes": 8192})
        node.start()
        topic = clients.unique("pl-cache")
        clients.create_topic(node.b, topic, 1)
        # Everything the topic creation wrote reaches the disk first, so
        # the loss is the records' alone.
        node.b.stop()
        node.start()
        acked, rep = produce_until_killed(node, topic, 400, 0)
        self.assertGreater(rep["dropped_bytes"], 0, powerloss.format_report(rep, node.b.log_dir))
        node.start()
        log, hw = read_log(node, topic)
        lost = [o for o, v in acked.items() if log.get(o) != v]
        self.assertGreater(len(lost), 0, "no acknowledged record lost without fsync:\n%s"
                           % powerloss.format_report(rep, node.b.log_dir))
        # What survives is a prefix: no record changed, no gap.
        for o, v in log.items():
            if o in acked:
                self.assertEqual(acked[o], v, "offset %d holds another value after recovery" % o)
        self.assertEqual(sorted(log), list(range(len(log))))
        # Recovery handled the cut: the node serves and appends at its end.
        with node.b.raw() as c:
            r = c.produce(topic, 0, kafkawire.build_batch([(None, b"after")]), acks=1)
        self.assertEqual(r["error_code"], 0)
        self.assertEqual(r["base_offset"], hw)
        sys.stderr.write("  [figures] %s: acked=%d lost=%d dropped_bytes=%d\n"
                         % (self.id(), len(acked), len(lost), rep["dropped_bytes"]))


def harness_report(case, node):
    dropped = sum(r["dropped_bytes"] for r in node.reports)
    sys.stderr.write("  [figures] %s: power_losses=%d dropped_bytes=%d\n" % (case.id(), len(node.reports), dropped))


class ReplayModelTest(unittest.TestCase):
    """powerloss.apply on hand-made directories and journals."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pl-model-")
        self.addCleanup(lambda: __import__("shutil").rmtree(self.dir, ignore_errors=True))
        self.data = os.path.realpath(os.path.join(self.dir, "data"))
        os.makedirs(os.path.join(self.data, "p"))
        self.journal = os.path.join(self.dir, "journal")

    def write(self, rel, n):
        with open(os.path.join(self.data, rel), "wb") as f:
            f.write(b"x" * n)

    def size(self, rel):
        p = os.path.join(self.data, rel)
        return os.path.getsize(p) if os.path.exists(p) else None

    def journal_lines(self, *lines):
        with open(self.journal, "w") as f:
            for line in lines:
                f.write(line.replace("@", self.data) + "\n")

    def test_rules(self):
        self.write("p/old.log", 100)          # survived earlier incarnations
        base = powerloss.baseline(self.data)
        self.write("p/old.log", 150)          # appended, not synced
        self.write("p/seg.log", 80)           # created, synced at 50, then 30 more
        self.write("p/ckpt", 7)               # renamed into place after a sync
        self.write("p/new.log", 20)           # created, never synced, dir synced
        self.write("loose", 5)                # created, never synced, dir never synced
        self.write("p/cut.log", 10)           # synced at 40, truncated to 10
        self.journal_lines("P 1", "S 50 @/p/seg.log", "T 0 @/p/ckpt.tmp", "S 7 @/p/ckpt.tmp",
                           "R @/p/ckpt.tmp @/p/ckpt", "S 40 @/p/cut.log", "T 10 @/p/cut.log", "D @/p")
        rep = powerloss.apply(self.data, self.journal, base)
        self.assertEqual(self.size("p/old.log"), 100)
        self.assertEqual(self.size("p/seg.log"), 50)
        self.assertEqual(self.size("p/ckpt"), 7)
        self.assertEqual(self.size("p/new.log"), 0)
        self.assertIsNone(self.size("loose"))
        self.assertEqual(self.size("p/cut.log"), 10)
        self.assertEqual(rep["dropped_bytes"], 50 + 30 + 20 + 5)
        self.assertEqual(os.path.getsize(self.journal), 0, "the journal is cleared for the next incarnation")

    def test_strict_directories(self):
        for strict in (False, True):
            self.write("p/keep.log", 30)   # created, synced, directory synced after
            self.write("p/gone.log", 30)   # created and synced after the last directory sync
            self.journal_lines("T 0 @/p/keep.log", "S 30 @/p/keep.log", "D @/p",
                               "T 0 @/p/gone.log", "S 30 @/p/gone.log")
            powerloss.apply(self.data, self.journal, {}, strict_dirs=strict)
            self.assertEqual(self.size("p/keep.log"), 30)
            if strict:
                self.assertIsNone(self.size("p/gone.log"), "strict: its entry was never made durable")
            else:
                self.assertEqual(self.size("p/gone.log"), 30, "lenient: a synced file keeps its entry")

    def test_unlinked_then_recreated_starts_from_zero(self):
        self.write("p/a.log", 64)
        base = powerloss.baseline(self.data)
        self.write("p/a.log", 10)
        self.journal_lines("S 64 @/p/a.log", "U @/p/a.log", "T 0 @/p/a.log")
        powerloss.apply(self.data, self.journal, base)
        self.assertIsNone(self.size("p/a.log"), "recreated, never synced, directory never synced")

    def test_escaped_paths_and_unmodelled_calls(self):
        os.makedirs(os.path.join(self.data, "a b"))
        self.write("a b/f", 9)
        base = {}
        self.journal_lines("S 4 @/a%20b/f")
        powerloss.apply(self.data, self.journal, base)
        self.assertEqual(self.size("a b/f"), 4)
        self.journal_lines("X syncfs")
        with self.assertRaises(powerloss.Unmodelled):
            powerloss.apply(self.data, self.journal, base)

    def test_torn_last_line_is_ignored(self):
        self.write("p/s.log", 30)
        with open(self.journal, "w") as f:
            f.write("S 30 %s/p/s.log\nS 99 %s/p/s" % (self.data, self.data))
        powerloss.apply(self.data, self.journal, {})
        self.assertEqual(self.size("p/s.log"), 30)


if __name__ == "__main__":
    unittest.main()
