"""Three-node failover under acks=all load: SIGKILL of a partition leader,
SIGKILL of the active controller, and a leader frozen (SIGSTOP) for longer
than the session timeout.  Afterwards every acknowledged message must be
read back exactly once, at the offset its delivery report named, in
per-partition order."""

import time
import unittest

import clients
import cluster_harness as ch
import cluster_load
from harness import GiveUp, wait_until

PARTITIONS = 6
RF = 3
TOPIC_CONFIG = {"min.insync.replicas": "2"}


class FailoverTest(ch.ClusterTestCase):

    def start_loaded_cluster(self, overrides=None):
        """A 3-node cluster, a 6-partition RF 3 topic with
        min.insync.replicas=2, and two steady acks=all producers (librdkafka
        and the raw client, see cluster_load) that have had acknowledgements
        on every partition."""
        c = self.start_cluster(3, overrides=overrides)
        topic = clients.unique("failover")
        c.create_topic(topic, PARTITIONS, RF, TOPIC_CONFIG)
        loads = cluster_load.Loads(cluster_load.ClientLoad(c, topic, PARTITIONS, rate=240),
                      cluster_load.RawLoad(c, topic, PARTITIONS, rate=60))
        for load in loads.all:
            self.addCleanup(load.close)
            load.start()
        loads.wait_acks(range(PARTITIONS), 0, 5, 20.0, "5 acknowledgements on every partition before the fault")
        return c, topic, loads

    def await_failover(self, c, topic, load, victim_id, before, t_fault, timeout=15.0):
        """Waits until no partition is led by victim_id and it left every ISR,
        checks each moved partition's new leader came from its ISR, then
        waits for acknowledgements on the moved partitions.  Returns
        (seconds until new leaders showed in Metadata, seconds until every
        moved partition had an acknowledgement again)."""
        moved = ch.led_by(before, victim_id)
        after = c.wait_partitions(topic, ch.no_leader_on(victim_id), timeout,
                                  "new leaders for the partitions of node %d" % victim_id, via_all=True)
        t_leaders = time.monotonic()
        for p in moved:
            self.assertIn(after[p]["leader"], before[p]["isr"],
                          "partition %d: new leader %d was not in the ISR %r before the fault"
                          % (p, after[p]["leader"], before[p]["isr"]))
        load.wait_acks(moved, t_leaders, 1, timeout,
                       "acks=all acknowledgements on the moved partitions %r" % moved)
        t_acks = load.first_ack_after(moved, t_leaders) if moved else t_leaders
        return t_leaders - t_fault, t_acks - t_fault

    def finish(self, c, load, forbidden=()):
        """More load on every partition, then the log check and the error check."""
        load.wait_acks(range(PARTITIONS), time.monotonic(), 10, 20.0,
                       "10 more acknowledgements on every partition after the failover")
        load.stop()
        figures = cluster_load.verify_log(self, c, load.all, forbidden_values=forbidden)
        bad = load.non_retriable_errors()
        self.assertEqual(bad, {}, "non-retriable produce errors: %r" % dict(list(bad.items())[:10]))
        return cluster_load.flat(figures)

    def test_sigkill_partition_leader(self):
        c, topic, load = self.start_loaded_cluster()
        p, leader = ch.pick_partition(c, topic)
        before = c.partitions(topic)
        t_kill = time.monotonic()
        c.node(leader).kill()
        t_md, t_ack = self.await_failover(c, topic, load, leader, before, t_kill)
        figures = self.finish(c, load)
        ch.report(self.id(), victim=leader, moved=ch.led_by(before, leader),
                  leaders_in_metadata_s="%.2f" % t_md, acks_resumed_s="%.2f" % t_ack, **figures)

    def test_sigkill_active_controller(self):
        c, topic, load = self.start_loaded_cluster()
        before_md = c.metadata([topic])
        ctrl = before_md["controller_id"]
        self.assertIn(ctrl, [n.node_id for n in c.nodes], "Metadata names no live controller: %r" % ctrl)
        before = c.partitions(topic)
        t_kill = time.monotonic()
        c.node(ctrl).kill()

        def new_controller():
            ids = {c.controller_id(via=n) for n in c.live()}
            if len(ids) == 1:
                cid = ids.pop()
                return cid if cid not in (-1, ctrl) else None
            return None
        new_ctrl = wait_until(new_controller, 15.0, 0.05, "every live node to name a new controller")
        t_ctrl = time.monotonic()
        self.assertIn(new_ctrl, [n.node_id for n in c.live()])

        # An admin request to a node that is not the controller must be
        # forwarded to the new one.
        other = [n for n in c.live() if n.node_id != new_ctrl][0]
        name = clients.unique("after-ctrl-failover")
        codes = []

        def created():
            code, msg = ch.raw_create_topics(other, name, 2, 2, timeout_ms=5000)
            codes.append((code, msg))
            if code in (ch.NONE, ch.TOPIC_ALREADY_EXISTS):
                return True
            if code not in (ch.NOT_CONTROLLER, ch.REQUEST_TIMED_OUT, ch.LEADER_NOT_AVAILABLE):
                raise GiveUp("CreateTopics via node %d: error %d (%s)" % (other.node_id, code, msg))
            return False
        wait_until(created, 15.0, 0.1, "CreateTopics after the controller failover")
        t_create = time.monotonic()
        c.wait_partitions(name, lambda ps: len(ps) == 2 and all(d["leader"] in (new_ctrl, other.node_id)
                                                                 for d in ps.values()),
                          15.0, "leaders on live nodes for the topic created after the failover")

        t_md, t_ack = self.await_failover(c, topic, load, ctrl, before, t_kill)
        figures = self.finish(c, load)
        ch.report(self.id(), old_controller=ctrl, new_controller=new_ctrl,
                  controller_s="%.2f" % (t_ctrl - t_kill), create_topics_s="%.2f" % (t_create - t_kill),
                  create_attempts=len(codes), leaders_in_metadata_s="%.2f" % t_md,
                  acks_resumed_s="%.2f" % t_ack, **figures)

    def test_frozen_leader_cannot_acknowledge(self):
        # Leadership must not move back to the old leader while the test
        # checks that it refuses writes.
        c, topic, load = self.start_loaded_cluster({"auto.leader.rebalance.enable": "false"})
        p, leader = ch.pick_partition(c, topic)
        victim = c.node(leader)
        before = c.partitions(topic)
        # A connection opened before the freeze: a produce written into it
        # while the process is stopped is read the moment it resumes, before
        # it can have heard that it was deposed.
        zombie = victim.raw(timeout=15.0)
        self.addCleanup(zombie.close)
        t_stop = time.monotonic()
        victim.pause()
        t_md, t_ack = self.await_failover(c, topic, load, leader, before, t_stop)

        first = b"zombie-first-write"
        req = zombie.produce_request(topic, p, ch.kafkawire.build_batch([(b"zombie", first)]),
                                     acks=-1, timeout_ms=3000)
        corr = zombie.send(0, 7, req)
        victim.resume()
        t_resume = time.monotonic()
        resp = ch.recv_produce(zombie, corr, topic, p, timeout=10.0)
        first_code = None if resp is None else resp["error_code"]
        self.assertNotEqual(first_code, ch.NONE,
                            "deposed leader %d acknowledged an acks=all write to %s/%d at offset %s "
                            "right after SIGCONT (paused %.2fs; new leaders were in Metadata after %.2fs)"
                            % (leader, topic, p, resp and resp["base_offset"], t_resume - t_stop, t_md))

        # Later writes to the old leader must be refused as not-the-leader
        # (unless Metadata says it leads the partition again).
        forbidden = {first}
        attempts = []

        def refused():
            if c.leader(topic, p) == leader:
                raise GiveUp("leadership of %s/%d returned to node %d" % (topic, p, leader))
            value = b"zombie-later-%d" % len(attempts)
            r = ch.raw_produce(victim, topic, p, [(b"zombie", value)], acks=-1, timeout_ms=2000, timeout=5.0)
            code = None if r is None else r["error_code"]
            attempts.append(code)
            if code == ch.NONE:
                if c.leader(topic, p) != leader:
                    raise GiveUp("old leader %d acknowledged a write to %s/%d at offset %d while Metadata "
                                 "names leader %d" % (leader, topic, p, r["base_offset"], c.leader(topic, p)))
                return True
            forbidden.add(value)
            return code in (ch.NOT_LEADER_OR_FOLLOWER, ch.FENCED_LEADER_EPOCH)
        wait_until(refused, 15.0, 0.1, "the old leader to refuse writes with NOT_LEADER_OR_FOLLOWER")
        t_refused = time.monotonic()

        c.wait_rejoined(victim, [topic], 30.0)
        t_rejoin = time.monotonic()
        figures = self.finish(c, load, forbidden=forbidden)
        ch.report(self.id(), victim=leader, paused_s="%.2f" % (t_resume - t_stop),
                  leaders_in_metadata_s="%.2f" % t_md, acks_resumed_s="%.2f" % t_ack,
                  first_zombie_write=first_code, later_attempts=attempts,
                  refused_after_resume_s="%.2f" % (t_refused - t_resume),
                  rejoined_after_resume_s="%.2f" % (t_rejoin - t_resume), **figures)


if __name__ == "__main__":
    unittest.main()
