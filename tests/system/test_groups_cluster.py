"""Coordinator failover: the broker coordinating a group dies, another
becomes leader of the group's __consumer_offsets partition, replays it and
takes over, on a three-node cluster."""

import unittest

import clients
from confluent_kafka.admin import NewTopic
from group_helpers import GROUP_OVERRIDES, Worker, counts, produce, wait_assignment, wait_consumed
from harness import Broker, SkiffTestCase, wait_until
from test_groups_wire import find_coordinator

NODES = 3


class Bootstrap:
    def __init__(self, brokers):
        self.bootstrap = ",".join(b.bootstrap for b in brokers)


class CoordinatorFailoverTest(SkiffTestCase):

    def start_cluster(self):
        overrides = dict(GROUP_OVERRIDES)
        overrides["offsets.topic.replication.factor"] = 3
        overrides["default.replication.factor"] = 3
        nodes = [Broker(name="%s-n%d" % (self._testMethodName, i + 1), overrides=overrides, node_id=i + 1)
                 for i in range(NODES)]
        voters = ",".join("%d@127.0.0.1:%d" % (b.node_id, b.internal_port) for b in nodes)
        for b in nodes:
            b.overrides["controller.quorum.voters"] = voters
            self.brokers.append(b)
        for b in nodes:
            b.start(wait=False)
        for b in nodes:
            b.wait_ready(60)
        return nodes

    def coordinator(self, nodes, group):
        """The node id FindCoordinator names, asked of any live node."""
        for b in nodes:
            if not b.running():
                continue
            with b.raw() as c:
                co = find_coordinator(c, group)
            if co["error"] == 0:
                return co["node"]
        return None

    def test_coordinator_failover(self):
        nodes = self.start_cluster()
        boot = Bootstrap(nodes)
        topic, group = clients.unique("fo"), clients.unique("grp")
        # Replicated, so the partitions on the node that dies stay writable.
        a = clients.admin(boot)
        a.create_topics([NewTopic(topic, 6, 3)])[topic].result(30)
        clients.wait_topic_ready(nodes[0], topic, 6)
        first_coord = wait_until(lambda: self.coordinator(nodes, group), 30, 0.1, "a coordinator")
        ws = [Worker("confluent", boot, group, topic, session_ms=3000) for _ in range(2)]
        for w in ws:
            self.addCleanup(w.kill)
        wait_assignment(ws, range(6), timeout=60)
        first = ["a-%d" % i for i in range(300)]
        produce(nodes[0], topic, first, 6)
        wait_consumed(ws, first, timeout=60)
        wait_until(lambda: sum(sum(w.committed().values()) for w in ws) >= 300, 20, 0.1, "commits")
        committed = [w.committed() for w in ws]

        victim = next(b for b in nodes if b.node_id == first_coord)
        victim.kill()
        alive = [b for b in nodes if b is not victim]
        new_coord = wait_until(lambda: (lambda n: n if n not in (None, first_coord) else None)(
            self.coordinator(alive, group)), 60, 0.2, "a new coordinator")
        self.assertNotEqual(new_coord, first_coord)

        # The members carry on with the new coordinator: new messages are
        # consumed once, and nothing committed before the failover is read again.
        second = ["b-%d" % i for i in range(300)]
        produce(alive[0], topic, second, 6)
        wait_consumed(ws, second, timeout=60)
        self.assertEqual([v for v, n in counts(ws, second).items() if n != 1], [])
        self.assertEqual([v for v, n in counts(ws, first).items() if n != 1], [])
        for w in ws:
            w.stop()

        # A new member of the group resumes from what was committed through
        # both coordinators.
        third = ["c-%d" % i for i in range(30)]
        produce(alive[0], topic, third, 6)
        w3 = Worker("confluent", Bootstrap(alive), group, topic)
        self.addCleanup(w3.kill)
        wait_consumed([w3], third, timeout=60)
        w3.stop()
        self.assertEqual(sorted(v for _, _, v in w3.messages()), sorted(third))
        self.assertTrue(all(c for c in committed))


if __name__ == "__main__":
    unittest.main()
