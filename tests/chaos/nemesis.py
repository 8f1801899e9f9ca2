"""Nemeses: the faults a schedule injects, each with its healing step.

A schedule is drawn from a seeded RNG before anything runs: a list of
(start_s, kind, hold_s, pick) steps.  Targets are chosen when a step runs,
by role (the leader of a partition, a follower, the active controller) and
the seeded `pick`, so a replay injects the same faults in the same order
against whichever node holds that role at that moment.

One fault is active at a time; each is healed before the next starts, and
a healing restart does not wait for the node to be ready, so a next fault
may land while it is still recovering.
"""

import os
import random
import time

import corrupt

# Faults that need nothing but processes.
PROCESS_KINDS = ["kill-leader", "kill-follower", "kill-controller", "kill-random",
                 "powerloss-leader", "powerloss-random", "pause-leader", "pause-controller", "pause-random",
                 "stall-followers-kill-leader"]
# Faults between nodes (the network layer may not support every one).
NET_KINDS = ["isolate-leader", "isolate-controller", "majority-minority", "one-way", "lossy", "bridge",
             "slow-followers-double-kill"]
# Damage to a stopped follower's segment files before it restarts.
DISK_KINDS = ["bitflip-follower", "truncate-follower"]
ALL_KINDS = PROCESS_KINDS + NET_KINDS + DISK_KINDS
# Not in the default mix: every node loses power at once.  Under the default
# flush policy nothing acknowledged may be lost even then; with a large
# log.flush.interval.messages this is the fault that shows what is at stake.
# Compound faults, Jepsen-style packages aimed at one replication rule each:
# - stall-followers-kill-leader: SIGSTOP a partition's followers for a
#   moment under load, SIGKILL its leader, resume them.  With the rule that
#   acks=all waits for every ISR member, nothing is acknowledged while they
#   are stopped; a leader that acknowledged on its own loses those writes.
# - slow-followers-double-kill: delay the link between a partition's two
#   followers, SIGKILL its leader, and SIGKILL the new leader right after it
#   is elected, before the other follower has fetched from it.  A follower
#   that truncated to its own high watermark on the leader change (instead
#   of to the leader's epoch end) is then elected without records already
#   acknowledged.  Needs a network mode with delay (proxy mode here).
EXTRA_KINDS = ["powerloss-all"]


def plan(seed, duration_s, kinds, n_nodes):
    """The seeded fault schedule: [(start_s, kind, hold_s, pick)]."""
    rng = random.Random(seed)
    if n_nodes < 5 and "bridge" in kinds:
        kinds = [k for k in kinds if k != "bridge"]
    steps, t = [], rng.uniform(1.0, 2.5)
    while t < duration_s:
        kind = rng.choice(kinds)
        hold = rng.uniform(1.5, 4.0)
        steps.append((round(t, 2), kind, round(hold, 2), rng.random()))
        t += hold + rng.uniform(0.5, 2.0)
    return steps


class Nemesis:
    def __init__(self, cluster, net, topic, partitions, timeline):
        self.c = cluster
        self.net = net
        self.topic = topic
        self.partitions = partitions
        self.timeline = timeline
        self.counts = {}
        self.power_lost_bytes = 0

    # ------------------------------------------------------------- targets

    def _partition_view(self, pick):
        ps = self.c.partitions(self.topic)
        if not ps:
            return None
        keys = sorted(ps)
        return ps[keys[int(pick * len(keys)) % len(keys)]]

    def _leader(self, pick):
        p = self._partition_view(pick)
        return p["leader"] if p and p["leader"] > 0 else self._random(pick)

    def _follower(self, pick):
        p = self._partition_view(pick)
        if p:
            others = [r for r in p["replicas"] if r != p["leader"]]
            if others:
                return others[int(pick * 1000) % len(others)]
        return self._random(pick)

    def _controller(self, pick):
        cid = self.c.controller()
        return cid if cid > 0 else self._random(pick)

    def _random(self, pick):
        ids = sorted(self.c.nodes)
        return ids[int(pick * len(ids)) % len(ids)]

    # -------------------------------------------------------------- faults

    def inject(self, kind, pick, rng):
        """Applies one fault; returns a heal function.  Counted once applied
        (a kind the network mode cannot inject raises Unsupported first)."""
        heal = self._inject(kind, pick, rng)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return heal

    def _inject(self, kind, pick, rng):
        role, _, who = kind.partition("-")
        if kind == "powerloss-all":
            return self._powerloss_all()
        if kind == "stall-followers-kill-leader":
            return self._stall_followers_kill_leader(pick)
        if kind == "slow-followers-double-kill":
            return self._slow_followers_double_kill(pick)
        if role in ("kill", "powerloss"):
            node = self.c.nodes[self._target(who, pick)]
            node.kill()
            note = ""
            if role == "powerloss":
                rep = node.power_loss()
                self.power_lost_bytes += rep.get("dropped_bytes", 0)
                note = " unsynced bytes dropped=%d" % rep.get("dropped_bytes", 0)
            self.log("%s node %d%s" % (kind, node.id, note))
            return lambda: self._restart(node)
        if role == "pause":
            node = self.c.nodes[self._target(who, pick)]
            node.pause()
            self.log("%s node %d (SIGSTOP)" % (kind, node.id))
            return lambda: self._resume(node)
        if kind in ("bitflip-follower", "truncate-follower"):
            return self._damage(kind, pick, rng)
        return self._net_fault(kind, pick, rng)

    def _target(self, who, pick):
        return {"leader": self._leader, "follower": self._follower, "controller": self._controller,
                "random": self._random}[who](pick)

    def _net_fault(self, kind, pick, rng):
        ids = sorted(self.c.nodes)
        if kind == "isolate-leader" or kind == "isolate-controller":
            target = self._leader(pick) if kind == "isolate-leader" else self._controller(pick)
            self.net.isolate(target)
        elif kind == "majority-minority":
            shuffled = ids[:]
            rng.shuffle(shuffled)
            k = len(ids) // 2
            self.net.partition([shuffled[:k], shuffled[k:]])
        elif kind == "bridge":
            # Two halves that only one node (the bridge) connects.
            shuffled = ids[:]
            rng.shuffle(shuffled)
            mid = shuffled[0]
            a, b = shuffled[1:3], shuffled[3:]
            for x in a:
                for y in b:
                    self.net.cut(x, y)
                    self.net.cut(y, x)
            self.log("bridge via node %d: %s | %s" % (mid, a, b))
        elif kind == "one-way":
            src = self._leader(pick)
            for dst in ids:
                if dst != src:
                    self.net.cut(src, dst)
        elif kind == "lossy":
            a = self._leader(pick)
            for b in ids:
                if b != a:
                    self.net.loss(a, b, 30)
                    self.net.loss(b, a, 30)
        self.log("%s: %s" % (kind, self.net.describe()))
        return self._heal_net

    def _damage(self, kind, pick, rng):
        p = self._partition_view(pick)
        target = self._follower(pick)
        node = self.c.nodes[target]
        node.kill()
        dirs = [d for idx, d in node.partition_dirs(self.topic) if p is None or idx == p["partition"]]
        what = "no partition directory"
        if dirs:
            if kind == "bitflip-follower":
                # Damage recovery is designed to find: anything in the
                # active segment of a crashed node, or batch headers
                # anywhere.  A CRC-covered flip in a closed segment below
                # the recovery point is found only when read, and is a known
                # gap (tests/chaos/FAULTS.md).
                if rng.random() < 0.5:
                    what = corrupt.flip_bit(dirs[0], rng, region="any", segment="active")
                else:
                    what = corrupt.flip_bit(dirs[0], rng, region="header", segment="any")
            else:
                what = corrupt.truncate_tail(dirs[0], rng, 4096)
        self.log("%s node %d: %s" % (kind, node.id, what))
        return lambda: self._restart(node)

    def _stall_followers_kill_leader(self, pick):
        p = self._partition_view(pick)
        if not p or p["leader"] <= 0:
            raise RuntimeError("no partition with a leader")
        leader = self.c.nodes[p["leader"]]
        followers = [self.c.nodes[r] for r in p["replicas"] if r != p["leader"]]
        for node in followers:
            node.pause()
        time.sleep(0.6)
        leader.kill()
        for node in followers:
            node.resume()
        self.log("stall-followers-kill-leader p%d: stopped %s for 0.6s, killed leader %d"
                 % (p["partition"], [n.id for n in followers], leader.id))
        return lambda: self._restart(leader)

    def _slow_followers_double_kill(self, pick):
        p = self._partition_view(pick)
        if not p or p["leader"] <= 0 or len(p["replicas"]) < 3:
            raise RuntimeError("no partition with a leader and two followers")
        first = self.c.nodes[p["leader"]]
        a, b = [r for r in p["replicas"] if r != first.id][:2]
        self.net.delay(a, b, 1500)
        self.net.delay(b, a, 1500)
        first.kill()
        killed = [first]
        deadline = time.monotonic() + 8.0
        second = None
        while time.monotonic() < deadline and second is None:
            view = self.c.partitions(self.topic).get(p["partition"])
            if view and view["leader"] in (a, b):
                second = self.c.nodes[view["leader"]]
            else:
                time.sleep(0.02)
        if second is not None:
            # Kill it once the other follower knows of it (and so has cut
            # its log to whatever rule it follows), before it has fetched.
            other = b if second.id == a else a
            learn_by = time.monotonic() + 2.0
            while time.monotonic() < learn_by:
                view = self.c.partitions(self.topic, via=other).get(p["partition"])
                if view and view["leader"] == second.id:
                    break
                time.sleep(0.005)
            second.kill()
            killed.append(second)
        self.log("slow-followers-double-kill p%d: links %d<->%d delayed 1.5s, killed %s"
                 % (p["partition"], a, b, [n.id for n in killed]))

        def heal():
            self.net.heal()
            for node in killed:
                self._restart(node)
        return heal

    def _powerloss_all(self):
        victims = [n for n in self.c.nodes.values() if n.alive()]
        for node in victims:
            node.kill()
        dropped = 0
        for node in victims:
            dropped += node.power_loss().get("dropped_bytes", 0)
        self.power_lost_bytes += dropped
        self.log("powerloss-all nodes %s: unsynced bytes dropped=%d" % ([n.id for n in victims], dropped))

        def heal():
            for node in victims:
                self._restart(node)
        return heal

    # ------------------------------------------------------------- healing

    def _restart(self, node):
        if not node.alive():
            node.start()
            self.log("restart node %d" % node.id)

    def _resume(self, node):
        node.resume()
        self.log("resume node %d (SIGCONT)" % node.id)

    def _heal_net(self):
        self.net.heal()
        self.log("heal network")

    def heal_all(self):
        """Ends every fault: network healed, paused nodes resumed, dead nodes restarted."""
        self.net.heal()
        for node in self.c.nodes.values():
            if node.alive():
                node.resume()
            else:
                node.start()
        self.log("heal all")

    def log(self, what):
        self.timeline.append((self.timeline_now(), what))

    timeline_now = staticmethod(lambda: 0.0)


def describe_counts(counts):
    return ",".join("%s=%d" % kv for kv in sorted(counts.items())) or "none"


def supported_kinds(net, kinds):
    """Drops network kinds the mode cannot inject (lossy needs packet loss)."""
    out = []
    for k in kinds:
        if k == "lossy" and not getattr(net, "supports_loss", True):
            continue
        out.append(k)
    return out


def env_kinds(default):
    v = os.environ.get("CHAOS_FAULTS", "")
    return [k for k in v.split(",") if k] if v else default
