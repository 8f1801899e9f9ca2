"""Segment corruption on ONE replica of a three-node cluster (RF 3,
min.insync.replicas 2): the follower is stopped, its partition directory
damaged with corrupt.py, restarted; leadership is then moved to it and every
acknowledged record must read back from it, unchanged."""

import os
import random
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))
sys.path.insert(0, HERE)

import cluster_harness as ch   # noqa: E402
import corrupt                 # noqa: E402
import kafkawire               # noqa: E402

TOPIC = "corrupt"
RECORDS = 150


class CorruptReplicaTest(ch.ClusterTestCase):

    def setUp(self):
        super().setUp()
        # Small segments, so there are closed segments below the recovery point.
        self.c = self.start_cluster(3, overrides={"log.segment.bytes": 4096})
        self.c.create_topic(TOPIC, 1, 3, config={"min.insync.replicas": "2"})
        self.acked = {}
        leader = self.c.node(self.c.leader(TOPIC, 0))
        with kafkawire.RawClient("127.0.0.1", leader.port) as cl:
            for i in range(RECORDS):
                r = cl.produce(TOPIC, 0, kafkawire.build_batch([(None, b"%d" % i)]), acks=-1)
                self.assertEqual(r["error_code"], 0, r)
                self.acked[r["base_offset"]] = i
        self.follower = self.c.node([n for n in (1, 2, 3) if n != leader.node_id][0])

    def damage(self, stop, fn):
        """Stops the follower (kill or SIGTERM), applies fn(partition_dir),
        restarts it and waits until it is back in the ISR."""
        f = self.follower
        if stop == "kill":
            f.kill()
        else:
            self.assertEqual(f.stop(), 0)
        desc = fn(f.partition_dir(TOPIC, 0))
        self.assertIsNotNone(desc, "nothing to corrupt")
        f.start(wait=True)
        self.c.wait_rejoined(f, [TOPIC], 30)
        return desc

    def lead_with_follower(self):
        """Kills the leader (restarting it) until the damaged follower leads."""
        for _ in range(6):
            cur = self.c.leader(TOPIC, 0)
            if cur == self.follower.node_id:
                return
            self.c.node(cur).kill()
            self.c.wait_partitions(TOPIC, lambda ps: ps[0]["leader"] not in (-1, cur), 30, "a new leader")
            self.c.node(cur).start(wait=True)
            self.c.wait_rejoined(self.c.node(cur), [TOPIC], 30)
        self.fail("node %d never became leader" % self.follower.node_id)

    def assert_all_acked_readable(self, desc):
        self.lead_with_follower()
        got = {}
        with kafkawire.RawClient("127.0.0.1", self.follower.port) as cl:
            offset = 0
            deadline = time.monotonic() + 10
            while offset <= max(self.acked) and time.monotonic() < deadline:
                p = cl.fetch(TOPIC, 0, offset)
                self.assertEqual(p["error_code"], 0, "fetch at %d from the damaged replica: error %d after %r"
                                 % (offset, p["error_code"], desc))
                for b in kafkawire.parse_batches(p["records"]):
                    self.assertTrue(b["crc_ok"], "batch %d served with a bad CRC" % b["base_offset"])
                    for rec in b["records"] or []:
                        self.assertNotIn(rec["offset"], got, "offset %d served twice" % rec["offset"])
                        got[rec["offset"]] = int(rec["value"])
                        offset = rec["offset"] + 1
        bad = sorted(o for o, v in self.acked.items() if got.get(o) != v)
        self.assertEqual(bad, [], "acknowledged records lost or changed after %r" % desc)

    def test_flip_in_active_segment_after_crash(self):
        rng = random.Random(11)
        desc = self.damage("kill", lambda d: corrupt.flip_bit(d, rng, region="any", segment="active"))
        self.assert_all_acked_readable(desc)

    def test_torn_active_segment_after_crash(self):
        rng = random.Random(12)
        desc = self.damage("kill", lambda d: corrupt.truncate_tail(d, rng, 300))
        self.assert_all_acked_readable(desc)

    def test_raised_base_offset_in_closed_segment(self):
        # baseOffset lies outside the batch CRC: a flip that raises it a
        # little in a segment below the recovery point used to be taken at
        # face value (records served under other offsets, later segments
        # dropped).
        def raise_base(d):
            path = corrupt.segments(d)[0]
            pos, total, base = corrupt.batches(path)[-1]
            bit = 0 if base % 2 == 0 else 1
            corrupt.flip_at(path, pos + 7, bit)
            return {"file": path, "batch_base_offset": base, "now": base ^ (1 << bit)}
        desc = self.damage("term", raise_base)
        self.assert_all_acked_readable(desc)

    @unittest.expectedFailure
    def test_crc_flip_below_recovery_point(self):
        # Known limitation: a CRC-covered flip in a closed segment is not
        # looked for at restart (segments below the recovery point get cheap
        # checks only); reads refuse the batch, so while the damaged replica
        # leads, fetches that reach it fail with KAFKA_STORAGE_ERROR and the
        # acknowledged records are unreadable although two healthy replicas
        # hold them.  Nothing moves leadership away or repairs the replica.
        rng = random.Random(13)
        desc = self.damage("kill", lambda d: corrupt.flip_bit(d, rng, region="crc", segment="closed"))
        self.assert_all_acked_readable(desc)


if __name__ == "__main__":
    unittest.main()
