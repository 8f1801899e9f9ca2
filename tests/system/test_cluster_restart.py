"""Restarts on three nodes under acks=all load: a rolling restart with SIGTERM
(controlled shutdown) and a SIGKILLed node that catches up and rejoins every
ISR."""

import glob
import os
import time
import unittest

import clients
import cluster_harness as ch
import harness
import cluster_load
import kafkawire
from harness import wait_until

PARTITIONS = 6
RF = 3
TOPIC_CONFIG = {"min.insync.replicas": "2"}


def disk_records(node, topic, partition):
    """(offset, key, value) of every record in a node's segment files."""
    out = []
    for path in sorted(glob.glob(os.path.join(node.partition_dir(topic, partition), "*.log"))):
        with open(path, "rb") as f:
            data = f.read()
        for b in kafkawire.parse_batches(data):
            if not b["crc_ok"]:
                raise AssertionError("%s: batch at offset %d has a bad CRC" % (path, b["base_offset"]))
            out += [(r["offset"], r["key"], r["value"]) for r in b["records"] or []]
    return out


class RestartTest(ch.ClusterTestCase):

    def start_loaded_cluster(self, rate=300, value_bytes=100):
        c = self.start_cluster(3)
        topic = clients.unique("restart")
        c.create_topic(topic, PARTITIONS, RF, TOPIC_CONFIG)
        loads = cluster_load.Loads(cluster_load.ClientLoad(c, topic, PARTITIONS, rate=rate, value_bytes=value_bytes),
                      cluster_load.RawLoad(c, topic, PARTITIONS, rate=60, value_bytes=value_bytes))
        for load in loads.all:
            self.addCleanup(load.close)
            load.start()
        loads.wait_acks(range(PARTITIONS), 0, 5, 20.0, "5 acknowledgements on every partition")
        return c, topic, loads

    def test_rolling_restart_with_sigterm(self):
        c, topic, load = self.start_loaded_cluster()
        timings = []
        for node in c.nodes:
            t0 = time.monotonic()
            rc = node.stop(timeout=30.0)
            t_exit = time.monotonic()
            self.assertEqual(rc, 0, "node %d: exit code %r after SIGTERM under load" % (node.node_id, rc))
            c.wait_partitions(topic, ch.no_leader_on(node.node_id), 15.0,
                              "no leadership left on stopped node %d" % node.node_id)
            t_moved = time.monotonic()
            load.wait_acks(range(PARTITIONS), t_exit, 3, 20.0,
                           "acknowledgements on every partition with node %d down" % node.node_id)
            node.start(timeout=30.0)
            t_ready = time.monotonic()
            c.wait_rejoined(node, [topic], 30.0)
            t_back = time.monotonic()
            timings.append("n%d:stop=%.2f,moved=%.2f,ready=%.2f,rejoined=%.2f"
                           % (node.node_id, t_exit - t0, t_moved - t_exit, t_ready - t_exit, t_back - t_ready))
        load.wait_acks(range(PARTITIONS), time.monotonic(), 10, 20.0, "acknowledgements after the rolling restart")
        load.stop()
        figures = cluster_load.verify_log(self, c, load.all)
        bad = load.non_retriable_errors()
        self.assertEqual(bad, {}, "non-retriable produce errors during a rolling restart: %r"
                         % dict(list(bad.items())[:10]))
        ch.report(self.id(), timings=";".join(timings), **cluster_load.flat(figures))

    def test_sigterm_moves_leaderships_before_exit(self):
        """Controlled shutdown: by the time a SIGTERMed node has exited, the
        others already name new leaders for its partitions (a crash would
        take the session timeout, 1 s by default, plus an election).  Checked
        for the active controller and for another node."""
        c = self.start_cluster(3)
        topic = clients.unique("ctrl-shutdown")
        c.create_topic(topic, PARTITIONS, RF, TOPIC_CONFIG)
        ctrl = c.controller_id()
        other = next(n.node_id for n in c.nodes if n.node_id != ctrl and ch.led_by(c.partitions(topic), n.node_id))
        figures = {}
        for nid, role in ((ctrl, "controller"), (other, "broker")):
            node = c.node(nid)
            led = ch.led_by(c.partitions(topic), nid)
            self.assertTrue(led, "node %d (%s) leads no partition of %s" % (nid, role, topic))
            rc = node.stop(timeout=30.0)
            t_exit = time.monotonic()
            self.assertEqual(rc, 0, "node %d: exit code %r after SIGTERM" % (nid, rc))
            views = {}

            def moved():
                for n in c.live():
                    ps = c.partitions(topic, via=n)
                    views[n.node_id] = {p: ps[p]["leader"] for p in led}
                return all(l not in (nid, -1) for v in views.values() for l in v.values())
            try:
                wait_until(moved, 0.3, 0.01, "new leaders")
            except AssertionError:
                self.fail("node %d (%s) exited after SIGTERM, but 0.3 s later the other nodes still name "
                          "it (or no one) leader of partitions %r: {node: {partition: leader}} %r"
                          % (nid, role, led, views))
            figures["%s_moved_after_exit_s" % role] = "%.3f" % (time.monotonic() - t_exit)
            node.start(timeout=30.0)
            c.wait_rejoined(node, [topic], 30.0)
        ch.report(self.id(), **figures)

    def test_restarted_node_catches_up_and_rejoins(self):
        c, topic, load = self.start_loaded_cluster(rate=500, value_bytes=1024)
        md = c.metadata([topic])
        victim = next(n for n in reversed(c.nodes) if n.node_id != md["controller_id"])
        victim.kill()
        t_kill = time.monotonic()
        c.wait_partitions(topic, ch.no_leader_on(victim.node_id), 15.0,
                          "node %d out of every ISR and leadership" % victim.node_id)
        # Let the others take writes the victim has never seen.
        load.wait_acks(range(PARTITIONS), time.monotonic(), 30, 30.0,
                       "30 acknowledgements per partition with node %d down" % victim.node_id)
        t_start = time.monotonic()
        victim.start(timeout=30.0)
        t_ready = time.monotonic()
        c.wait_rejoined(victim, [topic], 30.0)
        t_back = time.monotonic()
        load.stop()

        # The rejoined replica's own log equals the leader's, record for
        # record.  Leadership may move (back to a preferred replica) while
        # this runs: each try asks Metadata for the current leader.
        for p in range(PARTITIONS):
            last = {}

            def caught_up():
                leader = c.node(c.leader(topic, p))
                with leader.raw() as r:
                    recs, hw = kafkawire.fetch_all(r, topic, p)
                want = [(x["offset"], x["key"], x["value"]) for x in recs]
                have = [x for x in disk_records(victim, topic, p) if x[0] < hw]
                last.update(leader=leader.node_id, hw=hw, have=len(have))
                return have == want
            try:
                wait_until(caught_up, 15.0, 0.1, "node %d's log of %s/%d to match the leader's"
                           % (victim.node_id, topic, p))
            except harness.WaitTimeout as e:
                raise harness.WaitTimeout("%s; last try %r" % (e, last))

        # The rejoined node serves: with another node gone it leads some partitions.
        other = next(n for n in c.nodes if n is not victim and n.node_id != c.controller_id())
        other.kill()
        c.wait_partitions(topic, ch.no_leader_on(other.node_id), 15.0,
                          "leaders for node %d's partitions" % other.node_id)
        figures = cluster_load.flat(cluster_load.verify_log(self, c, load.all))
        bad = load.non_retriable_errors()
        self.assertEqual(bad, {}, "non-retriable produce errors: %r" % dict(list(bad.items())[:10]))
        ch.report(self.id(), victim=victim.node_id, down_s="%.2f" % (t_start - t_kill),
                  ready_s="%.2f" % (t_ready - t_start), rejoined_after_ready_s="%.2f" % (t_back - t_ready),
                  **figures)


if __name__ == "__main__":
    unittest.main()
