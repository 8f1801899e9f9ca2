"""In-sync replica rules on three nodes: min.insync.replicas against a shrunk
ISR, and no unclean leader election when every ISR member is down.  Raw
wire requests, so the exact error codes are checked."""

import time
import unittest

import clients
import cluster_harness as ch
import kafkawire
from harness import GiveUp, wait_until
from kafkawire import build_batch


def values(records):
    return [r["value"] for r in records]


class IsrTest(ch.ClusterTestCase):

    def test_min_insync_replicas_against_shrunk_isr(self):
        c = self.start_cluster(3)
        topic = clients.unique("min-isr")
        c.create_topic(topic, 1, 3, {"min.insync.replicas": "3"})
        md = c.metadata([topic])
        leader = md["topics"][topic]["partitions"][0]["leader"]
        # A follower that is not the controller, so only the ISR changes.
        follower = next(n for n in c.nodes if n.node_id not in (leader, md["controller_id"]))
        rest = sorted(n.node_id for n in c.nodes if n is not follower)

        with c.node(leader).raw() as r:
            resp = r.produce(topic, 0, build_batch([(b"k", b"full-isr")]), acks=-1)
            self.assertEqual((resp["error_code"], resp["base_offset"]), (ch.NONE, 0),
                             "acks=all with a full ISR of 3 and min.insync.replicas=3")

        t_kill = time.monotonic()
        follower.kill()
        c.wait_partitions(topic, lambda ps: sorted(ps[0]["isr"]) == rest and ps[0]["leader"] == leader,
                          15.0, "ISR of %s/0 to shrink to %r" % (topic, rest), via_all=True)
        t_shrunk = time.monotonic()

        with c.node(leader).raw() as r:
            end_before = r.list_offsets(topic, 0, -1)[2]
            resp = r.produce(topic, 0, build_batch([(b"k", b"refused")]), acks=-1)
            self.assertEqual(resp["error_code"], ch.NOT_ENOUGH_REPLICAS,
                             "acks=all with ISR %r < min.insync.replicas=3: %r" % (rest, resp))
            self.assertEqual(r.list_offsets(topic, 0, -1)[2], end_before,
                             "a refused acks=all write must not reach the log")
            resp = r.produce(topic, 0, build_batch([(b"k", b"acks-one")]), acks=1)
            self.assertEqual((resp["error_code"], resp["base_offset"]), (ch.NONE, end_before),
                             "acks=1 with a shrunk ISR")

        t_start = time.monotonic()
        follower.start()
        c.wait_rejoined(follower, [topic], 30.0)
        t_back = time.monotonic()

        def accepted():
            cur = c.leader(topic, 0)
            with c.node(cur).raw() as r:
                resp = r.produce(topic, 0, build_batch([(b"k", b"full-again")]), acks=-1)
            if resp["error_code"] not in (ch.NONE, ch.NOT_ENOUGH_REPLICAS, ch.NOT_LEADER_OR_FOLLOWER):
                raise GiveUp("acks=all after the ISR grew back: %r" % resp)
            return (cur, resp) if resp["error_code"] == ch.NONE else None
        cur, resp = wait_until(accepted, 10.0, 0.1, "acks=all to succeed with the ISR full again")
        self.assertEqual(resp["base_offset"], end_before + 1)
        with c.node(cur).raw() as r:
            recs, hw = kafkawire.fetch_all(r, topic, 0)
        self.assertEqual(values(recs), [b"full-isr", b"acks-one", b"full-again"])
        ch.report(self.id(), isr_shrunk_s="%.2f" % (t_shrunk - t_kill), rejoined_s="%.2f" % (t_back - t_start))

    def test_no_unclean_leader_election(self):
        c = self.start_cluster(3)
        topic = clients.unique("unclean")
        c.create_topic(topic, 1, 2, {"min.insync.replicas": "1"})
        p0 = c.partitions(topic)[0]
        a = c.node(p0["leader"])
        b = c.node(next(x for x in p0["replicas"] if x != a.node_id))
        with a.raw() as r:
            resp = r.produce(topic, 0, build_batch([(b"k", b"both-%d" % i) for i in range(5)]), acks=-1)
            self.assertEqual(resp["error_code"], ch.NONE)

        # Freeze the other replica until it drops out of the ISR; what is
        # written now exists on the leader only.
        b.pause()
        c.wait_partitions(topic, lambda ps: ps[0]["isr"] == [a.node_id] and ps[0]["leader"] == a.node_id,
                          15.0, "ISR of %s/0 to shrink to [%d]" % (topic, a.node_id))
        with a.raw() as r:
            resp = r.produce(topic, 0, build_batch([(b"k", b"leader-only-%d" % i) for i in range(5)]), acks=-1)
            self.assertEqual((resp["error_code"], resp["base_offset"]), (ch.NONE, 5),
                             "acks=all with ISR [%d] and min.insync.replicas=1" % a.node_id)

        # Crash the last ISR member, then let the stale replica run again:
        # it must not become leader, whatever the wait.
        a.kill()
        b.resume()
        t_kill = time.monotonic()
        ps = c.wait_partitions(topic, lambda ps: ps[0]["leader"] == -1, 15.0,
                               "%s/0 to have no leader after its only ISR member died" % topic, via_all=True)
        t_offline = time.monotonic()
        self.assertEqual(ps[0]["error_code"], ch.LEADER_NOT_AVAILABLE,
                         "a partition without a leader: %r" % ps[0])
        self.assertNotIn(b.node_id, ps[0]["isr"], "the stale replica came back into the ISR: %r" % ps[0])

        # Watch for three seconds (twice the longest session timeout):
        # the out-of-sync replica must never be elected.
        watch_end = time.monotonic() + 3.0
        while time.monotonic() < watch_end:
            for n in c.live():
                q = c.partitions(topic, via=n)[0]
                self.assertEqual(q["leader"], -1, "unclean election: node %d reports %r" % (n.node_id, q))
            time.sleep(0.1)
        resp = ch.raw_produce(b, topic, 0, [(b"k", b"to-stale-replica")], acks=1, timeout=10.0)
        self.assertIsNotNone(resp, "no answer from the stale replica")
        self.assertIn(resp["error_code"], (ch.NOT_LEADER_OR_FOLLOWER, ch.LEADER_NOT_AVAILABLE),
                      "produce to a replica of a leaderless partition: %r" % resp)

        t_start = time.monotonic()
        a.start()
        c.wait_partitions(topic, lambda ps: ps[0]["leader"] == a.node_id, 20.0,
                          "the returning ISR member %d to lead %s/0 again" % (a.node_id, topic), via_all=True)
        t_back = time.monotonic()
        with a.raw() as r:
            recs, hw = kafkawire.fetch_all(r, topic, 0)
        want = [b"both-%d" % i for i in range(5)] + [b"leader-only-%d" % i for i in range(5)]
        self.assertEqual(values(recs), want, "records after the last ISR member returned")
        c.wait_rejoined(b, [topic], 30.0)
        ch.report(self.id(), offline_after_kill_s="%.2f" % (t_offline - t_kill),
                  leader_back_after_start_s="%.2f" % (t_back - t_start))


if __name__ == "__main__":
    unittest.main()
