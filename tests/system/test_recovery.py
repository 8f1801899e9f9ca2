"""Crash recovery: SIGKILL under load, torn and corrupted segment tails,
and a clean SIGTERM shutdown."""

import os
import time
import unittest

import clients
import kafkawire
from harness import SkiffTestCase

SEGMENT0 = "00000000000000000000.log"


class KillDuringProductionTest(SkiffTestCase):

    def test_sigkill_keeps_every_acknowledged_message(self):
        self.crash_under_load({})

    def test_sigkill_with_page_cache_flush_policy(self):
        # Acknowledged before fsync: a process crash (not a power loss) must
        # still lose nothing, since the data is in the page cache.
        self.crash_under_load({"log.flush.interval.messages": 100000})

    def crash_under_load(self, overrides):
        b = self.start_broker(overrides)
        topic = clients.unique("crash")
        clients.create_topic(b, topic, 3)
        acks = clients.AckLog()
        prod = clients.producer(b, **{"linger.ms": 2, "message.timeout.ms": 3000, "acks": "all",
                                      "queue.buffering.max.messages": 5000})
        killed_at = None
        seq = 0
        deadline = time.monotonic() + 60
        # Produce without pause; kill the broker once 3000 messages are
        # acknowledged, while more are in flight, then keep producing a little.
        while killed_at is None or seq < killed_at + 500:
            self.assertLess(time.monotonic(), deadline, "production stalled: %d acked" % len(acks.acked))
            try:
                prod.produce(topic, key=b"%d" % seq, value=b"%s-%d" % (topic.encode(), seq), on_delivery=acks.cb)
                seq += 1
            except BufferError:
                prod.poll(0.01)
            if seq % 50 == 0:
                prod.poll(0)
            if killed_at is None and len(acks.acked) >= 3000:
                b.kill()
                killed_at = seq
        # Whatever was not acknowledged by now is abandoned (reported as
        # failed); acknowledgements already received stay queued for poll.
        prod.purge(in_queue=True, in_flight=True)
        prod.flush(10)
        self.assertEqual(len(prod), 0, "producer still holds messages after purge")
        acked = list(acks.acked)
        self.assertGreaterEqual(len(acked), 3000)
        self.assertLess(len(acked), seq, "every message acked: the kill did not interrupt production")

        b.start()
        self.assertIn("clean_shutdown=false", b.stderr_since_start(), "restart after SIGKILL must not look clean")
        seen = {}
        ends = {}
        need = {}
        for p, off, _, _ in acked:
            need[p] = max(need.get(p, 0), off + 1)
        with b.raw() as c:
            for p in range(3):
                err, _, hw_now = c.list_offsets(topic, p, -1)
                self.assertGreaterEqual(hw_now, need.get(p, 0),
                                        "partition %d: high watermark right after ready below acknowledged data" % p)
                recs, hw = kafkawire.fetch_all(c, topic, p)
                ends[p] = hw
                for r in recs:
                    self.assertNotIn(r["value"], seen, "value %r stored twice" % r["value"])
                    seen[r["value"]] = (p, r["offset"])
        for p, off, key, value in acked:
            self.assertEqual(seen.get(value), (p, off),
                             "acknowledged message %r (partition %d offset %d) lost or moved" % (value, p, off))
        # Writing continues right after the recovered end, without a gap.
        with b.raw() as c:
            for p in range(3):
                r = c.produce(topic, p, kafkawire.build_batch([(b"after", b"after-restart")]), acks=-1)
                self.assertEqual((r["error_code"], r["base_offset"]), (0, ends[p]))


class DamagedSegmentTest(SkiffTestCase):
    """20 batches of 10 records in one partition, then the broker is killed
    (no clean-shutdown marker) and the tail of the segment damaged."""

    BATCHES = 20
    PER_BATCH = 10

    def setUp(self):
        super().setUp()
        self.b = self.start_broker()
        self.topic = clients.unique("dmg")
        clients.create_topic(self.b, self.topic, 1)
        self.values = []
        with self.b.raw() as c:
            for i in range(self.BATCHES):
                recs = [(b"k", b"batch%02d-rec%d" % (i, j)) for j in range(self.PER_BATCH)]
                r = c.produce(self.topic, 0, kafkawire.build_batch(recs), acks=-1)
                self.assertEqual((r["error_code"], r["base_offset"]), (0, i * self.PER_BATCH))
                self.values += [v for _, v in recs]
        self.b.kill()
        self.seg = os.path.join(self.b.partition_dir(self.topic, 0), SEGMENT0)
        with open(self.seg, "rb") as f:
            data = f.read()
        self.batches = list(kafkawire.walk_batches(data))
        self.assertEqual(len(self.batches), self.BATCHES, "segment should hold the 20 batches as written")
        self.assertEqual(sum(t for _, t, _, _ in self.batches), len(data), "segment has bytes after the last batch")
        self.last_pos, self.last_len = self.batches[-1][0], self.batches[-1][1]

    def check_recovered(self):
        """The first 19 batches are served, the damaged one is gone, and the
        next produce lands at offset 190."""
        self.b.start()
        good = (self.BATCHES - 1) * self.PER_BATCH
        with self.b.raw() as c:
            # Ready means the recovered data is exposed: no wait here.
            self.assertEqual(c.list_offsets(self.topic, 0, -1)[2], good, "high watermark right after ready")
            recs, hw = kafkawire.fetch_all(c, self.topic, 0)
            self.assertEqual(hw, good, "high watermark after recovery")
            self.assertEqual([r["value"] for r in recs], self.values[:good])
            r = c.produce(self.topic, 0, kafkawire.build_batch([(b"k", b"after-recovery")]), acks=-1)
            self.assertEqual((r["error_code"], r["base_offset"]), (0, good))
            recs, hw = kafkawire.fetch_all(c, self.topic, 0)
            self.assertEqual(hw, good + 1)
            self.assertEqual([r["value"] for r in recs], self.values[:good] + [b"after-recovery"])
        # And a client that checks every CRC reads it all.
        got = clients.consume_partitions(self.b, self.topic, [0], **{"check.crcs": True})
        self.assertEqual([m.offset() for m in got[0]], list(range(good + 1)))

    def test_truncated_mid_batch(self):
        os.truncate(self.seg, self.last_pos + self.last_len // 2)
        self.check_recovered()

    def test_truncated_inside_batch_prefix(self):
        os.truncate(self.seg, self.last_pos + 5)
        self.check_recovered()

    def test_flipped_byte_in_last_batch(self):
        with open(self.seg, "r+b") as f:
            f.seek(self.last_pos + self.last_len // 2)
            byte = f.read(1)
            f.seek(self.last_pos + self.last_len // 2)
            f.write(bytes([byte[0] ^ 0xFF]))
        self.check_recovered()


class CleanShutdownTest(SkiffTestCase):

    def test_sigterm_exits_zero_and_keeps_data(self):
        b = self.start_broker()
        topic = clients.unique("term")
        clients.create_topic(b, topic, 2)
        acks = clients.AckLog()
        prod = clients.producer(b)
        for i in range(2000):
            prod.produce(topic, key=b"%d" % i, value=b"v%d" % i, on_delivery=acks.cb)
            prod.poll(0)
        clients.flush_all(prod, 30)
        self.assertEqual(len(acks.acked), 2000)
        # A parked long-poll fetch must not hold up the shutdown.
        with b.raw() as c:
            end0 = c.list_offsets(topic, 0, -1)[2]
            c.send(1, 4, c.fetch_request(topic, 0, end0, max_wait_ms=30_000))
            t0 = time.monotonic()
            rc = b.stop(timeout=15)
            took = time.monotonic() - t0
        self.assertEqual(rc, 0, "SIGTERM exit code; stderr tail:\n" + b.stderr_tail())
        self.assertLess(took, 10, "shutdown took %.1fs" % took)
        b.start()
        # The restart finds the clean-shutdown marker and recovers nothing.
        log = b.stderr_since_start()
        self.assertIn("clean_shutdown=true", log)
        self.assertNotIn("log_tail_truncated", log)
        self.assertNotRegex(log, r"recovered_from=(?!-1\b)", "a log was recovered after a clean shutdown")
        got = clients.consume_partitions(b, topic, [0, 1])
        stored = {(m.partition(), m.offset()): m.value() for msgs in got.values() for m in msgs}
        self.assertEqual(len(stored), 2000)
        for p, off, _, value in acks.acked:
            self.assertEqual(stored.get((p, off)), value)
        # A second clean stop/start cycle changes nothing either.
        self.assertEqual(b.stop(timeout=15), 0)
        b.start()
        with b.raw() as c:
            for p in range(2):
                self.assertEqual(c.list_offsets(topic, p, -1)[2], len(got[p]))


if __name__ == "__main__":
    unittest.main()
