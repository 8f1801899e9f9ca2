"""A follower that fell behind the leader's log start (retention deleted
everything it lacks) starts over at the leader's log start and rejoins."""

import unittest

import cluster_harness as ch
import kafkawire


class FollowerBehindLogStartTest(ch.ClusterTestCase):

    def test_follower_behind_leader_log_start_catches_up(self):
        # A follower stopped while the leader's retention deletes every
        # segment it lacks asks for an offset below the leader's log start
        # and gets OFFSET_OUT_OF_RANGE; it must start over at the leader's
        # log start (past its own log end) and rejoin the ISR.  It used to
        # call plog_truncate there, which does nothing past the log end, and
        # ask again forever.
        c = self.start_cluster(3, overrides={"log.segment.bytes": 2048, "log.retention.check.interval.ms": 200})
        c.create_topic("behind", 1, 3, config={"retention.bytes": "4096", "min.insync.replicas": "1"})
        leader = c.leader("behind", 0)
        f = c.node([n for n in (1, 2, 3) if n != leader and n != c.controller_id()][0])
        self.assertEqual(f.stop(), 0)
        c.wait_partitions("behind", lambda ps: f.node_id not in ps[0]["isr"], 30, "the stopped follower out of the ISR")
        with kafkawire.RawClient("127.0.0.1", c.node(leader).port) as cl:
            for _ in range(400):
                r = cl.produce("behind", 0, kafkawire.build_batch([(None, b"x" * 100)]), acks=1)
                self.assertEqual(r["error_code"], 0)
            ch.wait_until(lambda: cl.list_offsets("behind", 0, -2)[2] > 0, 10, 0.05, "retention to delete segments")
        f.start(wait=True)
        c.wait_rejoined(f, ["behind"], 15)


if __name__ == "__main__":
    unittest.main()
