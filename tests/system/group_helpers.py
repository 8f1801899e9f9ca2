"""Helpers for the consumer-group system tests: group consumers running as
their own processes (group_worker.py), and checks over what they consumed."""

import os
import signal
import subprocess
import threading

import harness
from harness import wait_until

# Small delays and timeouts so rebalances take a fraction of a second.
GROUP_OVERRIDES = {
    "group.initial.rebalance.delay.ms": 100,
    "group.min.session.timeout.ms": 500,
    "offsets.topic.num.partitions": 5,
}

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "group_worker.py")


class Worker:
    """One group consumer process; its event lines are collected as they come."""

    def __init__(self, lib, broker, group, topic, session_ms=2000, instance=None):
        args = ["/usr/bin/python3", WORKER, lib, broker.bootstrap, group, topic, str(session_ms)]
        if instance:
            args.append(instance)
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        harness._started[self.proc.pid] = self.proc
        self.lines = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            with self.lock:
                self.lines.append(raw.decode().rstrip("\n"))

    def _events(self, kind):
        with self.lock:
            return [l[2:] for l in self.lines if l.startswith(kind + " ") or l == kind]

    def assignment(self):
        """The latest assignment as a set, or None before the first one."""
        a = self._events("A")
        if not a:
            return None
        return {int(x) for x in a[-1].split(",") if x.strip()}

    def messages(self):
        """[(partition, offset, value)] in the order consumed."""
        out = []
        for e in self._events("M"):
            p, o, v = e.split(" ", 2)
            out.append((int(p), int(o), v))
        return out

    def committed(self):
        """{partition: highest committed offset}."""
        c = {}
        for e in self._events("C"):
            p, o = map(int, e.split())
            c[p] = max(c.get(p, -1), o)
        return c

    def stop(self, timeout=20.0):
        """Graceful: the consumer closes (LeaveGroup) and the process exits."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.reader.join(5)
        harness._started.pop(self.proc.pid, None)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        harness._started.pop(self.proc.pid, None)

    def tail(self, n=20):
        with self.lock:
            return "\n".join(self.lines[-n:])


def wait_assignment(workers, partitions, timeout=30.0):
    """Waits until the workers' assignments are disjoint, each non-empty,
    and together exactly `partitions`."""
    want = set(partitions)

    def balanced():
        sets = [w.assignment() for w in workers]
        if any(not s for s in sets):
            return False
        union = set().union(*sets)
        return union == want and sum(len(s) for s in sets) == len(want)
    wait_until(balanced, timeout, 0.05, "a balanced assignment of %s over %d members: %s"
               % (sorted(want), len(workers), [w.assignment() for w in workers]))


def wait_consumed(workers, values, timeout=30.0):
    """Waits until every value has been consumed by one of the workers."""
    values = set(values)

    def done():
        seen = set()
        for w in workers:
            seen.update(v for _, _, v in w.messages())
        return values <= seen
    wait_until(done, timeout, 0.05, "%d values consumed" % len(values))


def produce(broker, topic, values, partitions):
    """Produces each value to partition i % partitions; returns
    {value: (partition, offset)}."""
    import clients
    p = clients.producer(broker)
    log = clients.AckLog()
    for i, v in enumerate(values):
        p.produce(topic, value=v.encode(), partition=i % partitions, on_delivery=log.cb)
        if i % 500 == 0:
            p.poll(0)
    clients.flush_all(p)
    assert not log.errors, log.errors[:3]
    return {v.decode(): (part, off) for part, off, _, v in log.acked}


def counts(workers, values):
    """{value: number of times consumed}, over the given values."""
    c = {v: 0 for v in values}
    for w in workers:
        for _, _, v in w.messages():
            if v in c:
                c[v] += 1
    return c
