"""Operator views of a three-node cluster: /metrics on every node passes
`promtool check metrics`; partition health, broker fencing and the metadata
quorum in /metrics, /v1/status and `skiff cluster status` agree with
Metadata while a node is down and after it rejoins; a group's lag metric on
its coordinator equals produced minus committed."""

import json
import os
import shutil
import subprocess
import unittest

import harness
import kafkawire
from cluster_harness import ClusterTestCase, raw_produce
from harness import wait_until
from test_groups_wire import commit, find_coordinator
from test_metrics import parse, value

# Short timeouts so a killed node is fenced and leaves every ISR quickly.
OVERRIDES = {
    "broker.session.timeout.ms": 1000,
    "replica.lag.time.max.ms": 1500,
    "offsets.topic.num.partitions": 3,
    "offsets.topic.replication.factor": 3,
    "group.initial.rebalance.delay.ms": 100,
}

def skiff_bin():
    return os.path.abspath(os.path.join(harness.BUILD_DIR, "skiff"))


def scrape(node):
    status, body = node.http_get("/metrics", timeout=5.0)
    if status != 200:
        raise AssertionError("GET /metrics on node %d: HTTP %r" % (node.node_id, status))
    return body.decode()


def status_doc(node):
    status, body = node.http_get("/v1/status", timeout=5.0)
    if status != 200:
        raise AssertionError("GET /v1/status on node %d: HTTP %r" % (node.node_id, status))
    return json.loads(body)


def samples(node):
    return parse(scrape(node))


def partition_counts(md):
    """(partitions, under-replicated, offline) as Metadata shows them,
    counted the way `skiff cluster status` counts them."""
    total = under = offline = 0
    for t in md["topics"].values():
        for p in t["partitions"]:
            total += 1
            if p["leader"] < 0:
                offline += 1
            elif len(p["isr"]) < len(p["replicas"]):
                under += 1
    return total, under, offline


class ClusterOpsTest(ClusterTestCase):

    def promtool(self, node):
        text = scrape(node)
        r = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, "node %d: promtool: %s%s" % (node.node_id, r.stdout.decode(),
                                                                      r.stderr.decode()))
        return text

    def cli_status(self, cluster, via):
        r = subprocess.run([skiff_bin(), "cluster", "status", "--output", "json", "-b", cluster.bootstrap,
                            "--http", "127.0.0.1:%d" % via.http_port, "--timeout-ms", "10000"],
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return json.loads(r.stdout)

    def wait_raft_agrees(self, cluster):
        """Every live node reports the same term and active controller, and
        exactly one of them holds the leader role; returns the leader id."""
        live = cluster.live()
        seen = {}

        def agree():
            seen.clear()
            for n in live:
                s = samples(n)
                seen[n.node_id] = (value(s, "skiff_raft_term"), value(s, "skiff_raft_role", role="leader"),
                                   value(s, "skiff_controller_active_id"))
            terms = {v[0] for v in seen.values()}
            leaders = [nid for nid, v in seen.items() if v[1] == 1]
            ctrls = {v[2] for v in seen.values()}
            if len(terms) == 1 and len(leaders) == 1 and ctrls == {leaders[0]}:
                return leaders[0]
            return None
        try:
            leader = wait_until(agree, 15.0, 0.1, "one Raft leader and one term on every live node")
        except harness.WaitTimeout as e:
            raise AssertionError("%s; last {node: (term, leader role, active controller)}: %r" % (e, seen))
        s = samples(cluster.node(leader))
        self.assertEqual(value(s, "skiff_controller_active"), 1)
        self.assertEqual(value(s, "skiff_raft_voters"), len(cluster.nodes))
        for n in cluster.nodes:
            self.assertIsNotNone(value(s, "skiff_raft_voter_lag_entries", voter=n.node_id),
                                 "the leader reports no lag for voter %d" % n.node_id)
        for n in live:
            if n.node_id != leader:
                self.assertNotIn("skiff_raft_voter_lag_entries{", scrape(n))
        return leader

    def wait_health(self, cluster, under_pred, offline_pred, fenced, what):
        """Waits until every live node's image-wide counts satisfy the
        predicates and `fenced` brokers are fenced; returns the counts."""
        last = {}

        def ok():
            last.clear()
            for n in cluster.live():
                s = samples(n)
                last[n.node_id] = (value(s, "skiff_cluster_partitions_under_replicated"),
                                   value(s, "skiff_cluster_partitions_offline"),
                                   value(s, "skiff_cluster_brokers_fenced"))
            return all(under_pred(u) and offline_pred(o) and f == fenced for u, o, f in last.values())
        try:
            wait_until(ok, 20.0, 0.1, what)
        except harness.WaitTimeout as e:
            raise AssertionError("%s; last {node: (under-replicated, offline, fenced)}: %r" % (e, last))
        return last

    def check_cli_matches(self, cluster, ctrl, down=()):
        """`skiff cluster status --output json` against Metadata and the
        controller's /v1/status."""
        via = cluster.node(ctrl)
        st = self.cli_status(cluster, via)
        md = cluster.metadata(None, via=via)
        doc = status_doc(via)
        self.assertEqual(st["controller"], md["controller_id"])
        self.assertEqual(st["controller"], doc["cluster"]["active_controller"])
        self.assertEqual((st["quorum"]["leader"], st["quorum"]["epoch"]),
                         (doc["quorum"]["leader"], doc["quorum"]["epoch"]))
        self.assertEqual(st["quorum"]["leader"], ctrl)
        self.assertEqual(sorted(v["node_id"] for v in st["quorum"]["voters"]),
                         [n.node_id for n in cluster.nodes])
        for v in st["quorum"]["voters"]:
            self.assertIsInstance(v["lag"], (int, float), "the quorum leader knows every voter's lag: %r" % v)
        unfenced = sorted(b["id"] for b in st["brokers"] if not b["fenced"])
        fenced = sorted(b["id"] for b in st["brokers"] if b["fenced"])
        self.assertEqual(unfenced, sorted(b["node_id"] for b in md["brokers"]))
        self.assertEqual(fenced, sorted(down))
        self.assertEqual(fenced, sorted(b["node_id"] for b in doc["cluster"]["brokers"] if b["fenced"]))
        for b in st["brokers"]:
            self.assertGreater(b["epoch"], 0)
        total, under, offline = partition_counts(md)
        self.assertEqual((st["partitions"], st["under_replicated"], st["offline"]), (total, under, offline))
        s = samples(via)
        self.assertEqual((value(s, "skiff_cluster_partitions"), value(s, "skiff_cluster_partitions_under_replicated"),
                          value(s, "skiff_cluster_partitions_offline")), (total, under, offline))
        return st

    @unittest.skipIf(shutil.which("promtool") is None, "promtool not installed (scripts/install-deps.sh)")
    def test_health_through_a_node_failure(self):
        c = self.start_cluster(overrides=OVERRIDES)
        c.create_topic("rep", 3, 3)
        c.create_topic("solo", 3, 1)
        for n in c.nodes:
            text = self.promtool(n)
            for fam in ("skiff_cluster_partitions_under_replicated", "skiff_raft_term", "skiff_isr_shrinks_total",
                        "skiff_cluster_brokers_fenced", "skiff_groups"):
                self.assertIn("# TYPE %s " % fam, text)
        self.wait_health(c, lambda u: u == 0, lambda o: o == 0, 0, "a healthy cluster everywhere")
        ctrl = self.wait_raft_agrees(c)
        led = sum(value(samples(n), "skiff_partitions_led") for n in c.nodes)
        self.assertEqual(led, 6, "every partition is led by exactly one node")
        self.check_cli_matches(c, ctrl)

        # A node other than the controller that alone holds a partition.
        solo = c.partitions("solo")
        victim = next(c.node(p["leader"]) for p in solo.values() if p["leader"] != ctrl)
        victim.kill()
        self.wait_health(c, lambda u: u > 0, lambda o: o >= 1, 1,
                         "under-replicated and offline partitions and node %d fenced on the others" % victim.node_id)
        for n in c.live():
            self.promtool(n)
        ctrl = self.wait_raft_agrees(c)
        st = self.check_cli_matches(c, ctrl, down=[victim.node_id])
        self.assertEqual(st["under_replicated"], 3)
        self.assertGreaterEqual(st["offline"], 1)
        doc = status_doc(c.node(ctrl))
        gone = [b for b in doc["cluster"]["brokers"] if b["node_id"] == victim.node_id]
        self.assertEqual(len(gone), 1)
        self.assertTrue(gone[0]["fenced"])

        victim.start()
        c.wait_rejoined(victim, ["rep"])
        self.wait_health(c, lambda u: u == 0, lambda o: o == 0, 0, "no under-replicated or offline partition after the rejoin")
        expands = sum(value(samples(n), "skiff_isr_expands_total") for n in c.nodes)
        self.assertGreaterEqual(expands, 3, "leaders asked to take node %d back into 3 ISRs" % victim.node_id)
        ctrl = self.wait_raft_agrees(c)
        self.check_cli_matches(c, ctrl)
        for n in c.nodes:
            self.promtool(n)

    def test_group_lag_metric(self):
        c = self.start_cluster(overrides=OVERRIDES)
        topic = "lagged"
        c.create_topic(topic, 2, 3)
        produced = {0: 10, 1: 7}
        for p, n in produced.items():
            leader = c.node(c.leader(topic, p))
            r = raw_produce(leader, topic, p, [(b"k", b"v%d" % i) for i in range(n)])
            self.assertEqual(r and r["error_code"], 0, "produce to %s/%d: %r" % (topic, p, r))
        group = "lag-group"

        def coordinator():
            with kafkawire.RawClient("127.0.0.1", c.nodes[0].port) as conn:
                fc = find_coordinator(conn, group)
            return fc["node"] if fc["error"] == 0 else None
        coord = c.node(wait_until(coordinator, 20.0, 0.1, "a coordinator for %s" % group))
        committed = {0: 4, 1: 7}

        def commit_ok():
            with kafkawire.RawClient("127.0.0.1", coord.port) as conn:
                return commit(conn, group, -1, "", topic, committed) == {0: 0, 1: 0}
        wait_until(commit_ok, 20.0, 0.2, "OffsetCommit of %s to node %d" % (group, coord.node_id))
        want = {p: produced[p] - committed[p] for p in produced}
        last = {}

        def lag_matches():
            s = samples(coord)
            for p in produced:
                last[p] = value(s, "skiff_group_lag", group=group, topic=topic, partition=p)
            return last == want
        try:
            wait_until(lag_matches, 15.0, 0.1, "skiff_group_lag on node %d" % coord.node_id)
        except harness.WaitTimeout as e:
            raise AssertionError("%s: got %r, want %r" % (e, last, want))
        s = samples(coord)
        for p in produced:
            self.assertEqual(value(s, "skiff_group_committed_offset", group=group, topic=topic, partition=p),
                             committed[p])
        self.assertEqual(value(s, "skiff_groups", state="Empty"), 1)
        self.assertEqual(value(s, "skiff_group_members", group=group), 0)
        if shutil.which("promtool"):
            self.promtool(coord)
        for n in c.nodes:
            if n is not coord:
                self.assertNotIn('group="%s"' % group, scrape(n), "node %d is not the coordinator" % n.node_id)


if __name__ == "__main__":
    unittest.main()
