"""Broker-only nodes (process.roles=broker): three voters and one broker
that is a Raft observer of the metadata log.  It registers, is unfenced,
hosts and leads replicas and serves acks=all traffic like any broker, is
never the controller, survives a SIGKILL and a restart (catching up from a
snapshot), and keeps receiving the metadata log from a new controller."""

import subprocess
import time

import clients
import cluster_harness as ch
import cluster_load
import kafkawire
from harness import Broker, SkiffTestCase, wait_until

OBSERVER = 4
# Small snapshots so a restarted observer that missed a few decisions is
# sent a snapshot rather than the log.
OVERRIDES = {"metadata.snapshot.interval.entries": "10"}
PARTITIONS = 4
RF = 4
TOPIC_CONFIG = {"min.insync.replicas": "2"}


class ObserverTest(ch.ClusterTestCase):

    def start_with_observer(self):
        c = self.start_cluster(3, overrides=OVERRIDES, brokers=1)
        obs = c.node(OBSERVER)
        self.assertFalse(obs.voter)
        self.assertNotIn("%d@" % OBSERVER, c.voters())
        self.assert_not_controller(c)
        return c, obs

    def assert_not_controller(self, c):
        """Every live node names a controller, and it is a voter."""
        for n in c.live():
            ctrl = c.controller_id(via=n)
            self.assertIn(ctrl, (1, 2, 3), "node %d names controller %d" % (n.node_id, ctrl))
        log = c.node(OBSERVER).stderr_text()
        for role in ("leader", "candidate", "precandidate"):
            self.assertNotIn("event=raft_role role=%s " % role, log)

    def produce_fetch_via_observer(self, c, topic, partition):
        """acks=all produce to the observer (it leads `partition`), then a
        fetch of that record back from it."""
        obs = c.node(OBSERVER)
        value = b"via-observer-%d" % time.monotonic_ns()
        r = ch.raw_produce(obs, topic, partition, [(b"k", value)], acks=-1)
        self.assertIsNotNone(r, "no answer to an acks=all produce on the observer")
        self.assertEqual(r["error_code"], ch.NONE, "produce via observer: %r" % r)
        with kafkawire.RawClient("127.0.0.1", obs.port, timeout=5.0) as k:
            recs, hw = kafkawire.fetch_all(k, topic, partition)
        self.assertIn(value, [rec["value"] for rec in recs], "produced record not fetched back from the observer")
        self.assertGreaterEqual(hw, r["base_offset"] + 1)

    def test_observer_serves_survives_sigkill_and_catches_up(self):
        c, obs = self.start_with_observer()
        md = c.metadata([], via=obs)
        self.assertIn(OBSERVER, [b["node_id"] for b in md["brokers"]])
        topic = clients.unique("observer")
        before = c.create_topic(topic, PARTITIONS, RF, TOPIC_CONFIG)
        led = ch.led_by(before, OBSERVER)
        self.assertTrue(led, "the observer leads none of %r" % before)
        for p in before.values():
            self.assertIn(OBSERVER, p["replicas"])
        # Direct traffic goes to a topic of its own: the load's log check
        # wants only the load's records in `topic`.
        direct = clients.unique("direct")
        dparts = c.create_topic(direct, PARTITIONS, RF)
        self.assertTrue(ch.led_by(dparts, OBSERVER), "the observer leads none of %r" % dparts)
        self.produce_fetch_via_observer(c, direct, ch.led_by(dparts, OBSERVER)[0])

        loads = cluster_load.Loads(cluster_load.ClientLoad(c, topic, PARTITIONS, rate=200),
                                   cluster_load.RawLoad(c, topic, PARTITIONS, rate=40))
        for load in loads.all:
            self.addCleanup(load.close)
            load.start()
        loads.wait_acks(range(PARTITIONS), 0, 5, 20.0, "5 acknowledgements on every partition")

        t_kill = time.monotonic()
        obs.kill()
        after = c.wait_partitions(topic, ch.no_leader_on(OBSERVER), 15.0,
                                  "the observer's leaderships to move", via_all=True)
        t_moved = time.monotonic() - t_kill
        wait_until(lambda: OBSERVER not in [b["node_id"] for b in c.metadata([])["brokers"]], 10.0, 0.05,
                   "the killed observer to be fenced")
        for p in led:
            self.assertIn(after[p]["leader"], before[p]["isr"])
        loads.wait_acks(led, time.monotonic(), 3, 15.0, "acknowledgements on the moved partitions")

        # Metadata decisions while the observer is down, until the voters
        # have taken two snapshots since the kill: the second one covers
        # more than the observer ever had, so its log is compacted away.
        voters = [c.node(i) for i in (1, 2, 3)]
        snaps0 = [n.stderr_text().count("event=raft_snapshot_taken") for n in voters]
        missed = []
        while len(missed) < 40 and not all(
                n.stderr_text().count("event=raft_snapshot_taken") >= s0 + 2 for n, s0 in zip(voters, snaps0)):
            missed.append(clients.unique("missed"))
            c.create_topic(missed[-1], 2, 3)

        t_restart = time.monotonic()
        obs.start(wait=True, timeout=20.0)
        t_ready = time.monotonic() - t_restart
        c.wait_rejoined(obs, [topic], timeout=20.0)
        for t in missed:
            parts = c.partitions(t, via=obs)
            self.assertEqual(len(parts), 2, "topic %s on the restarted observer: %r" % (t, parts))
        self.assertIn("event=raft_snapshot_installed", obs.stderr_text().split("==== start")[-1],
                      "the restarted observer did not catch up from a snapshot")

        loads.wait_acks(range(PARTITIONS), time.monotonic(), 5, 20.0, "acknowledgements after the restart")
        loads.stop()
        figures = cluster_load.verify_log(self, c, loads.all)
        bad = loads.non_retriable_errors()
        self.assertEqual(bad, {}, "non-retriable produce errors: %r" % dict(list(bad.items())[:10]))
        self.assert_not_controller(c)
        ch.report(self.id(), led=led, leaders_moved_s="%.2f" % t_moved, restart_ready_s="%.2f" % t_ready,
                  topics_missed=len(missed),
                  **cluster_load.flat(figures))

    def test_new_controller_keeps_observer_updated(self):
        c, obs = self.start_with_observer()
        old = c.controller_id()
        t_kill = time.monotonic()
        c.node(old).kill()

        out = {}

        def new_controller():
            ids = {c.controller_id(via=n) for n in c.live()}
            out["id"] = ids.pop() if len(ids) == 1 else -1
            return out["id"] not in (old, -1, OBSERVER)
        wait_until(new_controller, 10.0, 0.05, "a new controller named by every live node")
        t_elected = time.monotonic() - t_kill
        # The new controller gives every broker a fresh session; once the
        # dead one is fenced (its log says so: Metadata alone cannot tell a
        # fenced broker from one whose unfencing is not applied yet),
        # placement uses the live brokers only.
        wait_until(lambda: "event=broker_fenced broker=%d " % old in c.node(out["id"]).stderr_text(), 10.0,
                   0.05, "the old controller to be fenced by the new one")
        wait_until(lambda: old not in [b["node_id"] for b in c.metadata([], via=obs)["brokers"]], 10.0, 0.05,
                   "the old controller out of the observer's Metadata")
        topic = clients.unique("after-failover")
        c.create_topic(topic, 3, 3)
        parts = c.partitions(topic, via=obs)
        self.assertEqual(sorted(parts), [0, 1, 2])
        self.assertTrue(obs.ready and obs.http_get("/readyz")[0] == 200)
        self.assert_not_controller(c)
        c.node(old).start(wait=True, timeout=20.0)
        ch.report(self.id(), old_controller=old, new_controller=c.controller_id(),
                  election_s="%.2f" % t_elected)


class RolesConfigTest(SkiffTestCase):
    """process.roles against controller.quorum.voters: refused at startup
    with exit code 2 and a one-line error naming the key."""

    def run_to_exit(self, overrides):
        b = Broker(name=self._testMethodName, overrides=overrides)
        self.brokers.append(b)
        try:
            cp = subprocess.run(b.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=10, cwd=b.dir)
        except subprocess.TimeoutExpired:
            self.fail("skiffd with a bad role configuration kept running")
        err = cp.stderr.decode(errors="replace")
        self.assertEqual(cp.returncode, 2, err)
        self.assertIn("controller.quorum.voters", err)
        self.assertEqual(len(err.strip().splitlines()), 1, "expected a one-line error, got:\n" + err)
        return err

    def test_broker_only_node_listed_as_voter(self):
        # The harness lists the node itself as the only voter.
        self.assertIn("must not list", self.run_to_exit({"process.roles": "broker"}))

    def test_broker_only_node_without_voters(self):
        err = self.run_to_exit({"process.roles": "broker", "controller.quorum.voters": ""})
        self.assertIn("must not be empty", err)

    def test_voter_not_listed(self):
        self.assertIn("must list", self.run_to_exit({"controller.quorum.voters": "9@127.0.0.1:1"}))
