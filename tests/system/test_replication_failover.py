"""Replication on three nodes: placement and full ISRs, acks=all read back
after failover, SIGKILL of a leader while producing acks=all (every
acknowledged record survives at its acknowledged offset, once), replicas
byte-identical on disk, min.insync.replicas with a node down, and a
restarted node catching up and rejoining the ISR."""

import threading
import time
import unittest


import clients
import cluster_helpers as ch
from harness import SkiffTestCase, wait_until


class ReplicationTest(SkiffTestCase):

    def test_rf3_topic_spreads_leaders_with_full_isr(self):
        c = self.start_cluster(3)
        topic = clients.unique("spread")
        ch.create_replicated(c, topic, 6, 3)
        t = c.metadata([topic])["topics"][topic]
        leaders = [p["leader"] for p in t["partitions"]]
        self.assertEqual(sorted(set(leaders)), [1, 2, 3], "leaders not spread: %r" % leaders)
        for n in (1, 2, 3):
            self.assertEqual(leaders.count(n), 2)
        for p in t["partitions"]:
            self.assertEqual(sorted(p["replicas"]), [1, 2, 3])
            self.assertEqual(sorted(p["isr"]), [1, 2, 3])
            self.assertEqual(p["leader"], p["replicas"][0])

    def test_acks_all_read_back_from_each_replica_and_identical_on_disk(self):
        c = self.start_cluster(3)
        topic = clients.unique("readback")
        ch.create_replicated(c, topic, 3, 3)
        p = clients.producer(c, acks="all")
        log = clients.AckLog()
        want = {part: [("p%d-%04d" % (part, i)).encode() for i in range(200)] for part in range(3)}
        for part in range(3):
            for v in want[part]:
                p.produce(topic, v, key=b"k", partition=part, on_delivery=log.cb)
        clients.flush_all(p)
        self.assertEqual(log.errors, [])
        for part in range(3):
            recs, _ = ch.read_partition(c, topic, part)
            self.assertEqual([r["value"] for r in recs], want[part])
        # Partition i's preferred leader is node i+1; killing it makes its
        # next replica lead, so each node serves one partition as a new
        # leader after a failover.
        served_by = set()
        for part in range(3):
            ch.wait_full_isr(c, topic, 3, 3)
            lead = ch.wait_leader(c, topic, part)
            c.node(lead).kill()
            new = ch.wait_leader(c, topic, part, not_in=(lead,))
            recs, _ = ch.read_at_least(c, topic, part, len(want[part]))
            self.assertEqual([r["value"] for r in recs], want[part], "partition %d on node %d" % (part, new))
            served_by.add(new)
            c.node(lead).start()
        self.assertEqual(served_by, {1, 2, 3})
        ch.wait_full_isr(c, topic, 3, 3)
        for b in c.nodes:
            self.assertEqual(b.stop(), 0)
        for part in range(3):
            images = [ch.segment_bytes(b, topic, part) for b in c.nodes]
            self.assertGreater(len(images[0]), 0)
            self.assertTrue(images[0] == images[1] == images[2], "partition %d: replica logs differ" % part)

    def test_sigkill_leader_while_producing_acks_all(self):
        c = self.start_cluster(3)
        topic = clients.unique("kill")
        ch.create_replicated(c, topic, 1, 3)
        # No client retries: a message is either acknowledged once or failed,
        # so every acknowledged one must be in the log exactly once at the
        # offset it was acknowledged with.
        p = clients.producer(c, acks="all", **{"message.send.max.retries": 0, "linger.ms": 2,
                                               "message.timeout.ms": 10000, "request.timeout.ms": 5000})
        log = clients.AckLog()
        stop = threading.Event()

        def pump():
            i = 0
            while not stop.is_set():
                try:
                    p.produce(topic, ("m%06d" % i).encode(), partition=0, on_delivery=log.cb)
                    i += 1
                except BufferError:
                    pass
                p.poll(0.001)
        th = threading.Thread(target=pump)
        th.start()
        try:
            wait_until(lambda: len(log.acked) >= 200, 20, 0.01, "200 acknowledged before the kill")
            victim = ch.leader_of(c, topic, 0)
            acked_before = len(log.acked)
            c.node(victim).kill()
            wait_until(lambda: len(log.acked) >= acked_before + 200, 30, 0.01, "200 more acknowledged after")
        finally:
            stop.set()
            th.join()
            p.flush(15)
        new = ch.wait_leader(c, topic, 0, not_in=(victim,))
        end = max(off for (_, off, _, _) in log.acked) + 1
        recs, hw = ch.read_at_least(c, topic, 0, end)
        by_offset = {r["offset"]: r["value"] for r in recs}
        values = [r["value"] for r in recs]
        self.assertGreater(len(log.acked), 400)
        for (_, off, _, value) in log.acked:
            self.assertEqual(by_offset.get(off), value, "acknowledged %r at %d, log has %r (leader %d)"
                             % (value, off, by_offset.get(off), new))
            self.assertEqual(values.count(value), 1, "%r appears %d times" % (value, values.count(value)))
        acked_offsets = [off for (_, off, _, _) in log.acked]
        self.assertEqual(sorted(acked_offsets), sorted(set(acked_offsets)))

    def test_old_leader_truncates_divergent_tail(self):
        """acks=1 writes the leader had alone when it was killed are not in
        the new leader's log; when the old leader returns it must cut them
        (leader-epoch truncation) so every replica ends byte-identical."""
        c = self.start_cluster(3)
        topic = clients.unique("diverge")
        ch.create_replicated(c, topic, 1, 3)
        p = clients.producer(c, acks="1", **{"linger.ms": 0, "message.send.max.retries": 0,
                                             "message.timeout.ms": 5000})
        log = clients.AckLog()
        stop = threading.Event()

        def pump():
            i = 0
            while not stop.is_set():
                try:
                    p.produce(topic, ("d%06d" % i).encode() * 8, partition=0, on_delivery=log.cb)
                    i += 1
                except BufferError:
                    p.poll(0.001)
                p.poll(0)
        th = threading.Thread(target=pump)
        th.start()
        try:
            wait_until(lambda: len(log.acked) >= 3000, 30, 0.01, "3000 acks=1 writes")
            old = ch.leader_of(c, topic, 0)
            c.node(old).kill()
        finally:
            stop.set()
            th.join()
            p.flush(10)
        ch.wait_leader(c, topic, 0, not_in=(old,))
        for i in range(50):
            r, _ = ch.produce_until_ok(c, topic, 0, ("new-epoch-%d" % i).encode())
        c.node(old).start()
        ch.wait_full_isr(c, topic, 1, 3, timeout=30)
        recs, _ = ch.read_at_least(c, topic, 0, r["base_offset"] + 1)
        values = [r["value"] for r in recs]
        for i in range(50):
            self.assertEqual(values.count(("new-epoch-%d" % i).encode()), 1)
        truncated = "replica_truncated" in c.node(old).stderr_since_start()
        print("old leader truncated a divergent tail: %s" % truncated)
        for b in c.nodes:
            self.assertEqual(b.stop(), 0)
        images = [ch.segment_bytes(b, topic, 0) for b in c.nodes]
        self.assertTrue(images[0] == images[1] == images[2], "replica logs differ after the old leader returned")

    def test_leader_failover_time(self):
        c = self.start_cluster(3)
        topic = clients.unique("fo")
        ch.create_replicated(c, topic, 1, 3)
        ch.produce_until_ok(c, topic, 0, b"warm")
        victim = ch.leader_of(c, topic, 0)
        t0 = time.monotonic()
        c.node(victim).kill()
        r, _ = ch.produce_until_ok(c, topic, 0, b"after", timeout=20)
        took = time.monotonic() - t0
        print("leader failover (SIGKILL to acks=all ok): %.3fs" % took)
        # Detection is bounded by broker.session.timeout.ms (1 s by default).
        self.assertLess(took, 5.0)

    def test_min_insync_replicas_with_a_node_down(self):
        c = self.start_cluster(3)
        topic = clients.unique("minisr")
        ch.create_replicated(c, topic, 1, 3, config={"min.insync.replicas": "3"})
        r, _ = ch.produce_until_ok(c, topic, 0, b"all-three")
        lead = ch.leader_of(c, topic, 0)
        victim = next(b.node_id for b in c.nodes if b.node_id != lead)
        c.node(victim).kill()
        wait_until(lambda: len(c.partition(topic, 0)["isr"]) == 2, 15, 0.05, "the ISR to shrink to 2")
        r = ch.produce_one(c, topic, 0, b"needs-three", acks=-1)
        self.assertEqual(r["error_code"], ch.NOT_ENOUGH_REPLICAS)
        r = ch.produce_one(c, topic, 0, b"one-is-enough", acks=1)
        self.assertEqual(r["error_code"], 0)
        c.node(victim).start()
        ch.wait_full_isr(c, topic, 1, 3)
        r, _ = ch.produce_until_ok(c, topic, 0, b"three-again")
        self.assertEqual(r["error_code"], 0)

    def test_restarted_node_catches_up_and_rejoins_isr(self):
        c = self.start_cluster(3)
        topic = clients.unique("rejoin")
        ch.create_replicated(c, topic, 3, 3)
        victim = 3
        c.node(victim).kill()
        wait_until(lambda: all(victim not in p["isr"] for p in c.metadata([topic])["topics"][topic]["partitions"]),
                   15, 0.05, "node 3 out of every ISR")
        p = clients.producer(c, acks="all")
        log = clients.AckLog()
        for i in range(600):
            p.produce(topic, ("r%04d" % i).encode(), partition=i % 3, on_delivery=log.cb)
        clients.flush_all(p)
        self.assertEqual(log.errors, [])
        t0 = time.monotonic()
        c.node(victim).start()
        ch.wait_full_isr(c, topic, 3, 3, timeout=30)
        print("rejoin (start to full ISR): %.3fs" % (time.monotonic() - t0))
        for b in c.nodes:
            self.assertEqual(b.stop(), 0)
        for part in range(3):
            images = [ch.segment_bytes(b, topic, part) for b in c.nodes]
            self.assertTrue(images[0] == images[1] == images[2], "partition %d differs on disk" % part)


if __name__ == "__main__":
    unittest.main()
