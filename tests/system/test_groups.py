"""Consumer groups with confluent-kafka (librdkafka): balanced assignment,
exactly-once consumption with synchronous commits, members leaving and
dying, and committed offsets surviving consumer and broker restarts."""

import unittest

import clients
from group_helpers import GROUP_OVERRIDES, Worker, counts, produce, wait_assignment, wait_consumed
from harness import SkiffTestCase, wait_until


class ConfluentGroupTest(SkiffTestCase):

    def start(self):
        return self.start_broker(dict(GROUP_OVERRIDES))

    def workers(self, n, broker, group, topic, lib="confluent", **kw):
        ws = [Worker(lib, broker, group, topic, **kw) for _ in range(n)]
        for w in ws:
            self.addCleanup(w.kill)
        return ws

    def test_three_members_share_six_partitions_and_take_over(self):
        b = self.start()
        topic, group = clients.unique("g6"), clients.unique("grp")
        clients.create_topic(b, topic, 6)
        ws = self.workers(3, b, group, topic)
        wait_assignment(ws, range(6))

        # The group as DescribeGroups shows it (ListGroups + DescribeGroups v0).
        groups = {g.id: g for g in clients.admin(b).list_groups(timeout=10)}
        self.assertIn(group, groups)
        self.assertEqual(groups[group].state, "Stable")
        self.assertEqual(groups[group].protocol_type, "consumer")
        self.assertEqual(len(groups[group].members), 3)

        first = ["a-%d" % i for i in range(300)]
        where = produce(b, topic, first, 6)
        wait_consumed(ws, first)
        c = counts(ws, first)
        self.assertEqual([v for v, n in c.items() if n != 1], [], "every message consumed exactly once")
        for w in ws:
            mine = w.assignment()
            self.assertTrue(all(p in mine for p, _, _ in w.messages()))

        # A member dies: after its session times out the others take over
        # its partitions; only its uncommitted tail may be read again.
        dead = ws[0]
        dead_parts, dead_committed = dead.assignment(), dead.committed()
        dead.kill()
        survivors = ws[1:]
        wait_assignment(survivors, range(6))
        second = ["b-%d" % i for i in range(300)]
        produce(b, topic, second, 6)
        wait_consumed(survivors, second)
        self.assertEqual([v for v, n in counts(survivors, second).items() if n != 1], [])
        for v, n in counts(ws, first).items():
            if n > 1:
                p, o = where[v]
                self.assertIn(p, dead_parts, "re-read %s from a partition the dead member did not own" % v)
                self.assertGreaterEqual(o, dead_committed.get(p, 0), "re-read committed message %s" % v)

        # A member leaves cleanly: the last one gets everything at once
        # (LeaveGroup starts the rebalance, no session timeout involved),
        # and nothing the leaver committed is read again.
        leaver, last = survivors
        before = {v for _, _, v in last.messages()}
        leaver.stop()
        wait_assignment([last], range(6), timeout=10)
        third = ["c-%d" % i for i in range(60)]
        produce(b, topic, third, 6)
        wait_consumed([last], third)
        again = [v for _, _, v in last.messages() if (v.startswith("a-") or v.startswith("b-")) and v not in before]
        self.assertEqual(again, [], "a clean leave commits everything it read")
        last.stop()

    def test_restart_resumes_from_committed_offsets(self):
        b = self.start()
        topic, group = clients.unique("resume"), clients.unique("grp")
        clients.create_topic(b, topic, 2)
        xs = ["x-%d" % i for i in range(100)]
        produce(b, topic, xs, 2)
        w1, = self.workers(1, b, group, topic)
        wait_consumed([w1], xs)
        w1.stop()
        self.assertEqual(w1.committed(), {0: 50, 1: 50})

        # Same group again: only what was produced since.
        ys = ["y-%d" % i for i in range(40)]
        produce(b, topic, ys, 2)
        w2, = self.workers(1, b, group, topic)
        wait_consumed([w2], ys)
        w2.stop()
        self.assertEqual(sorted(v for _, _, v in w2.messages()), sorted(ys))

        # After a clean restart and after SIGKILL the coordinator replays the
        # offsets from __consumer_offsets.
        for restart in ("stop", "kill"):
            if restart == "stop":
                self.assertEqual(b.stop(), 0)
            else:
                b.kill()
            b.start()
            zs = ["z-%s-%d" % (restart, i) for i in range(20)]
            produce(b, topic, zs, 2)
            w, = self.workers(1, b, group, topic)
            wait_consumed([w], zs)
            w.stop()
            self.assertEqual(sorted(v for _, _, v in w.messages()), sorted(zs), "after %s" % restart)

        # A new group with auto.offset.reset=earliest starts at the log start.
        fresh, = self.workers(1, b, clients.unique("fresh"), topic)
        total = 100 + 40 + 40
        wait_until(lambda: len(fresh.messages()) >= total, 30, 0.05, "fresh group reads everything")
        fresh.stop()
        self.assertEqual(len(fresh.messages()), total)
        self.assertEqual({(p, o) for p, o, _ in fresh.messages() if o == 0}, {(0, 0), (1, 0)})


if __name__ == "__main__":
    unittest.main()
