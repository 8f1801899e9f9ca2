#!/usr/bin/python3
"""Failover and replication figures of a local three-node cluster.

Run through scripts/bench-cluster.sh (`make bench-cluster`).  Starts its own
cluster on free loopback ports in a temporary directory and measures, each as
the median of --trials trials:

  leader failover     SIGKILL of a partition leader (not the controller)
                      until an acks=all produce to every partition it led
                      succeeds again
  controller failover SIGKILL of the active controller until every live node
                      names a new controller, and until a CreateTopics sent
                      to a node that is not the controller succeeds
  rejoin              start of a killed node (after --rejoin-records 1 KiB
                      records were written without it) until it is back in
                      the ISR of every partition it replicates
  acks=all produce    `skiff bench produce`, 1 KiB records, RF 3,
                      min.insync.replicas=2: throughput and p50/p99 latency
                      unthrottled (latency then is mostly client queueing),
                      and p50/p99 latency at --latency-rate records/s

Every process is started and killed by PID; every wait has a deadline.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "system"))

import cluster_harness as ch  # noqa: E402
import harness  # noqa: E402
import kafkawire  # noqa: E402
from harness import wait_until  # noqa: E402

PROBE_TIMEOUT_MS = 1000


class Prober:
    """acks=all produce probes over raw connections, one per node, to the
    leader Metadata names; a failed connection is dropped and reopened."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.conns = {}

    def close(self):
        for c in self.conns.values():
            c.close()
        self.conns.clear()

    def produce(self, topic, partition, leader_id):
        node = self.cluster.node(leader_id)
        if not node.alive():
            return None
        try:
            conn = self.conns.get(leader_id)
            if conn is None:
                conn = kafkawire.RawClient("127.0.0.1", node.port, timeout=2.0)
                self.conns[leader_id] = conn
            batch = kafkawire.build_batch([(b"probe", b"probe-%d" % time.monotonic_ns())])
            return conn.produce(topic, partition, batch, acks=-1, timeout_ms=PROBE_TIMEOUT_MS,
                                timeout=PROBE_TIMEOUT_MS / 1000.0 + 1.0)["error_code"]
        except (OSError, kafkawire.ConnectionClosed, kafkawire.ShortRead, AssertionError):
            c = self.conns.pop(leader_id, None)
            if c:
                c.close()
            return None

    def until_writable(self, topic, partitions, timeout):
        """Probes every partition until each has taken one acks=all write;
        returns the time of the last partition's first success."""
        pending = set(partitions)
        last = None
        deadline = time.monotonic() + timeout
        while pending:
            if time.monotonic() > deadline:
                raise AssertionError("partitions %r of %s not writable after %.0fs" % (sorted(pending), topic, timeout))
            try:
                ps = self.cluster.partitions(topic)
            except AssertionError:
                time.sleep(0.01)
                continue
            for p in sorted(pending):
                leader = ps[p]["leader"]
                if leader >= 0 and self.produce(topic, p, leader) == ch.NONE:
                    pending.discard(p)
                    last = time.monotonic()
            if pending:
                time.sleep(0.005)
        return last


def skiff(build, args, timeout):
    cp = subprocess.run([os.path.join(build, "skiff")] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        timeout=timeout)
    if cp.returncode != 0:
        raise AssertionError("skiff %s exited %d: %s" % (" ".join(args), cp.returncode,
                                                        cp.stderr.decode(errors="replace")[-1500:]))
    return cp.stdout.decode()


def kv_line(text):
    out = {}
    for word in text.split():
        if "=" in word:
            k, v = word.split("=", 1)
            out[k] = v
    return out


def create_topic(build, cluster, name, partitions, rf=3, min_isr=2):
    skiff(build, ["topic", "create", name, "-b", cluster.bootstrap, "--partitions", str(partitions),
                  "--replication-factor", str(rf), "--config", "min.insync.replicas=%d" % min_isr], 60)
    cluster.wait_topic_healthy(name, partitions, rf, timeout=30.0)


def healthy(cluster, topics):
    """Every node ready and in every ISR; one controller."""
    for n in cluster.nodes:
        if not n.ready:
            n.wait_ready(60.0)
    cluster.wait_formed(30.0)
    for n in cluster.nodes:
        cluster.wait_rejoined(n, topics, 60.0)


REJOIN_TOPIC = "rejoin-data"


def write_while_down(build, cluster, records):
    """1 KiB acks=all records into the RF 3 topic a downed node misses."""
    skiff(build, ["bench", "produce", "-b", cluster.bootstrap, "--topic", REJOIN_TOPIC, "--num-records",
                  str(records), "--record-size", "1024", "--acks", "all", "--kv"], 300)


def trial_leader(build, cluster, topic, prober, rejoin_records, topics):
    md = cluster.metadata([topic])
    ctrl = md["controller_id"]
    parts = {p["partition"]: p["leader"] for p in md["topics"][topic]["partitions"]}
    victim_id = next((l for l in sorted(set(parts.values())) if l != ctrl and l >= 0), None)
    if victim_id is None:
        raise AssertionError("every partition of %s is led by the controller %d" % (topic, ctrl))
    moved = [p for p, l in parts.items() if l == victim_id]
    victim = cluster.node(victim_id)
    t_kill = time.monotonic()
    victim.kill()
    t_ok = prober.until_writable(topic, moved, 30.0)
    failover = t_ok - t_kill
    rejoin = restart_and_rejoin(build, cluster, victim, rejoin_records, topics)
    return failover, rejoin


def trial_controller(build, cluster, rejoin_records, topics):
    old = cluster.controller_id()
    victim = cluster.node(old)
    t_kill = time.monotonic()
    victim.kill()

    def new_controller():
        ids = {cluster.controller_id(via=n) for n in cluster.live()}
        return len(ids) == 1 and ids.pop() not in (-1, old)
    wait_until(new_controller, 30.0, 0.005, "a new controller after killing node %d" % old)
    t_ctrl = time.monotonic()
    new = cluster.controller_id()
    via = next(n for n in cluster.live() if n.node_id != new)
    name = "ctrl-failover-%d" % time.monotonic_ns()

    def created():
        code, _ = ch.raw_create_topics(via, name, 1, 2, timeout_ms=2000, timeout=5.0)
        return code in (ch.NONE, ch.TOPIC_ALREADY_EXISTS)
    wait_until(created, 30.0, 0.005, "CreateTopics after the controller failover")
    t_create = time.monotonic()
    topics.append(name)
    rejoin = restart_and_rejoin(build, cluster, victim, rejoin_records, topics)
    return t_ctrl - t_kill, t_create - t_kill, rejoin


def out_of_every_isr(cluster, victim, topics):
    def out():
        md = cluster.metadata(topics)
        return all(victim.node_id not in p["isr"] for t in topics for p in md["topics"][t]["partitions"])
    wait_until(out, 30.0, 0.02, "killed node %d to leave every ISR of %s" % (victim.node_id, topics))


def restart_and_rejoin(build, cluster, victim, rejoin_records, topics):
    out_of_every_isr(cluster, victim, topics)
    if rejoin_records > 0:
        write_while_down(build, cluster, rejoin_records)
    t_start = time.monotonic()
    victim.start(wait=False)
    cluster.wait_rejoined(victim, topics, 120.0)
    return time.monotonic() - t_start


def trial_produce(build, cluster, records, i, throughput=-1):
    name = "bench-all-%d-%d" % (i, time.monotonic_ns())
    create_topic(build, cluster, name, 3)
    out = skiff(build, ["bench", "produce", "-b", cluster.bootstrap, "--topic", name, "--num-records",
                        str(records), "--record-size", "1024", "--throughput", str(throughput), "--acks", "all",
                        "--kv"], 600)
    kv = kv_line(out)
    if kv.get("errors", "0") != "0":
        raise AssertionError("bench produce reported errors: %s" % out.strip())
    return name, float(kv["mb_per_s"]), float(kv["records_per_s"]), float(kv["lat_p50_ms"]), float(kv["lat_p99_ms"])


def summary(name, unit, values):
    med = statistics.median(values)
    return "%-34s %10.3f %10.3f %10.3f   %s (%s, n=%d)" % (
        name, med, min(values), max(values), " ".join("%.3f" % v for v in values), unit, len(values))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--records", type=int, default=100000, help="records per produce trial")
    ap.add_argument("--latency-rate", type=int, default=2000,
                    help="records/s of the rate-capped latency trials (5 s each)")
    ap.add_argument("--rejoin-records", type=int, default=5000,
                    help="1 KiB records written while a node is down, before it restarts")
    ap.add_argument("--skip", action="append", default=[], choices=["produce", "leader", "controller"])
    args = ap.parse_args()
    if args.trials < 1:
        ap.error("--trials must be at least 1")
    build = os.path.abspath(args.build)
    harness.BUILD_DIR = build
    for exe in ("skiffd", "skiff"):
        if not os.access(os.path.join(build, exe), os.X_OK):
            sys.exit("bench_cluster: %s/%s not built (run make)" % (build, exe))

    cluster = ch.Cluster(name="bench-cluster", n=3)
    prober = Prober(cluster)
    ok = False
    rows = []
    try:
        cluster.start(60.0)
        topics = []
        if "produce" not in args.skip:
            res = []
            for i in range(args.trials):
                name, mbs, rps, p50, p99 = trial_produce(build, cluster, args.records, i)
                topics.append(name)
                res.append((mbs, rps, p50, p99))
                print("produce trial %d: %.2f MB/s %.0f records/s p50 %.2f ms p99 %.2f ms"
                      % (i + 1, mbs, rps, p50, p99), file=sys.stderr, flush=True)
            rows += [summary("acks=all produce MB/s", "MB/s", [r[0] for r in res]),
                     summary("acks=all produce records/s", "records/s", [r[1] for r in res]),
                     summary("acks=all latency p50 (saturated)", "ms", [r[2] for r in res]),
                     summary("acks=all latency p99 (saturated)", "ms", [r[3] for r in res])]
            # Unthrottled, latency is mostly time queued in the client; at a
            # fixed rate well below capacity it is the broker's own.
            res = []
            for i in range(args.trials):
                name, mbs, rps, p50, p99 = trial_produce(build, cluster, 5 * args.latency_rate, i,
                                                         throughput=args.latency_rate)
                topics.append(name)
                res.append((p50, p99))
                print("latency trial %d at %d records/s: p50 %.2f ms p99 %.2f ms"
                      % (i + 1, args.latency_rate, p50, p99), file=sys.stderr, flush=True)
            rows += [summary("acks=all p50 at %d rec/s" % args.latency_rate, "ms", [r[0] for r in res]),
                     summary("acks=all p99 at %d rec/s" % args.latency_rate, "ms", [r[1] for r in res])]
        create_topic(build, cluster, REJOIN_TOPIC, 3)
        topics.append(REJOIN_TOPIC)
        rejoins = []
        if "leader" not in args.skip:
            probe_topic = "failover-probe"
            create_topic(build, cluster, probe_topic, 6)
            topics.append(probe_topic)
            fo = []
            for i in range(args.trials):
                healthy(cluster, topics)
                f, r = trial_leader(build, cluster, probe_topic, prober, args.rejoin_records, topics)
                fo.append(f)
                rejoins.append(r)
                print("leader trial %d: writable again after %.3f s, rejoin %.3f s" % (i + 1, f, r),
                      file=sys.stderr, flush=True)
            rows.append(summary("leader failover (kill->acks=all ok)", "s", fo))
        if "controller" not in args.skip:
            ctl, cre = [], []
            for i in range(args.trials):
                healthy(cluster, topics)
                a, b, r = trial_controller(build, cluster, args.rejoin_records, topics)
                ctl.append(a)
                cre.append(b)
                rejoins.append(r)
                print("controller trial %d: new controller after %.3f s, CreateTopics ok after %.3f s, "
                      "rejoin %.3f s" % (i + 1, a, b, r), file=sys.stderr, flush=True)
            rows.append(summary("controller failover (new id)", "s", ctl))
            rows.append(summary("controller failover (CreateTopics)", "s", cre))
        if rejoins:
            rows.append(summary("rejoin (start->in every ISR)", "s", rejoins))
        ok = True
    finally:
        prober.close()
        rcs = cluster.stop_all(30.0)
        if not ok or any(rc != 0 for rc in rcs.values()):
            harness._failed_dirs.append(cluster.dir)
            print("bench_cluster: node exit codes %r; files kept in %s" % (rcs, cluster.dir), file=sys.stderr)

    print()
    print("Skiff cluster bench: 3 nodes, RF 3, min.insync.replicas=2, %d trials, 1 KiB records "
          "(%d per produce trial, %d written while a node is down)" % (args.trials, args.records, args.rejoin_records))
    print("%-34s %10s %10s %10s   %s" % ("", "median", "min", "max", "trials"))
    for r in rows:
        print(r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
