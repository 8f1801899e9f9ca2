"""Consumer groups with kafka-python's group consumer and kcat's balanced
consumer (-G): the same sharing, take-over and no-re-read guarantees as
with librdkafka's consumer."""

import signal
import subprocess
import threading
import unittest

import clients
import harness
from group_helpers import GROUP_OVERRIDES, Worker, counts, produce, wait_assignment, wait_consumed
from harness import SkiffTestCase, wait_until


class KcatMember:
    """`kcat -G group topic` printing `partition offset value` per message."""

    def __init__(self, broker, group, topic):
        args = ["kcat", "-b", broker.bootstrap, "-G", group, "-f", "%p %o %s\\n", "-u",
                "-X", "auto.offset.reset=earliest", "-X", "auto.commit.interval.ms=100",
                "-X", "session.timeout.ms=2000", "-X", "heartbeat.interval.ms=300", topic]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        harness._started[self.proc.pid] = self.proc
        self.values = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            parts = raw.decode().rstrip("\n").split(" ", 2)
            if len(parts) == 3:
                with self.lock:
                    self.values.append(parts[2])

    def messages(self):
        with self.lock:
            return [(None, None, v) for v in self.values]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        harness._started.pop(self.proc.pid, None)


def describe(broker, group):
    """(state, [(member_id, assignment bytes)]) through the legacy
    ListGroups/DescribeGroups API librdkafka speaks."""
    for g in clients.admin(broker).list_groups(group, timeout=10):
        if g.id == group:
            return g.state, [(m.id, m.assignment) for m in g.members]
    return None, []


class GroupClientsTest(SkiffTestCase):

    def test_kafka_python_members_share_and_take_over(self):
        b = self.start_broker(dict(GROUP_OVERRIDES))
        topic, group = clients.unique("kp"), clients.unique("grp")
        clients.create_topic(b, topic, 4)
        ws = [Worker("kafka-python", b, group, topic) for _ in range(2)]
        for w in ws:
            self.addCleanup(w.kill)
        wait_assignment(ws, range(4))
        first = ["a-%d" % i for i in range(200)]
        where = produce(b, topic, first, 4)
        wait_consumed(ws, first)
        self.assertEqual([v for v, n in counts(ws, first).items() if n != 1], [])

        dead, alive = ws
        dead_parts, dead_committed = dead.assignment(), dead.committed()
        dead.kill()
        wait_assignment([alive], range(4))
        second = ["b-%d" % i for i in range(100)]
        produce(b, topic, second, 4)
        wait_consumed([alive], second)
        self.assertEqual([v for v, n in counts([alive], second).items() if n != 1], [])
        for v, n in counts(ws, first).items():
            if n > 1:
                p, o = where[v]
                self.assertIn(p, dead_parts)
                self.assertGreaterEqual(o, dead_committed.get(p, 0), "re-read committed message %s" % v)
        alive.stop()

    def test_kcat_balanced_consumers(self):
        b = self.start_broker(dict(GROUP_OVERRIDES))
        topic, group = clients.unique("kcat"), clients.unique("grp")
        clients.create_topic(b, topic, 4)
        ks = [KcatMember(b, group, topic) for _ in range(2)]
        for k in ks:
            self.addCleanup(k.stop)

        def balanced():
            state, members = describe(b, group)
            return state == "Stable" and len(members) == 2 and all(len(a) > 8 for _, a in members)
        wait_until(balanced, 30, 0.1, "two kcat members with assignments")
        first = ["a-%d" % i for i in range(200)]
        produce(b, topic, first, 4)
        wait_consumed(ks, first)
        self.assertEqual([v for v, n in counts(ks, first).items() if n != 1], [])

        # kcat commits on its way out, so the other member reads only new data.
        leaver, last = ks
        wait_until(lambda: self._committed_all(b, group, topic, 4, 200), 10, 0.1, "auto-commit of everything")
        leaver.stop()
        wait_until(lambda: describe(b, group)[0] == "Stable" and len(describe(b, group)[1]) == 1, 20, 0.1,
                   "the group rebalanced to one member")
        second = ["b-%d" % i for i in range(100)]
        produce(b, topic, second, 4)
        wait_consumed([last], second)
        self.assertEqual([v for v, n in counts([last], second).items() if n != 1], [])
        self.assertEqual([v for v, n in counts(ks, first).items() if n != 1], [], "nothing committed read again")

    def _committed_all(self, broker, group, topic, partitions, total):
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
        try:
            got = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        finally:
            c.close()
        return sum(max(tp.offset, 0) for tp in got) == total


if __name__ == "__main__":
    unittest.main()
