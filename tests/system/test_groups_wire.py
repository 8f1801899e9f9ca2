"""The group protocol byte by byte (raw client): bad or stale requests get
the error clients rely on and leave the group as it was."""

import os
import unittest

import clients
import kafkawire
from group_helpers import GROUP_OVERRIDES
from harness import SkiffTestCase, wait_until

INVALID_TOPIC_EXCEPTION = 17
from kafkawire import Reader, array, build_batch, i16, i32, i64, nbytes, string

NONE = 0
ILLEGAL_GENERATION = 22
INCONSISTENT_GROUP_PROTOCOL = 23
INVALID_GROUP_ID = 24
UNKNOWN_MEMBER_ID = 25
INVALID_SESSION_TIMEOUT = 26
REBALANCE_IN_PROGRESS = 27
UNKNOWN_TOPIC_OR_PARTITION = 3
FENCED_INSTANCE_ID = 82

SESSION_MS = 5000


def nstring(s):
    return i16(-1) if s is None else string(s)


def find_coordinator(c, group):
    r = Reader(c.call(10, 0, string(group)))
    return {"error": r.i16(), "node": r.i32(), "host": r.string(), "port": r.i32()}


def join_send(c, group, member="", protocols=(("range", b"meta"),), ptype="consumer", session=SESSION_MS,
              instance=None, version=2):
    body = string(group) + i32(session) + i32(session) + string(member)
    if version >= 5:
        body += nstring(instance)
    body += string(ptype) + array(list(protocols), lambda p: string(p[0]) + nbytes(p[1]))
    return c.send(11, version, body)


def join_recv(c, version=2, timeout=10.0):
    _, data = c.recv(timeout)
    r = Reader(data)
    r.i32()
    out = {"error": r.i16(), "generation": r.i32(), "protocol": r.string(), "leader": r.string(),
           "member": r.string()}

    def member(rr):
        mid = rr.string()
        if version >= 5:
            rr.string()
        return (mid, rr.nbytes())
    out["members"] = r.array(member)
    return out


def join(c, group, **kw):
    join_send(c, group, **kw)
    return join_recv(c, kw.get("version", 2))


def sync_send(c, group, generation, member, assignments=(), instance=None, version=1):
    body = string(group) + i32(generation) + string(member)
    if version >= 3:
        body += nstring(instance)
    body += array(list(assignments), lambda a: string(a[0]) + nbytes(a[1]))
    return c.send(14, version, body)


def sync_recv(c, timeout=10.0):
    _, data = c.recv(timeout)
    r = Reader(data)
    r.i32()
    return r.i16(), r.nbytes()


def sync(c, group, generation, member, assignments=(), **kw):
    sync_send(c, group, generation, member, assignments, **kw)
    return sync_recv(c)


def heartbeat(c, group, generation, member, instance=None, version=1):
    body = string(group) + i32(generation) + string(member)
    if version >= 3:
        body += nstring(instance)
    r = Reader(c.call(12, version, body))
    r.i32()
    return r.i16()


def leave(c, group, member):
    r = Reader(c.call(13, 1, string(group) + string(member)))
    r.i32()
    return r.i16()


def commit(c, group, generation, member, topic, offsets):
    """OffsetCommit v2 (kafka-python's version); returns {partition: error}."""
    parts = array(sorted(offsets.items()), lambda po: i32(po[0]) + i64(po[1]) + string(""))
    body = string(group) + i32(generation) + string(member) + i64(-1) + array([topic], lambda t: string(t) + parts)
    r = Reader(c.call(8, 2, body))
    out = {}
    for _ in range(r.i32()):
        r.string()
        for _ in range(r.i32()):
            p = r.i32()
            out[p] = r.i16()
    return out


def fetch_offsets(c, group, topic, partitions):
    """OffsetFetch v1; returns {partition: (offset, error)}."""
    body = string(group) + array([topic], lambda t: string(t) + array(list(partitions), i32))
    r = Reader(c.call(9, 1, body))
    out = {}
    for _ in range(r.i32()):
        r.string()
        for _ in range(r.i32()):
            p, off = r.i32(), r.i64()
            r.string()
            out[p] = (off, r.i16())
    return out


def describe(c, group):
    """DescribeGroups v0: (error, state, protocol_type, protocol, [member ids])."""
    r = Reader(c.call(15, 0, array([group], string)))
    assert r.i32() == 1
    err, _, state, ptype, proto = r.i16(), r.string(), r.string(), r.string(), r.string()

    def member(rr):
        mid = rr.string()
        rr.string(), rr.string(), rr.nbytes(), rr.nbytes()
        return mid
    return err, state, ptype, proto, r.array(member)


class GroupWireTest(SkiffTestCase):

    def setUp(self):
        super().setUp()
        self.b = self.start_broker(dict(GROUP_OVERRIDES))
        self.topic = clients.unique("wire")
        clients.create_topic(self.b, self.topic, 2)

    def first_member(self, c, group):
        co = find_coordinator(c, group)
        self.assertEqual((co["error"], co["node"], co["port"]), (NONE, 1, self.b.port))
        j = join(c, group, protocols=(("range", b"m-a"),))
        self.assertEqual(j["error"], NONE)
        self.assertEqual(j["generation"], 1)
        self.assertEqual(j["leader"], j["member"])
        self.assertEqual(j["protocol"], "range")
        self.assertEqual(j["members"], [(j["member"], b"m-a")])
        self.assertEqual(sync(c, group, 1, j["member"], [(j["member"], b"assign-a")]), (NONE, b"assign-a"))
        return j["member"]

    def test_bad_and_stale_requests_leave_the_group_alone(self):
        group = clients.unique("g")
        with self.b.raw() as c1, self.b.raw() as c2:
            a = self.first_member(c1, group)
            self.assertEqual(heartbeat(c1, group, 1, a), NONE)
            self.assertEqual(heartbeat(c1, group, 7, a), ILLEGAL_GENERATION)
            self.assertEqual(heartbeat(c1, group, 1, "nobody"), UNKNOWN_MEMBER_ID)
            self.assertEqual(sync(c1, group, 7, a)[0], ILLEGAL_GENERATION)
            self.assertEqual(sync(c1, group, 1, "nobody")[0], UNKNOWN_MEMBER_ID)
            self.assertEqual(commit(c1, group, 7, a, self.topic, {0: 5}), {0: ILLEGAL_GENERATION})
            self.assertEqual(commit(c1, group, 1, "nobody", self.topic, {0: 5}), {0: UNKNOWN_MEMBER_ID})
            # Outsiders may not commit while the group has members (P8).
            self.assertEqual(commit(c1, group, -1, "", self.topic, {0: 5}), {0: ILLEGAL_GENERATION})
            self.assertEqual(join(c2, group, ptype="connect")["error"], INCONSISTENT_GROUP_PROTOCOL)
            self.assertEqual(join(c2, group, protocols=(("roundrobin", b""),))["error"], INCONSISTENT_GROUP_PROTOCOL)
            self.assertEqual(join(c2, group, session=10)["error"], INVALID_SESSION_TIMEOUT)
            self.assertEqual(join(c2, group, session=10 ** 9)["error"], INVALID_SESSION_TIMEOUT)
            self.assertEqual(join(c2, "")["error"], INVALID_GROUP_ID)
            self.assertEqual(join(c2, group, member="ghost")["error"], UNKNOWN_MEMBER_ID)
            # None of that disturbed the group.
            self.assertEqual(describe(c1, group), (NONE, "Stable", "consumer", "range", [a]))
            self.assertEqual(heartbeat(c1, group, 1, a), NONE)
            self.assertEqual(sync(c1, group, 1, a), (NONE, b"assign-a"))
            self.assertEqual(commit(c1, group, 1, a, self.topic, {0: 5, 1: 6}), {0: NONE, 1: NONE})
            self.assertEqual(commit(c1, group, 1, a, "no-such-topic", {0: 1}), {0: UNKNOWN_TOPIC_OR_PARTITION})
            self.assertEqual(fetch_offsets(c1, group, self.topic, [0, 1]), {0: (5, NONE), 1: (6, NONE)})

            # A second member starts a rebalance: the first learns it from
            # its heartbeat, rejoins, and both get generation 2.
            join_send(c2, group, protocols=(("range", b"m-b"),))
            wait_until(lambda: describe(c1, group)[1] == "PreparingRebalance", 5, 0.01, "the rebalance to start")
            self.assertEqual(heartbeat(c1, group, 1, a), REBALANCE_IN_PROGRESS)
            self.assertEqual(sync(c1, group, 1, a)[0], REBALANCE_IN_PROGRESS)
            ja = join(c1, group, member=a, protocols=(("range", b"m-a"),))
            jb = join_recv(c2)
            self.assertEqual((ja["error"], ja["generation"], jb["error"], jb["generation"]), (NONE, 2, NONE, 2))
            bm = jb["member"]
            self.assertEqual(ja["leader"], a)
            self.assertEqual(sorted(ja["members"]), sorted([(a, b"m-a"), (bm, b"m-b")]))
            self.assertEqual(jb["members"], [])
            # Between join and sync: commits wait for the assignment, the old
            # generation is stale, heartbeats are fine.
            self.assertEqual(commit(c1, group, 2, a, self.topic, {0: 9}), {0: REBALANCE_IN_PROGRESS})
            self.assertEqual(heartbeat(c1, group, 1, a), ILLEGAL_GENERATION)
            self.assertEqual(heartbeat(c2, group, 2, bm), NONE)
            sync_send(c2, group, 2, bm)
            self.assertEqual(sync(c1, group, 2, a, [(a, b"x-a"), (bm, b"x-b")]), (NONE, b"x-a"))
            self.assertEqual(sync_recv(c2), (NONE, b"x-b"))
            self.assertEqual(describe(c1, group)[1], "Stable")

            # A member leaving starts the next rebalance.
            self.assertEqual(leave(c2, group, bm), NONE)
            self.assertEqual(leave(c2, group, bm), UNKNOWN_MEMBER_ID)
            self.assertEqual(heartbeat(c1, group, 2, a), REBALANCE_IN_PROGRESS)
            # The committed offsets are untouched by all of it.
            self.assertEqual(fetch_offsets(c2, group, self.topic, [0, 1]), {0: (5, NONE), 1: (6, NONE)})
        self.assert_broker_serves(self.b)

    def test_static_member_fencing(self):
        group = clients.unique("static")
        with self.b.raw() as c1, self.b.raw() as c2:
            find_coordinator(c1, group)
            j1 = join(c1, group, instance="inst-1", version=5)
            self.assertEqual((j1["error"], j1["generation"]), (NONE, 1))
            self.assertEqual(sync(c1, group, 1, j1["member"], [(j1["member"], b"as")], instance="inst-1",
                                  version=3), (NONE, b"as"))
            # The same instance restarts with a new member id: the old one is fenced.
            j2 = join(c2, group, instance="inst-1", version=5)
            self.assertEqual(j2["error"], NONE)
            self.assertNotEqual(j2["member"], j1["member"])
            self.assertEqual(heartbeat(c1, group, j2["generation"], j1["member"], instance="inst-1", version=3),
                             FENCED_INSTANCE_ID)
            self.assertEqual(describe(c1, group)[4], [j2["member"]])

    def test_commits_without_membership(self):
        group = clients.unique("standalone")
        with self.b.raw() as c:
            find_coordinator(c, group)
            self.assertEqual(fetch_offsets(c, group, self.topic, [0]), {0: (-1, NONE)})
            self.assertEqual(commit(c, group, -1, "", self.topic, {0: 3, 1: 4}), {0: NONE, 1: NONE})
            self.assertEqual(commit(c, group, 5, "", self.topic, {0: 9}), {0: UNKNOWN_MEMBER_ID})
            self.assertEqual(fetch_offsets(c, group, self.topic, [0, 1]), {0: (3, NONE), 1: (4, NONE)})
            self.assertEqual(describe(c, group)[1], "Empty")

    def test_garbage_in_offsets_topic_is_skipped_on_replay(self):
        """Well-framed batches of records the coordinator cannot read (left
        by another version, or damage that kept the CRC right) sit in
        __consumer_offsets: the replay skips them and keeps the real commits.
        Clients cannot write there (INVALID_TOPIC_EXCEPTION), so the junk is
        appended to the segment files while the broker is down."""
        group = clients.unique("replay")
        with self.b.raw() as c:
            find_coordinator(c, group)
            self.assertEqual(commit(c, group, -1, "", self.topic, {0: 17}), {0: NONE})
            res = c.produce("__consumer_offsets", 0, build_batch([(b"k", b"v")]))
            self.assertEqual(res["error_code"], INVALID_TOPIC_EXCEPTION)
        key = i16(1) + string(group) + string(self.topic) + i32(0)
        junk = [(b"\x00", b"x"), (b"\x00\x09" + string(group), b"?"), (key, b"\x00\x03\x00"),
                (i16(2) + string(group), b"\x00\x03" + b"\xff" * 12), (b"\x00\x01\xff\xff", None)]
        self.assertEqual(self.b.stop(), 0)
        for part in range(GROUP_OVERRIDES["offsets.topic.num.partitions"]):
            pdir = self.b.partition_dir("__consumer_offsets", part)
            segment = os.path.join(pdir, sorted(f for f in os.listdir(pdir) if f.endswith(".log"))[-1])
            with open(segment, "rb") as f:
                data = f.read()
            next_offset = int(os.path.basename(segment)[:-4])
            for _, _, base, last_delta in kafkawire.walk_batches(data):
                next_offset = base + last_delta + 1
            with open(segment, "ab") as f:
                f.write(build_batch(junk, base_offset=next_offset))
        self.b.start()
        with self.b.raw() as c:
            find_coordinator(c, group)
            self.assertEqual(fetch_offsets(c, group, self.topic, [0]), {0: (17, NONE)})
        self.assertIn("group_record_skipped", self.b.stderr_since_start())
        self.assert_broker_serves(self.b)


if __name__ == "__main__":
    unittest.main()
