"""Measures failover figures on a three-node cluster (median of N trials):
  leader: SIGKILL of a partition leader -> first acks=all produce that succeeds
  controller: SIGKILL of the active controller -> every survivor names a new one
  rejoin: restart of a killed node -> it is back in every ISR of a 3-partition RF 3 topic
Usage: /usr/bin/python3 tests/system/measure_cluster.py [--build build] [--trials 5]
Not part of the test run; prints one line per trial and the medians."""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--trials", type=int, default=5)
    a = ap.parse_args()
    harness.BUILD_DIR = os.path.abspath(a.build)
    import clients
    import cluster_helpers as ch
    leader_s, ctrl_s, rejoin_s = [], [], []
    for trial in range(a.trials):
        c = harness.Cluster(3, name="measure%d" % trial)
        try:
            c.start()
            topic = clients.unique("m")
            ch.create_replicated(c, topic, 3, 3)
            for p in range(3):
                ch.produce_until_ok(c, topic, p, b"warm")
            # Leader failover: kill a node that leads a partition but is not
            # the controller, so the figure is not mixed with an election.
            ctrl = c.controller_id()
            p = next(p for p in range(3) if ch.leader_of(c, topic, p) != ctrl)
            victim = ch.leader_of(c, topic, p)
            t0 = time.monotonic()
            c.node(victim).kill()
            ch.produce_until_ok(c, topic, p, b"after", timeout=30)
            leader_s.append(time.monotonic() - t0)
            # Rejoin.
            t0 = time.monotonic()
            c.node(victim).start()
            ch.wait_full_isr(c, topic, 3, 3, timeout=30)
            rejoin_s.append(time.monotonic() - t0)
            # Controller failover.
            ctrl = c.controller_id()
            t0 = time.monotonic()
            c.node(ctrl).kill()

            def new_ctrl():
                ids = set()
                for b in c.running():
                    try:
                        ids.add(c.controller_id(via=b))
                    except (OSError, AssertionError):
                        return False
                return len(ids) == 1 and ctrl not in ids and -1 not in ids
            harness.wait_until(new_ctrl, 20, 0.005, "new controller")
            ctrl_s.append(time.monotonic() - t0)
            print("trial %d: leader %.3fs rejoin %.3fs controller %.3fs"
                  % (trial, leader_s[-1], rejoin_s[-1], ctrl_s[-1]), flush=True)
        finally:
            for b in c.nodes:
                b.kill()
                b.cleanup(keep=False)
    print("median leader failover %.3fs, controller failover %.3fs, rejoin %.3fs (%d trials)"
          % (statistics.median(leader_s), statistics.median(ctrl_s), statistics.median(rejoin_s), a.trials))


if __name__ == "__main__":
    main()
