"""Synthetic valid histories for checker_selftest.py.

A seeded model of a correct broker: every op takes effect (if it does) at a
linearization point inside [invoke_t, complete_t]; partition logs are the
applied sends in linearization order, polls read contiguous runs of what was
applied before their point, and committed offsets are registers read at their
point.  Whatever this model produces satisfies every property the checker
knows, so any anomaly the checker reports on it is a checker bug.
"""

import bisect
import random


class _Gen:
    def __init__(self, seed, partitions):
        self.rng = random.Random(seed)
        self.partitions = partitions
        self.ops = []
        self.next_value = 1000
        self.sends = []             # (lin_t, op, applied)
        self.logs = None            # partition -> [(lin_t, offset, value)]
        self.registers = {}         # (group, partition) -> sorted [(lin_t, offset)]

    def add(self, **op):
        op["id"] = len(self.ops)
        self.ops.append(op)
        return op

    def span(self, t, lo, hi):
        """An op's invoke and complete times plus a point between them."""
        complete = t + self.rng.uniform(lo, hi)
        return t, complete, self.rng.uniform(t, complete)

    def producer(self, proc, t, count):
        rng = self.rng
        for _ in range(count):
            inv, comp, lin = self.span(t, 0.001, 0.02)
            r = rng.random()
            outcome = "fail" if r < 0.07 else "info" if r < 0.15 else "ok"
            applied = outcome == "ok" or (outcome == "info" and rng.random() < 0.5)
            op = self.add(proc=proc, f="send", invoke_t=inv, complete_t=comp, outcome=outcome,
                          partition=rng.randrange(self.partitions), value=self.next_value,
                          acks=-1)
            if outcome != "ok":
                op["error"] = "REQUEST_TIMED_OUT" if outcome == "info" else "NOT_LEADER_OR_FOLLOWER"
            self.next_value += 1
            self.sends.append((lin, op, applied))
            t = comp + rng.uniform(0, 0.005)
        return t

    def build_logs(self):
        self.logs = {p: [] for p in range(self.partitions)}
        for lin, op, applied in sorted(self.sends, key=lambda s: s[0]):
            if not applied:
                continue
            log = self.logs[op["partition"]]
            if op["outcome"] == "ok":
                op["offset"] = len(log)
            log.append((lin, len(log), op["value"]))

    def take(self, p, pos, point, most):
        """Up to `most` records of p from pos, applied before `point`."""
        out = []
        log = self.logs[p]
        while pos + len(out) < len(log) and len(out) < most and log[pos + len(out)][0] < point:
            _, o, v = log[pos + len(out)]
            out.append([o, v])
        return out

    def committed_value(self, key, point):
        writes = self.registers.get(key, [])
        i = bisect.bisect_left(writes, (point,))
        return -1 if i == 0 else writes[i - 1][1]

    def write_register(self, key, proc, t, offset, lo=0.001, hi=0.01):
        inv, comp, lin = self.span(t, lo, hi)
        r = self.rng.random()
        outcome = "fail" if r < 0.05 else "info" if r < 0.15 else "ok"
        if outcome == "ok" or (outcome == "info" and self.rng.random() < 0.5):
            bisect.insort(self.registers.setdefault(key, []), (lin, offset))
        self.add(proc=proc, f="commit", invoke_t=inv, complete_t=comp, outcome=outcome,
                 group=key[0], partition=key[1], offset=offset)
        return comp

    def assign_consumer(self, proc, t, end_t):
        rng = self.rng
        pos = {}
        n_session = 0
        while t < end_t:
            n_session += 1
            session = "a%d-%d" % (proc, n_session)
            parts = rng.sample(range(self.partitions), rng.randint(1, self.partitions))
            # A new session may seek back to any offset already read.
            pos = {p: rng.randint(0, pos.get(p, 0)) for p in parts}
            for _ in range(rng.randint(3, 10)):
                t = self.poll(proc, t, session, "assign", pos) + rng.uniform(0, 0.01)
        return t

    def poll(self, proc, t, session, mode, pos):
        rng = self.rng
        inv, comp, point = self.span(t, 0.001, 0.02)
        r = rng.random()
        outcome = "fail" if r < 0.04 else "info" if r < 0.08 else "ok"
        reads = {}
        for p in pos:
            got = self.take(p, pos[p], point, rng.randint(0, 4))
            if outcome == "ok":
                reads[str(p)] = got
                pos[p] += len(got)
            elif outcome == "info":
                # Records consumed but never reported: the checker must not
                # call the next read a skip.
                pos[p] += rng.randint(0, len(got))
        op = self.add(proc=proc, f="poll", invoke_t=inv, complete_t=comp, outcome=outcome,
                      mode=mode, session=session)
        if outcome == "ok":
            op["reads"] = reads
        return comp

    def group_consumer(self, proc, group, t, end_t):
        rng = self.rng
        gen = 0
        while t < end_t:
            gen += 1
            session = "%s-gen%d" % (group, gen)
            pos = {}
            for p in range(self.partitions):
                c = self.committed_value((group, p), t)
                pos[p] = max(c, 0)
            for _ in range(rng.randint(3, 8)):
                before = dict(pos)
                t = self.poll(proc, t, session, "group", pos)
                for p in range(self.partitions):
                    if pos[p] != before[p]:
                        t = self.write_register((group, p), proc, t, pos[p])
        return t

    def committed_reader(self, proc, keys, t, end_t, step):
        rng = self.rng
        while t < end_t:
            key = rng.choice(keys)
            inv, comp, point = self.span(t, 0.001, 0.01)
            self.add(proc=proc, f="committed", invoke_t=inv, complete_t=comp, outcome="ok",
                     group=key[0], partition=key[1], offset=self.committed_value(key, point))
            t = comp + rng.uniform(0, step)

    def racing_committers(self, procs, key, t, end_t):
        """Two committers of one key with long, overlapping commits in any
        order: a later-completing lower commit may legitimately win."""
        for proc in procs:
            u = t
            while u < end_t:
                off = self.rng.randint(0, 50)
                u = self.write_register(key, proc, u, off, 0.005, 0.05) + self.rng.uniform(0, 0.01)


def build_valid(seed=1, partitions=3, producers=4, sends_per_producer=60, consumers=3):
    """A valid history as a list of op dicts (the JSON-lines form, loaded)."""
    g = _Gen(seed, partitions)
    end_t = 0.0
    for i in range(producers):
        end_t = max(end_t, g.producer(i, g.rng.uniform(0, 0.01), sends_per_producer))
    # One last ok send per partition after everything else, so every
    # partition's log ends with an acknowledged write.
    t = end_t + 0.01
    tail_proc = producers
    for p in range(partitions):
        inv, comp, lin = g.span(t, 0.001, 0.005)
        op = g.add(proc=tail_proc, f="send", invoke_t=inv, complete_t=comp, outcome="ok",
                   partition=p, value=g.next_value, acks=-1)
        g.next_value += 1
        g.sends.append((lin, op, True))
        t = comp + 0.001
    g.build_logs()
    procs = producers + 1
    for i in range(consumers):
        g.assign_consumer(procs + i, g.rng.uniform(0, 0.01), end_t)
    procs += consumers
    g.group_consumer(procs, "g1", 0.0, end_t)
    g.committed_reader(procs + 1, [("g1", p) for p in range(partitions)], 0.0, end_t, 0.02)
    g.racing_committers((procs + 2, procs + 3), ("g2", 0), 0.0, end_t)
    g.committed_reader(procs + 4, [("g2", 0)], 0.0, end_t + 0.1, 0.01)
    last = max(op["complete_t"] for op in g.ops)
    g.add(proc=procs + 5, f="final_read", invoke_t=last + 0.01, complete_t=last + 0.02,
          outcome="ok", reads={str(p): [[o, v] for _, o, v in g.logs[p]] for p in g.logs},
          log_start={str(p): 0 for p in g.logs})
    g.add(proc=procs + 5, f="liveness", invoke_t=last + 0.03, complete_t=last + 0.5,
          outcome="ok", elapsed_s=0.47, bound_s=30, detail="every partition has a leader")
    return g.ops
