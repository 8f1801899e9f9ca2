"""The skiff command-line tool against a three-node cluster, -b naming every
node: each subcommand's output is checked against what the cluster holds,
asked of every node (Metadata), of a node other than the one the tool
talked to (DescribeConfigs), of each partition's leader (Fetch,
ListOffsets), and of the group's committed offsets (lag equals produced
minus committed).  After a SIGKILL, `topic describe` shows the dead node as
an offline replica and ISRs without it, as Metadata does."""

import json
import time

import clients
import kafkawire
import test_cli
from cluster_harness import NONE, ClusterTestCase, report
from harness import wait_until
from kafkawire import Reader, array, i8, string
from test_cli import run
from test_cluster_ops import OVERRIDES

# Topic creation by the tool only, so a stray auto-create cannot make a
# check pass.
CLI_OVERRIDES = dict(OVERRIDES, **{"auto.create.topics.enable": "false"})
DESCRIBE_CONFIGS = 32
LIST_GROUPS = 16
TOPIC_RESOURCE = 2
WAIT_S = 20.0


def kv(line):
    """{key: value} of a `--kv` summary line."""
    out = {}
    for field in line.split():
        k, sep, v = field.partition("=")
        if not sep:
            raise AssertionError("not a key=value field: %r in %r" % (field, line))
        out[k] = v
    return out


def raw_topic_configs(node, topic):
    """DescribeConfigs v0 of one topic sent to `node`: (error_code,
    {name: (value, is_default)})."""
    body = array([topic], lambda t: i8(TOPIC_RESOURCE) + string(t) + kafkawire.i32(-1))
    with kafkawire.RawClient("127.0.0.1", node.port, timeout=10.0) as c:
        r = Reader(c.call(DESCRIBE_CONFIGS, 0, body, 10.0))
    r.i32()
    results = r.array(lambda r: (r.i16(), r.string(), r.i8(), r.string(), r.array(
        lambda r: (r.string(), r.string(), r.i8(), r.i8(), r.i8()))))
    if len(results) != 1 or results[0][3] != topic:
        raise AssertionError("DescribeConfigs from node %d does not echo %s: %r" % (node.node_id, topic, results))
    err, _, _, _, configs = results[0]
    return err, {name: (value, bool(is_default)) for name, value, _, is_default, _ in configs or []}


class CliClusterTest(ClusterTestCase):

    # The single-node CLI test's helpers, with self.b set to the cluster
    # (whose .bootstrap lists every node).
    ok = test_cli.CliTest.ok
    assert_one_line_error = test_cli.CliTest.assert_one_line_error

    def start(self):
        self.c = self.start_cluster(3, overrides=CLI_OVERRIDES)
        self.b = self.c
        return self.c

    def describe(self, topic):
        doc = json.loads(self.ok(["topic", "describe", topic, "--output", "json"]))
        self.assertEqual([t["name"] for t in doc["topics"]], [topic])
        return doc["topics"][0]

    def assert_describe_matches_every_node(self, topic, partitions, rf):
        """Waits until every node's Metadata agrees on the topic (live
        leaders, full ISRs), then checks `topic describe` against each."""
        self.c.wait_topic_healthy(topic, partitions, rf, timeout=WAIT_S)
        views = [self.c.partitions(topic, via=n) for n in self.c.nodes]
        for v in views[1:]:
            self.assertEqual(v, views[0], "nodes disagree on %s" % topic)
        t = self.describe(topic)
        self.assertEqual(len(t["partitions"]), partitions)
        for p in t["partitions"]:
            for node, v in zip(self.c.nodes, views):
                m = v[p["partition"]]
                self.assertEqual((p["leader"], sorted(p["replicas"]), sorted(p["isr"]), p["offline"], p["error"]),
                                 (m["leader"], sorted(m["replicas"]), sorted(m["isr"]), m["offline"], None),
                                 "%s/%d: describe vs Metadata from node %d" % (topic, p["partition"], node.node_id))
            self.assertEqual(len(set(p["replicas"])), rf, p)
            self.assertLessEqual(set(p["replicas"]), {n.node_id for n in self.c.nodes}, p)
        return t

    def wait_on_every_node(self, pred, what):
        def check():
            return all(pred(self.c.metadata(None, via=n)) for n in self.c.live())
        wait_until(check, WAIT_S, 0.05, what)

    def other_node(self, not_id):
        return next(n for n in self.c.nodes if n.node_id != not_id)

    # ----------------------------------------------------------- topics

    def test_topic_commands_on_every_node(self):
        c = self.start()
        topic, doomed = clients.unique("cct"), clients.unique("ccd")
        self.ok(["topic", "create", topic, "--partitions", "3", "--replication-factor", "3",
                 "--config", "retention.ms=3600000"])
        t = self.assert_describe_matches_every_node(topic, 3, 3)
        self.assertEqual(t["configs"], {"retention.ms": "3600000"})
        text = self.ok(["topic", "describe", topic])
        self.assertIn("Topic: %s\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: retention.ms=3600000" % topic,
                      text)
        self.assertIn(topic, json.loads(self.ok(["topic", "list", "--output", "json"]))["topics"])
        r = run(["topic", "create", topic, "--replication-factor", "3"], c)
        self.assert_one_line_error(r, 1, "already exists")

        # alter-config goes through the controller; every other node answers
        # DescribeConfigs with the new overrides.
        self.ok(["topic", "alter-config", topic, "--set", "segment.bytes=1048576", "--set", "retention.ms=7200000"])
        self.assertEqual(self.describe(topic)["configs"], {"retention.ms": "7200000", "segment.bytes": "1048576"})
        ctrl = c.controller_id()
        for n in c.nodes:
            def applied(n=n):
                err, cfg = raw_topic_configs(n, topic)
                return err == NONE and cfg.get("segment.bytes") == ("1048576", False) \
                    and cfg.get("retention.ms") == ("7200000", False)
            wait_until(applied, WAIT_S, 0.05, "node %d (controller %d) to serve the altered configs of %s"
                       % (n.node_id, ctrl, topic))
        self.ok(["topic", "alter-config", topic, "--delete", "retention.ms"])
        follower = self.other_node(ctrl)
        wait_until(lambda: raw_topic_configs(follower, topic)[1].get("retention.ms", (None, False))[1],
                   WAIT_S, 0.05, "retention.ms back to its default on node %d" % follower.node_id)
        self.assertEqual(raw_topic_configs(follower, topic)[1]["segment.bytes"], ("1048576", False))

        # add-partitions: the new partitions are replicated and led on every node's view.
        self.ok(["topic", "add-partitions", topic, "--partitions", "5"])
        self.assert_describe_matches_every_node(topic, 5, 3)
        r = run(["topic", "add-partitions", topic, "--partitions", "4"], c)
        self.assertEqual(r.returncode, 1, r.stderr)

        # delete: gone from every node's Metadata and from `topic list`.
        self.ok(["topic", "create", doomed, "--partitions", "2", "--replication-factor", "3"])
        self.c.wait_topic_healthy(doomed, 2, 3, timeout=WAIT_S)
        self.ok(["topic", "delete", doomed])
        self.wait_on_every_node(lambda md: doomed not in md["topics"], "%s gone from every node" % doomed)
        for n in c.nodes:
            md = c.metadata([doomed], via=n)
            self.assertNotEqual(md["topics"][doomed]["error_code"], NONE, "node %d still has %s" % (n.node_id, doomed))
        self.assertNotIn(doomed, json.loads(self.ok(["topic", "list", "--output", "json"]))["topics"])
        r = run(["topic", "describe", doomed], c)
        self.assertEqual(r.returncode, 1, r.stdout)

        self.check_describe_after_kill(topic, 5)

    def check_describe_after_kill(self, topic, partitions):
        """A SIGKILLed node: once its session expires it is an offline
        replica everywhere and has left every ISR; describe shows the same."""
        c = self.c
        victim = self.other_node(c.controller_id())
        t0 = time.monotonic()
        victim.kill()
        vid = victim.node_id

        def fenced(md):
            t = md["topics"].get(topic)
            return vid not in [b["node_id"] for b in md["brokers"]] and t is not None and all(
                p["leader"] >= 0 and p["leader"] != vid and vid not in p["isr"] and vid in p["offline"]
                for p in t["partitions"])
        self.wait_on_every_node(fenced, "node %d offline in every partition of %s on every live node" % (vid, topic))
        waited_s = time.monotonic() - t0
        views = {n.node_id: c.partitions(topic, via=n) for n in c.live()}
        t = self.describe(topic)
        for p in t["partitions"]:
            self.assertEqual(p["offline"], [vid], p)
            self.assertNotIn(vid, p["isr"], p)
            self.assertEqual(sorted(p["replicas"]), [1, 2, 3], p)
            for nid, v in views.items():
                m = v[p["partition"]]
                self.assertEqual((p["leader"], sorted(p["isr"]), p["offline"]),
                                 (m["leader"], sorted(m["isr"]), m["offline"]),
                                 "%s/%d after the kill: describe vs node %d" % (topic, p["partition"], nid))
        text = self.ok(["topic", "describe", topic])
        self.assertEqual(text.count("\tOffline: %d\n" % vid), partitions, text)
        st = json.loads(self.ok(["cluster", "status", "--output", "json"]))
        self.assertEqual(sorted(b["id"] for b in st["brokers"]), sorted(n.node_id for n in c.live()))
        self.assertGreaterEqual(st["under_replicated"], partitions)
        report(self.id(), offline_everywhere_after_kill_s="%.2f" % waited_s)

    # ------------------------------------------------ records and groups

    def leader_records(self, topic, partitions):
        """{partition: [(key, value)]} fetched from each partition's leader
        as Metadata names it."""
        out = {}
        for p, d in self.c.partitions(topic).items():
            leader = self.c.node(d["leader"])
            with kafkawire.RawClient("127.0.0.1", leader.port, timeout=10.0) as rc:
                recs, hw = kafkawire.fetch_all(rc, topic, p, deadline_s=WAIT_S)
                self.assertEqual(rc.list_offsets(topic, p, -1), (NONE, -1, hw))
            out[p] = [(r["key"].decode(), r["value"].decode()) for r in recs]
        self.assertEqual(sorted(out), list(range(partitions)))
        return out

    def test_data_group_and_bench_commands(self):
        c = self.start()
        topic, group = clients.unique("ccp"), clients.unique("ccg")
        self.ok(["topic", "create", topic, "--partitions", "3", "--replication-factor", "3"])
        c.wait_topic_healthy(topic, 3, 3, timeout=WAIT_S)
        n = 300
        lines = "".join("key-%d:value %d\n" % (i, i) for i in range(n)).encode()
        r = run(["produce", topic, "--key-separator", ":", "--acks", "all"], c, lines)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("%d records delivered" % n, r.stderr.decode())
        out = self.ok(["consume", topic, "--from-beginning", "--count", str(n), "--format", "%p|%o|%k|%v",
                       "--timeout-ms", "15000"])
        per = {}
        for line in out.splitlines():
            p, o, k, v = line.split("|")
            per.setdefault(int(p), []).append((int(o), k, v))
        # What each leader holds is exactly what the tool printed, in offset order.
        held = self.leader_records(topic, 3)
        self.assertEqual(sorted(kv_ for recs in held.values() for kv_ in recs),
                         sorted(("key-%d" % i, "value %d" % i) for i in range(n)))
        for p, recs in held.items():
            self.assertEqual(per.get(p, []), [(o, k, v) for o, (k, v) in enumerate(recs)], "partition %d" % p)
        ends = {p: len(recs) for p, recs in held.items()}

        self.check_group_commands(topic, group, n, ends)
        self.check_bench_commands()

    def check_group_commands(self, topic, group, n, ends):
        """A group consumes part of the topic and commits; describe's lag is
        produced minus committed, per partition and in total."""
        c = self.c
        consumed = 120
        self.ok(["consume", topic, "--group", group, "--from-beginning", "--count", str(consumed),
                 "--timeout-ms", "20000"])
        groups = {g["group"]: g for g in json.loads(self.ok(["group", "list", "--output", "json"]))}
        self.assertIn(group, groups)
        # The group's state travels in ListGroups v4+ only; before that
        # librdkafka reports it as Unknown.
        with kafkawire.RawClient("127.0.0.1", c.node(1).port, timeout=10.0) as rc:
            list_groups_max = rc.api_versions()["apis"][LIST_GROUPS][1]
        self.assertEqual(groups[group]["state"], "Empty" if list_groups_max >= 4 else "Unknown")
        self.assertIn(group, self.ok(["group", "list"]))
        d = json.loads(self.ok(["group", "describe", group, "--output", "json"]))
        offs = {o["partition"]: o for o in d["offsets"] if o["topic"] == topic}
        self.assertEqual(sorted(offs), [0, 1, 2])
        committed = sum(o["committed"] or 0 for o in offs.values())
        self.assertEqual(committed, consumed)
        for p, o in offs.items():
            self.assertEqual(o["log_end"], ends[p], o)
            self.assertEqual(o["lag"], ends[p] - (o["committed"] or 0), o)
        self.assertEqual(sum(o["lag"] for o in offs.values()), n - committed)
        text = self.ok(["group", "describe", group])
        self.assertIn("Topic %s\tPartition 0\t" % topic, text)
        self.ok(["group", "reset-offsets", group, "--topic", topic, "--to-earliest"])
        d = json.loads(self.ok(["group", "describe", group, "--output", "json"]))
        offs = [o for o in d["offsets"] if o["topic"] == topic]
        self.assertEqual(sorted((o["partition"], o["committed"]) for o in offs), [(0, 0), (1, 0), (2, 0)])
        self.assertEqual(sum(o["lag"] for o in offs), n)

    def check_bench_commands(self):
        """A small bench run's counts are what the cluster holds."""
        c = self.c
        bt, records, size = clients.unique("ccb"), 2000, 100
        out = self.ok(["bench", "produce", "--topic", bt, "--num-records", str(records), "--record-size", str(size),
                       "--partitions", "3", "--replication-factor", "3", "--kv"], timeout=90)
        s = kv(out.strip())
        self.assertEqual((int(s["records"]), int(s["errors"]), int(s["bytes"])), (records, 0, records * size), out)
        self.assertGreater(float(s["records_per_s"]), 0)
        c.wait_topic_healthy(bt, 3, 3, timeout=WAIT_S)
        total = 0
        for p, d in c.partitions(bt).items():
            with kafkawire.RawClient("127.0.0.1", c.node(d["leader"]).port, timeout=10.0) as rc:
                err, _, end = rc.list_offsets(bt, p, -1)
            self.assertEqual(err, NONE)
            total += end
        self.assertEqual(total, records)
        out = self.ok(["bench", "consume", "--topic", bt, "--num-records", str(records), "--kv"], timeout=90)
        s = kv(out.strip())
        self.assertEqual((int(s["records"]), int(s["bytes"])), (records, records * size), out)


if __name__ == "__main__":
    import unittest
    unittest.main()
