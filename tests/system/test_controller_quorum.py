"""The metadata quorum and controller on three nodes: election, broker
registration, topics agreed on by every node, admin requests forwarded from
any node, controller failover, fencing of a dead broker and its return."""

import time
import unittest

import clients
import cluster_helpers as ch
from harness import SkiffTestCase, wait_until


class ControllerQuorumTest(SkiffTestCase):

    def test_three_nodes_elect_a_controller_and_register(self):
        c = self.start_cluster(3)
        ids = set()
        for b in c.nodes:
            self.assertEqual(b.http_get("/readyz")[0], 200)
            md = c.metadata([], via=b)
            self.assertEqual(sorted(x["node_id"] for x in md["brokers"]), [1, 2, 3])
            self.assertEqual({(x["node_id"], x["port"]) for x in md["brokers"]},
                             {(n.node_id, n.port) for n in c.nodes})
            ids.add(md["controller_id"])
        self.assertEqual(len(ids), 1, "nodes disagree on the controller: %r" % ids)
        self.assertIn(ids.pop(), (1, 2, 3))

    def test_admin_from_any_node_reaches_every_node(self):
        c = self.start_cluster(3)
        topic = clients.unique("fwd")
        controller = c.controller_id()
        other = next(b for b in c.nodes if b.node_id != controller)
        # CreateTopics sent to a node that is not the controller is forwarded.
        clients.create_topic(other, topic, 3)
        for b in c.nodes:
            t = c.metadata([topic], via=b)["topics"][topic]
            self.assertEqual(t["error_code"], 0)
            self.assertEqual(len(t["partitions"]), 3)
        a = clients.admin(other)
        from confluent_kafka.admin import ConfigResource, NewPartitions
        res = ConfigResource("topic", topic, set_config={"retention.ms": "123456"})
        a.alter_configs([res])[res].result(15)
        a.create_partitions([NewPartitions(topic, 5)])[topic].result(15)
        for b in c.nodes:
            wait_until(lambda: len(c.metadata([topic], via=b)["topics"][topic]["partitions"]) == 5, 10, 0.05,
                       "5 partitions on node %d" % b.node_id)
            adm = clients.admin(b)  # must outlive its futures
            desc = adm.describe_configs([ConfigResource("topic", topic)])
            got = list(desc.values())[0].result(15)
            self.assertEqual(got["retention.ms"].value, "123456")
        a.delete_topics([topic])[topic].result(15)
        for b in c.nodes:
            wait_until(lambda: topic not in c.metadata(None, via=b)["topics"], 10, 0.05,
                       "topic gone on node %d" % b.node_id)

    def test_controller_failover_and_dead_broker_fenced(self):
        c = self.start_cluster(3)
        old = c.controller_id()
        t0 = time.monotonic()
        c.node(old).kill()
        out = {}

        def new_controller():
            ids = {c.controller_id(via=b) for b in c.running()}
            if len(ids) == 1 and -1 not in ids and old not in ids:
                out["id"] = ids.pop()
                return True
            return False
        wait_until(new_controller, 10, 0.02, "a new controller")
        elected_s = time.monotonic() - t0
        # The dead broker is fenced within the session timeout (1 s) after
        # the new controller took over, and leaves Metadata.  Metadata alone
        # cannot tell: a node that had not yet applied the dead broker's
        # unfencing omits it too, and the new controller then commits that
        # unfencing and places replicas on it until the session expires.
        new = c.node(out["id"])
        wait_until(lambda: "event=broker_fenced broker=%d " % old in new.stderr_text(), 10, 0.05,
                   "broker %d fenced by the new controller" % old)
        wait_until(lambda: all(old not in [x["node_id"] for x in c.metadata([], via=b)["brokers"]]
                               for b in c.running()), 10, 0.05, "broker %d out of every node's Metadata" % old)
        sys_note = "controller failover %.3fs" % elected_s
        print(sys_note)
        # The cluster keeps working: a topic can be created and written.
        topic = clients.unique("after")
        ch.create_replicated(c, topic, 2, 2)
        r, _ = ch.produce_until_ok(c, topic, 0, b"after-failover")
        self.assertEqual(r["error_code"], 0)
        # The old controller comes back, registers with a new epoch and is
        # unfenced.
        c.node(old).start()
        wait_until(lambda: sorted(x["node_id"] for x in c.metadata([])["brokers"]) == [1, 2, 3], 15, 0.05,
                   "all three brokers registered again")


if __name__ == "__main__":
    unittest.main()
