#!/usr/bin/python3
"""Targeted scenarios for the injected-bug skiffd builds (mk/chaos.mk): each
runs a three-node cluster (RF 3, min.insync.replicas 2) of one binary under a
sequential acks=all producer, applies its fault a number of rounds, heals,
reads the partition back and counts acknowledged records that are missing or
changed.  The same scenario against build/skiffd must count zero.

    bugcheck.py --binary build/chaos/skiffd-bug-hw-early --scenario pause-followers --rounds 3
    bugcheck.py --binary build/skiffd --scenario pause-followers --rounds 3

Scenarios:
  pause-followers  SIGSTOP both followers for a second while producing, SIGKILL
                   the leader, resume them (exposes hw-early: acks=all answered
                   without the followers).
  kill-leader      SIGKILL the leader, wait for the next one, restart it (the
                   plain nemesis: a baseline for the others).
  double-kill      SIGKILL the leader, and the next leader as soon as Metadata
                   names it; restart both (the window of truncate-hw: a
                   follower that cut its log to its high watermark on the
                   leader change and is elected before it fetched it back).
  power-loss       SIGKILL every node at once and cut each data directory to
                   what it had synced (powerloss.py), restart all (exposes
                   ack-before-sync, rarely: followers counted for the high
                   watermark with unsynced data; see FAULTS.md).
Prints one line `scenario=... binary=... acked=N lost=M rounds=R` and, with
--expect-loss / --expect-none, exits non-zero when the count disagrees.
"""

import argparse
import os
import random
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))
sys.path.insert(0, HERE)

import cluster_harness as ch   # noqa: E402
import harness                 # noqa: E402
import kafkawire               # noqa: E402
import powerloss               # noqa: E402

TOPIC = "bugcheck"


class Producer(threading.Thread):
    """One record per request, acks=all, to whichever node leads; records
    (offset, value) for every acknowledged send (a buggy build may
    acknowledge one offset twice, with different values)."""

    def __init__(self, cluster):
        super().__init__(daemon=True)
        self.c = cluster
        self.acked = []
        self.errors = 0
        self.stop_ev = threading.Event()
        self.value = 0

    def leader_node(self):
        try:
            lid = self.c.leader(TOPIC, 0)
        except (AssertionError, OSError, kafkawire.ShortRead, kafkawire.ConnectionClosed):
            return None
        return self.c.node(lid) if lid >= 1 else None

    def run(self):
        while not self.stop_ev.is_set():
            node = self.leader_node()
            if node is None or not node.alive():
                time.sleep(0.05)
                continue
            try:
                with kafkawire.RawClient("127.0.0.1", node.port, timeout=3.0) as cl:
                    while not self.stop_ev.is_set():
                        v = self.value
                        self.value += 1
                        r = cl.produce(TOPIC, 0, kafkawire.build_batch([(None, b"%d" % v)]), acks=-1,
                                       timeout_ms=2000, timeout=3.0)
                        if r["error_code"] != 0:
                            self.errors += 1
                            break
                        self.acked.append((r["base_offset"], v))
            except (OSError, kafkawire.ConnectionClosed, kafkawire.ShortRead, AssertionError):
                self.errors += 1
                time.sleep(0.05)


def read_back(c, timeout=60.0):
    """{offset: value} of the whole partition, read from its leader once the
    topic is healthy again."""
    c.wait_topic_healthy(TOPIC, 1, 3, timeout=timeout, via_all=False)
    leader = c.node(c.leader(TOPIC, 0))
    with kafkawire.RawClient("127.0.0.1", leader.port, timeout=10.0) as cl:
        recs, hw = kafkawire.fetch_all(cl, TOPIC, 0, deadline_s=timeout)
    return {r["offset"]: int(r["value"]) for r in recs}


def wait_new_leader(c, old, timeout=30.0):
    def changed():
        try:
            lid = c.leader(TOPIC, 0)
        except (AssertionError, OSError):
            return None
        return lid if lid not in (-1, old) else None
    return harness.wait_until(changed, timeout, 0.005, "a leader other than %d" % old)


def round_pause_followers(c, prod):
    leader = c.leader(TOPIC, 0)
    followers = [n for n in c.nodes if n.node_id != leader]
    for f in followers:
        f.pause()
    n0 = len(prod.acked)
    # Producing against a lone leader, for less than broker.session.timeout.ms
    # (1 s): a paused controller fences, when it resumes, every broker whose
    # heartbeats it missed, which would leave the killed leader the only ISR
    # member and hand its data back to it.
    time.sleep(0.6)
    during = len(prod.acked) - n0
    c.node(leader).kill()
    for f in followers:
        f.resume()
    wait_new_leader(c, leader)
    c.node(leader).start(wait=True)
    return {"acked_while_paused": during}


def round_kill_leader(c, prod):
    first = c.leader(TOPIC, 0)
    c.node(first).kill()
    wait_new_leader(c, first)
    c.node(first).start(wait=True)
    return {"killed": first}


def round_double_kill(c, prod):
    first = c.leader(TOPIC, 0)
    c.node(first).kill()
    second = wait_new_leader(c, first)
    c.node(second).kill()
    c.node(first).start(wait=False)
    c.node(second).start(wait=False)
    c.node(first).wait_ready(30)
    c.node(second).wait_ready(30)
    return {"killed": [first, second]}


def round_power_loss(c, prod, bases, journals):
    time.sleep(0.3)
    for n in c.nodes:
        n.proc.send_signal(signal.SIGKILL)
    dropped = 0
    for n in c.nodes:
        n.kill()
        rep = powerloss.apply(n.log_dir, journals[n.node_id], bases[n.node_id])
        dropped += rep["dropped_bytes"]
    # All at once: who is elected then depends on the order the new
    # incarnations register in (each one leaves the ISR as it registers, the
    # last member stays); only when a follower ends up leading does what it
    # acknowledged without syncing matter.
    for n in c.nodes:
        bases[n.node_id] = powerloss.begin(n.log_dir, journals[n.node_id])
        n.start(wait=False)
    for n in c.nodes:
        n.wait_ready(30)
    return {"dropped_bytes": dropped}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--scenario", required=True, choices=["pause-followers", "kill-leader", "double-kill", "power-loss"])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--build", default="build")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--expect-loss", action="store_true")
    ap.add_argument("--expect-none", action="store_true")
    args = ap.parse_args()
    harness.BUILD_DIR = os.path.abspath(args.build)
    random.seed(args.seed)
    c = ch.Cluster(name="bugcheck", n=3, overrides={"min.insync.replicas": 2})
    shim = os.path.abspath(os.path.join(args.build, "chaos", "liblostwrites.so"))
    journals, bases = {}, {}
    for n in c.nodes:
        n.exe = os.path.abspath(args.binary)
        if args.scenario == "power-loss":
            journals[n.node_id] = os.path.join(n.dir, "sync-journal")
            n.env = powerloss.shim_env(shim, journals[n.node_id])
            os.makedirs(n.log_dir, exist_ok=True)
            bases[n.node_id] = powerloss.begin(n.log_dir, journals[n.node_id])
    prod = None
    ok = False
    try:
        c.start(40)
        c.create_topic(TOPIC, 1, 3, config={"min.insync.replicas": "2"})
        prod = Producer(c)
        prod.start()
        harness.wait_until(lambda: len(prod.acked) >= 50, 30, 0.05, "50 acknowledged records")
        notes = []
        for _ in range(args.rounds):
            if args.scenario == "pause-followers":
                notes.append(round_pause_followers(c, prod))
            elif args.scenario == "kill-leader":
                notes.append(round_kill_leader(c, prod))
            elif args.scenario == "double-kill":
                notes.append(round_double_kill(c, prod))
            else:
                notes.append(round_power_loss(c, prod, bases, journals))
            c.wait_topic_healthy(TOPIC, 1, 3, timeout=60, via_all=False)
            n0 = len(prod.acked)
            harness.wait_until(lambda: len(prod.acked) >= n0 + 20, 30, 0.05, "production to resume")
        prod.stop_ev.set()
        prod.join(10)
        log = read_back(c)
        lost = sorted(o for o, v in prod.acked if log.get(o) != v)
        print("scenario=%s binary=%s acked=%d lost=%d rounds=%d send_errors=%d first_lost=%s notes=%s"
              % (args.scenario, os.path.basename(args.binary), len(prod.acked), len(lost), args.rounds,
                 prod.errors, lost[:5], notes), flush=True)
        ok = True
        if args.expect_loss and not lost:
            return 1
        if args.expect_none and lost:
            return 1
        return 0
    finally:
        if prod:
            prod.stop_ev.set()
        for n in c.nodes:
            n.resume()
        c.stop_all(30)
        if ok and not harness.KEEP_DIRS:
            __import__("shutil").rmtree(c.dir, ignore_errors=True)
        else:
            print("cluster files kept in %s" % c.dir)


if __name__ == "__main__":
    sys.exit(main())
