"""A deposed partition leader that has not learnt it was deposed.

The leader of a partition misses its own fencing (frozen with SIGSTOP, or
killed and restarted), a new leader takes writes past the old leader's log
end, and the old leader wakes up while every other node is frozen, so its
metadata image still names it the leader.  A consumer whose position came
from the new leader and that asks the old one must get
NOT_LEADER_OR_FOLLOWER (look for the leader again), not OFFSET_OUT_OF_RANGE
(which makes it reset to auto.offset.reset, e.g. back to offset 0).  A
leader that knows it leads still answers OFFSET_OUT_OF_RANGE past its end."""

import unittest

import clients
import cluster_harness as ch
import kafkawire
from harness import GiveUp, wait_until

OFFSET_OUT_OF_RANGE = 1
BEFORE = 5   # records the old leader has
AFTER = 7    # records only the new leader has


def fetch(node, topic, p, offset):
    with kafkawire.RawClient("127.0.0.1", node.port, timeout=5.0) as c:
        return c.fetch(topic, p, offset, max_wait_ms=0)


def produce(node, topic, p, n, tag):
    """n acks=all records at `node`; returns the offset after the last.  A
    new leader named in another node's Metadata may not have applied its
    election yet: NOT_LEADER_OR_FOLLOWER (nothing written) is retried."""
    end = None
    for i in range(n):
        def sent():
            resp = ch.raw_produce(node, topic, p, [(None, b"%s-%d" % (tag, i))], acks=-1)
            if resp is not None and resp["error_code"] == ch.NOT_LEADER_OR_FOLLOWER:
                return None
            if resp is None or resp["error_code"] != ch.NONE:
                raise GiveUp("produce %s-%d to node %d: %r" % (tag.decode(), i, node.node_id, resp))
            return resp
        end = wait_until(sent, 15.0, 0.05, "node %d taking writes" % node.node_id)["base_offset"] + 1
    return end


class StaleLeaderTest(ch.ClusterTestCase):

    def depose(self, how):
        """Runs the scenario up to the old leader awake with a stale image;
        returns (cluster, topic, partition, old leader, new leader, others,
        log end at the new leader)."""
        # A restarted node applies only the metadata its snapshot holds
        # until it hears a commit index; snapshotting after every entry makes
        # its image the one it had when it died.
        c = self.start_cluster(3, overrides={"metadata.snapshot.interval.entries": 1} if how == "restart" else None)
        topic = clients.unique("stale")
        # Three partitions spread their leaders over the nodes, so one is led
        # by a node that is not the active controller: a frozen controller
        # could answer its own heartbeat on waking before it learns it was
        # deposed (docs/cluster.md, Leadership lease).
        c.create_topic(topic, 3, 3)
        p, old_id = ch.pick_partition(c, topic)
        self.assertNotEqual(old_id, c.controller_id(), "every partition is led by the controller")
        old = c.node(old_id)
        self.assertEqual(produce(old, topic, p, BEFORE, b"old"), BEFORE)
        if how == "pause":
            old.pause()
        else:
            old.kill()
        ps = c.wait_partitions(topic, lambda ps: ps[p]["leader"] not in (-1, old_id), 20.0,
                               "a new leader of %s/%d after node %d stopped" % (topic, p, old_id))
        new = c.node(ps[p]["leader"])
        end = produce(new, topic, p, AFTER, b"new")
        self.assertEqual(end, BEFORE + AFTER)
        others = [n for n in c.nodes if n is not old]
        for n in others:
            n.pause()
        if how == "pause":
            old.resume()
        else:
            old.start(wait=False)

        def stale_view():
            md = c.metadata([topic], via=old, timeout=2.0)
            t = md["topics"].get(topic)
            return t is not None and any(x["partition"] == p and x["leader"] == old_id for x in t["partitions"])
        wait_until(stale_view, 20.0, 0.05, "node %d answering Metadata that still names it the leader" % old_id)
        return c, topic, p, old, new, others, end

    def check_stale_then_healed(self, how):
        c, topic, p, old, new, others, end = self.depose(how)
        got = fetch(old, topic, p, end)
        self.assertEqual(got["error_code"], ch.NOT_LEADER_OR_FOLLOWER,
                         "fetch at offset %d (the new leader's end) from deposed node %d whose log ends at %d: "
                         "error %d" % (end, old.node_id, BEFORE, got["error_code"]))
        # Below its log end it still serves what it has committed.
        got = fetch(old, topic, p, 0)
        self.assertEqual(got["error_code"], ch.NONE)
        for n in others:
            n.resume()
        c.wait_partitions(topic, lambda ps: ps[p]["leader"] == new.node_id, 20.0,
                          "every node naming node %d the leader" % new.node_id, via_all=True)
        # The real leader, sure of itself, keeps Kafka's semantics.
        wait_until(lambda: fetch(new, topic, p, end + 100)["error_code"] == OFFSET_OUT_OF_RANGE, 20.0, 0.1,
                   "OFFSET_OUT_OF_RANGE past the end from the leader, node %d" % new.node_id)
        self.assertEqual(fetch(new, topic, p, end)["error_code"], ch.NONE)

    def test_frozen_leader_wakes_up_deposed(self):
        self.check_stale_then_healed("pause")

    def test_restarted_leader_replays_an_old_image(self):
        self.check_stale_then_healed("restart")


if __name__ == "__main__":
    unittest.main()
