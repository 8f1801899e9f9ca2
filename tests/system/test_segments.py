"""A partition spread over many small segments with dense indexes: reads
from any offset, lookups by timestamp, and the same after a crash and after
a clean restart."""

import os
import random
import unittest

import clients
import kafkawire
from harness import SkiffTestCase

BATCHES = 300
PER_BATCH = 3
T0 = 1_700_000_000_000


class SegmentsTest(SkiffTestCase):

    def setUp(self):
        super().setUp()
        self.b = self.start_broker({"log.segment.bytes": 4096, "log.index.interval.bytes": 200})
        self.topic = clients.unique("seg")
        clients.create_topic(self.b, self.topic, 1)
        self.values = []
        self.stamps = []
        with self.b.raw() as c:
            for i in range(BATCHES):
                vals = [b"%05d-%d-" % (i, j) + b"s" * (i % 97) for j in range(PER_BATCH)]
                ts = [T0 + (i * PER_BATCH + j) * 10 for j in range(PER_BATCH)]
                r = c.produce(self.topic, 0, kafkawire.build_batch([(None, v) for v in vals], timestamps=ts), acks=1)
                self.assertEqual((r["error_code"], r["base_offset"]), (0, i * PER_BATCH))
                self.values += vals
                self.stamps += ts
        segs = [f for f in os.listdir(self.b.partition_dir(self.topic, 0)) if f.endswith(".log")]
        self.assertGreater(len(segs), 12, "expected many segments, got %d" % len(segs))

    def check_reads(self):
        total = BATCHES * PER_BATCH
        rng = random.Random(7)
        with self.b.raw() as c:
            recs, hw = kafkawire.fetch_all(c, self.topic, 0)
            self.assertEqual(hw, total)
            self.assertEqual([r["value"] for r in recs], self.values)
            self.assertEqual([r["timestamp"] for r in recs], self.stamps)
            for off in [0, 1, total - 1] + [rng.randrange(total) for _ in range(40)]:
                p = c.fetch(self.topic, 0, off, partition_max_bytes=300)
                self.assertEqual(p["error_code"], 0)
                first = kafkawire.parse_batches(p["records"])[0]
                self.assertLessEqual(first["base_offset"], off, "fetch at %d began after it" % off)
                self.assertGreaterEqual(first["last_offset"], off, "fetch at %d began before its batch" % off)
                got = [r for r in first["records"] if r["offset"] == off]
                self.assertEqual(got[0]["value"], self.values[off])
            for off in [0, 5, total - 1] + [rng.randrange(total) for _ in range(30)]:
                # Exact timestamp, and just before it (which finds the same offset).
                self.assertEqual(c.list_offsets(self.topic, 0, self.stamps[off]), (0, self.stamps[off], off))
                self.assertEqual(c.list_offsets(self.topic, 0, self.stamps[off] - 5)[2], off)

    def test_reads_across_segments(self):
        self.check_reads()

    def test_reads_after_crash(self):
        self.b.kill()
        self.b.start()
        self.check_reads()

    def test_reads_after_clean_restart(self):
        self.assertEqual(self.b.stop(), 0)
        self.b.start()
        self.check_reads()

    def test_reads_after_indexes_are_lost(self):
        # Index files are derived data: without them the broker rebuilds them.
        self.b.kill()
        pdir = self.b.partition_dir(self.topic, 0)
        for f in os.listdir(pdir):
            if f.endswith((".index", ".timeindex")):
                os.unlink(os.path.join(pdir, f))
        self.b.start()
        self.check_reads()


if __name__ == "__main__":
    unittest.main()
