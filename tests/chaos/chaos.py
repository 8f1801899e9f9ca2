#!/usr/bin/python3
"""Skiff's fault-injection harness: runs seeded fault schedules against a
real cluster while clients write and read, then checks the whole history.

    /usr/bin/python3 tests/chaos/chaos.py --build build --schedules 5 --seed 42

Each schedule starts a fresh cluster (3 or 5 nodes, one network namespace
each, or per-link TCP proxies where namespaces cannot be made), runs the
workload while the nemesis injects its seeded faults, heals everything,
checks liveness, reads every partition in full and hands the history to
checker.py.  The last line is `N passed, M failed`.  A failing schedule
prints its seed and a replay command, the fault timeline and the history
excerpt that breaks the property; its directory (configs, logs, history)
is kept.

With --expect-violation the roles flip: the harness is pointed at a broker
built with a known bug, and a schedule passes only if the checker catches it.
"""

import argparse
import os
import random
import shutil
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.join(HERE, "..", "system"))

import checker  # noqa: E402
import nemesis  # noqa: E402
import net as netmod  # noqa: E402
import nodes  # noqa: E402
import workload  # noqa: E402

TOPIC = "chaos"


def cluster_overrides(args):
    return {
        "default.replication.factor": 3,
        "min.insync.replicas": 2,
        "offsets.topic.replication.factor": 3,
        "offsets.topic.num.partitions": 4,
        "group.initial.rebalance.delay.ms": 0,
        "auto.create.topics.enable": "false",
        # Small segments, so a damaged follower has closed segments too.
        "log.segment.bytes": 65536,
        "log.retention.ms": -1,
        "replica.lag.time.max.ms": 3000,
        "log.flush.interval.messages": args.flush_messages,
        "log.level": "info",
    }


class Schedule:
    def __init__(self, args, index, seed, nodes_n, root):
        self.args = args
        self.index = index
        self.seed = seed
        self.n = nodes_n
        self.root = root
        self.timeline = []
        self.t0 = time.monotonic()
        self.summary = {}
        self.problems = []
        self.result = None
        self.history = None

    def now(self):
        return round(time.monotonic() - self.t0, 2)

    def log(self, what):
        self.timeline.append((self.now(), what))

    def replay(self):
        a = self.args
        cmd = ["/usr/bin/python3", "tests/chaos/chaos.py", "--build", a.build, "--schedules", "1",
               "--seed", str(self.seed), "--nodes", str(self.n), "--duration", str(a.duration),
               "--net", a.net, "--acks", str(a.acks), "--flush-messages", str(a.flush_messages)]
        if a.skiffd:
            cmd += ["--skiffd", a.skiffd]
        if a.faults:
            cmd += ["--faults", a.faults]
        return " ".join(cmd)

    def run(self):
        a = self.args
        rng = random.Random(self.seed)
        net = netmod.make_net(self.n, prefer="proxy" if a.net == "proxy" else "netns", tag="s%d" % self.index)
        self.summary["net"] = net.mode
        if net.mode != a.net:
            self.log("network mode %s (%s)" % (net.mode, net.mode_reason))
        cluster = None
        try:
            cluster = nodes.Cluster(self.root, net, self.n, a.skiffd_path, cluster_overrides(a), shim=a.shim_path)
            cluster.start()
            cluster.create_topic(TOPIC, a.partitions, min(3, self.n), {"min.insync.replicas": 2})
            self.log("cluster up (%s): %s" % (net.mode, cluster.state(TOPIC)))
            wl = workload.Workload(cluster, TOPIC, a.partitions, a.acks, rng, producers=a.producers)
            wl.history.t0 = self.t0
            self.history = wl.history
            wl.start()
            kinds = nemesis.supported_kinds(net, a.kinds)
            nem = nemesis.Nemesis(cluster, net, TOPIC, a.partitions, self.timeline)
            nem.timeline_now = self.now
            self._faults(nem, nemesis.plan(self.seed, a.duration, kinds, self.n), rng)
            nem.heal_all()
            cluster.wait(lambda: all(n.ready() for n in cluster.nodes.values()), 60, "every node ready after healing")
            live = wl.liveness(a.liveness_s)
            self.log("liveness %s in %.2fs" % (live["outcome"], live["elapsed_s"]))
            wl.stop()
            fin = wl.final_read()
            self.log("final read %s" % fin["outcome"])
            self.problems += wl.errors
            group = [t for t in wl.threads if isinstance(getattr(t, "error", None), str)]
            self.problems += [t.error for t in group]
            bad = cluster.shutdown()
            if bad:
                self.problems.append("nodes that did not exit 0 on SIGTERM: %s" % bad)
            self.problems += cluster.sanitizer_reports()
            self.summary.update(faults=sum(nem.counts.values()), fault_kinds=nemesis.describe_counts(nem.counts),
                                power_lost_bytes=nem.power_lost_bytes)
        except Exception as e:  # a harness or cluster failure fails the schedule, with its context
            self.problems.append("harness: %s: %s" % (type(e).__name__, e))
            if cluster:
                for node in cluster.nodes.values():
                    self.problems.append("node %d stderr tail:\n%s" % (node.id, node.stderr_tail(15)))
        finally:
            if cluster:
                cluster.kill_all()
            net.close()
        if self.history is not None:
            ops = self.history.ops()
            self.history.write(os.path.join(self.root, "history.jsonl"))
            self.result = checker.check(ops)
            self.summary.update(self.result.stats)
        with open(os.path.join(self.root, "timeline.txt"), "w") as f:
            for t, what in self.timeline:
                f.write("%8.2f  %s\n" % (t, what))

    def _faults(self, nem, steps, rng):
        for start, kind, hold, pick in steps:
            delay = start - self.now()
            if delay > 0:
                time.sleep(delay)
            try:
                heal = nem.inject(kind, pick, rng)
            except netmod.Unsupported as e:
                self.log("%s skipped: %s" % (kind, e))
                continue
            except Exception as e:
                self.log("%s could not be injected: %s: %s" % (kind, type(e).__name__, e))
                continue
            time.sleep(hold)
            try:
                heal()
            except Exception as e:
                self.log("healing %s failed: %s: %s" % (kind, type(e).__name__, e))

    def violated(self):
        return self.result is not None and not self.result.valid

    def passed(self):
        if self.args.expect_violation:
            return self.violated()
        return not self.problems and self.result is not None and self.result.valid

    def report(self, out):
        s = self.summary
        status = "ok" if self.passed() else "FAILED"
        out.write("schedule %d seed=%d nodes=%d net=%s: %s faults=%s acked=%s lost=%s reads=%s [%s]\n" % (
            self.index, self.seed, self.n, s.get("net", "?"), status, s.get("faults", 0),
            s.get("acknowledged", s.get("sends_ok", "?")), s.get("lost", "?"), s.get("values_read", "?"),
            s.get("fault_kinds", "")))
        if self.args.expect_violation and self.violated():
            out.write("  caught: %s\n" % ", ".join(sorted(k for k, v in self.result.anomalies.items() if v)))
        if self.passed() and not self.args.verbose:
            return
        out.write("  replay: %s\n  kept: %s\n" % (self.replay(), self.root))
        for p in self.problems:
            out.write("  problem: %s\n" % p)
        out.write("  fault timeline:\n")
        for t, what in self.timeline:
            out.write("    %8.2f  %s\n" % (t, what))
        if self.result is not None and self.history is not None:
            out.write(checker.format(self.result, self.history.ops()) + "\n")


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.environ.get("SKIFF_BUILD", "build"))
    ap.add_argument("--skiffd", default=None, help="broker binary (default <build>/skiffd)")
    ap.add_argument("--shim", default=None, help="lost-writes shim (default <build>/chaos/liblostwrites.so)")
    ap.add_argument("--schedules", type=int, default=1)
    ap.add_argument("--seed", type=int, default=None, help="first seed (default: random, printed)")
    ap.add_argument("--nodes", default="3", help="3, 5 or mixed (alternating 3 and 5)")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of faults per schedule")
    ap.add_argument("--net", default="auto", choices=["auto", "netns", "proxy"])
    ap.add_argument("--acks", type=int, default=-1, choices=[-1, 1])
    ap.add_argument("--flush-messages", type=int, default=1)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--producers", type=int, default=4)
    ap.add_argument("--faults", default=None, help="comma-separated fault kinds (default: all)")
    ap.add_argument("--liveness-s", type=float, default=30.0)
    ap.add_argument("--expect-violation", action="store_true",
                    help="pass only if the checker finds a violation (for injected-bug builds)")
    ap.add_argument("--stop-on-failure", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep every schedule's directory")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args(argv)
    a.skiffd_path = os.path.abspath(a.skiffd or os.path.join(a.build, "skiffd"))
    shim = a.shim or os.path.join(a.build, "chaos", "liblostwrites.so")
    a.shim_path = os.path.abspath(shim) if os.path.exists(shim) else None
    a.kinds = [k for k in a.faults.split(",") if k] if a.faults else list(nemesis.ALL_KINDS)
    unknown = [k for k in a.kinds if k not in nemesis.ALL_KINDS + nemesis.EXTRA_KINDS]
    if unknown:
        ap.error("unknown fault kinds: %s (known: %s)" % (unknown, ", ".join(nemesis.ALL_KINDS + nemesis.EXTRA_KINDS)))
    if not os.access(a.skiffd_path, os.X_OK):
        ap.error("no broker binary at %s (run make)" % a.skiffd_path)
    if a.seed is None:
        a.seed = random.SystemRandom().randrange(1, 2**31)
    return a


def main(argv):
    a = parse_args(argv)
    if a.shim_path is None and any(k.startswith("powerloss") for k in a.kinds):
        sys.stderr.write("chaos: no lost-writes shim at %s: build it with make chaos-build\n" % a.shim)
        return 2
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(143))
    root = tempfile.mkdtemp(prefix="skiff-chaos-")
    print("chaos: %d schedule(s) from seed %d, faults %.0fs each, broker %s%s"
          % (a.schedules, a.seed, a.duration, a.skiffd_path, " (expecting a violation)" if a.expect_violation else ""),
          flush=True)
    passed = failed = 0
    caught = False
    keep = a.keep
    totals = {"faults": 0, "acknowledged": 0, "lost": 0}
    try:
        for k in range(a.schedules):
            n = {"3": 3, "5": 5}.get(a.nodes) or (3 if k % 2 == 0 else 5)
            sched = Schedule(a, k + 1, a.seed + k, n, os.path.join(root, "schedule-%d" % (k + 1)))
            os.makedirs(sched.root)
            sched.run()
            sched.report(sys.stdout)
            sys.stdout.flush()
            for key in totals:
                v = sched.summary.get(key)
                totals[key] += v if isinstance(v, int) else 0
            if a.expect_violation:
                # An injected bug is caught once one schedule shows a
                # violation; up to --schedules attempts are made.
                if sched.passed():
                    caught = True
                    break
                if not keep:
                    shutil.rmtree(sched.root, ignore_errors=True)
                continue
            if sched.passed():
                passed += 1
                if not keep:
                    shutil.rmtree(sched.root, ignore_errors=True)
            else:
                failed += 1
                keep = True
                if a.stop_on_failure:
                    break
        if a.expect_violation:
            passed, failed = (1, 0) if caught else (0, 1)
            print("injected bug %s after %d schedule(s)" % ("caught" if caught else "NOT caught", k + 1))
    finally:
        nodes.kill_all_started()
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    print("chaos totals: faults=%d acknowledged=%d lost=%d" % (totals["faults"], totals["acknowledged"], totals["lost"]))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
