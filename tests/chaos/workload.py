"""Workloads and the history they record (format: /tests/chaos/README.md).

- Producers write unique integer values to random partitions over the raw
  wire client, one request in flight, never resending: a value is written at
  most once, so the outcome of each send is exactly what the broker said.
- Assign consumers read every partition from its leader by explicit offset,
  as Fetch requests; a consumer now and then "restarts" at an earlier
  offset, which begins a new session.
- A group consumer (confluent-kafka) polls in a consumer group and commits
  synchronously after every poll; every rebalance begins a new session.  It
  also reads the group's committed offsets back.

Every operation is recorded once it completes, with its invoke and complete
times on one monotonic clock and an outcome: ok, fail (certainly no effect)
or info (indeterminate).
"""

import json
import socket
import threading
import time

import kafkawire
from kafkawire import build_batch, parse_batches

# Kafka errors after which a produce certainly did not append: the leader
# refuses NOT_ENOUGH_REPLICAS before writing.  Every other error (notably
# NOT_LEADER_OR_FOLLOWER, which a leader deposed while waiting for acks
# answers after appending) leaves the write indeterminate.
PRODUCE_DEFINITE_FAILURES = {19}
REFRESH_ERRORS = {3, 5, 6, 74, 75}
NET_ERRORS = (OSError, socket.timeout, kafkawire.ConnectionClosed, kafkawire.ShortRead)


class History:
    def __init__(self):
        self._lock = threading.Lock()
        self._ops = []
        self._next_value = 0
        self.t0 = time.monotonic()

    def now(self):
        return time.monotonic() - self.t0

    def value(self):
        with self._lock:
            self._next_value += 1
            return self._next_value

    def add(self, op):
        with self._lock:
            op["id"] = len(self._ops)
            self._ops.append(op)
        return op

    def ops(self):
        with self._lock:
            return list(self._ops)

    def write(self, path):
        with open(path, "w") as f:
            for op in self.ops():
                f.write(json.dumps(op, sort_keys=True) + "\n")


class Leaders:
    """A cached partition -> leader map, refreshed on demand and at most every 100 ms."""

    def __init__(self, cluster, topic):
        self.c = cluster
        self.topic = topic
        self._lock = threading.Lock()
        self._map = {}
        self._at = 0.0

    def refresh(self, force=False):
        with self._lock:
            if not force and time.monotonic() - self._at < 0.1:
                return
            self._at = time.monotonic()
        ps = self.c.partitions(self.topic)
        if ps:
            with self._lock:
                self._map = {k: v["leader"] for k, v in ps.items()}

    def get(self, p):
        with self._lock:
            return self._map.get(p, -1)


def decode_value(v):
    try:
        return int(v.decode("ascii"))
    except (AttributeError, ValueError, UnicodeDecodeError):
        return "garbage:%s" % (v.hex()[:32] if isinstance(v, bytes) else repr(v))


def records_of(data):
    """[(offset, value)] of every record in fetched bytes; a batch served with
    a bad CRC is an error the caller reports."""
    out = []
    for b in parse_batches(data):
        if not b["crc_ok"]:
            raise CorruptServed("batch at offset %d served with a bad CRC" % b["base_offset"])
        for rec in b["records"] or []:
            out.append((rec["offset"], decode_value(rec["value"])))
    return out


class CorruptServed(Exception):
    pass


class Conns:
    """One raw connection per node, reopened after any error."""

    def __init__(self, cluster, timeout):
        self.c = cluster
        self.timeout = timeout
        self._conns = {}

    def get(self, node_id):
        conn = self._conns.get(node_id)
        if conn is None:
            node = self.c.nodes[node_id]
            conn = kafkawire.RawClient(node.host, node.port, timeout=self.timeout, client_id="chaos")
            self._conns[node_id] = conn
        return conn

    def drop(self, node_id):
        conn = self._conns.pop(node_id, None)
        if conn is not None:
            conn.close()

    def close(self):
        for nid in list(self._conns):
            self.drop(nid)


class Producer(threading.Thread):
    def __init__(self, wl, proc, rng):
        super().__init__(daemon=True, name="producer-%d" % proc)
        self.wl = wl
        self.proc = proc
        self.rng = rng

    def run(self):
        conns = Conns(self.wl.cluster, timeout=8.0)
        try:
            while not self.wl.stop_producers.is_set():
                p = self.rng.randrange(self.wl.partitions)
                op = self.wl.send(conns, self.proc, p)
                if op["outcome"] != "ok":
                    time.sleep(0.05)  # a failing leader is not hammered
        finally:
            conns.close()


class Workload:
    def __init__(self, cluster, topic, partitions, acks, rng, producers=4, assign_consumers=2,
                 group_consumers=1):
        self.cluster = cluster
        self.topic = topic
        self.partitions = partitions
        self.acks = acks
        self.rng = rng
        self.history = History()
        self.leaders = Leaders(cluster, topic)
        self.stop_producers = threading.Event()
        self.stop_consumers = threading.Event()
        self.threads = [Producer(self, i, rng.__class__(rng.random())) for i in range(producers)]
        import consumers
        self.threads += [consumers.AssignConsumer(self, 100 + i, rng.__class__(rng.random()))
                         for i in range(assign_consumers)]
        self.threads += [consumers.GroupConsumer(self, 200 + i) for i in range(group_consumers)]
        self.errors = []

    def start(self):
        self.leaders.refresh(force=True)
        for t in self.threads:
            t.start()

    def send(self, conns, proc, p, timeout_ms=3000):
        """One produce of a fresh value to partition p; records and returns the op."""
        h = self.history
        value = h.value()
        op = dict(f="send", proc=proc, partition=p, value=value, acks=self.acks, invoke_t=h.now())
        self.leaders.refresh()
        leader = self.leaders.get(p)
        try:
            if leader <= 0:
                raise LookupError("no leader")
            conn = conns.get(leader)
        except (LookupError, KeyError) + NET_ERRORS as e:
            # Nothing was sent: the write certainly did not happen.
            op.update(outcome="fail", error="not sent: %s" % (e,), complete_t=h.now())
            self.leaders.refresh(force=True)
            return h.add(op)
        batch = build_batch([(None, str(value).encode())])
        try:
            resp = conn.produce(self.topic, p, batch, acks=self.acks, timeout_ms=timeout_ms,
                                timeout=timeout_ms / 1000.0 + 3.0)
        except NET_ERRORS as e:
            conns.drop(leader)
            op.update(outcome="info", error="%s: %s" % (type(e).__name__, e), node=leader, complete_t=h.now())
            self.leaders.refresh(force=True)
            return h.add(op)
        ec = resp["error_code"]
        op["complete_t"] = h.now()
        op["node"] = leader
        if ec == 0:
            op.update(outcome="ok", offset=resp["base_offset"])
        else:
            op.update(outcome="fail" if ec in PRODUCE_DEFINITE_FAILURES else "info", error="kafka error %d" % ec)
            if ec in REFRESH_ERRORS:
                self.leaders.refresh(force=True)
        return h.add(op)

    def stop(self, drain_s=5.0):
        """Stops producers, lets consumers catch up for drain_s, stops them."""
        self.stop_producers.set()
        for t in self.threads:
            if t.name.startswith("producer"):
                t.join(timeout=20)
        deadline = time.monotonic() + drain_s
        while time.monotonic() < deadline:
            if all(getattr(t, "caught_up", lambda: True)() for t in self.threads):
                break
            time.sleep(0.2)
        self.stop_consumers.set()
        for t in self.threads:
            t.join(timeout=30)
        stuck = [t.name for t in self.threads if t.is_alive()]
        if stuck:
            self.errors.append("workload threads did not stop: %s" % ", ".join(stuck))

    def liveness(self, bound_s):
        """After healing: within bound_s every partition has a leader and takes an acks=all write."""
        h = self.history
        op = dict(f="liveness", proc=-1, invoke_t=h.now(), bound_s=bound_s)
        deadline = time.monotonic() + bound_s
        pending = set(range(self.partitions))
        conns = Conns(self.cluster, timeout=5.0)
        try:
            while pending and time.monotonic() < deadline:
                for p in sorted(pending):
                    w = self.send(conns, -1, p, timeout_ms=2000)
                    if w["outcome"] == "ok":
                        pending.discard(p)
                if pending:
                    time.sleep(0.2)
        finally:
            conns.close()
        op["complete_t"] = h.now()
        op["elapsed_s"] = round(op["complete_t"] - op["invoke_t"], 3)
        if pending:
            op.update(outcome="fail", detail="no acknowledged write within %.0fs to partitions %s; %s"
                      % (bound_s, sorted(pending), self.cluster.state(self.topic)))
        else:
            op.update(outcome="ok", detail="every partition led and writable")
        return h.add(op)

    def final_read(self, timeout_s=60.0):
        """Reads every partition from its log start to its high watermark."""
        h = self.history
        op = dict(f="final_read", proc=-1, invoke_t=h.now(), reads={}, log_start={})
        conns = Conns(self.cluster, timeout=10.0)
        deadline = time.monotonic() + timeout_s
        problems = []
        try:
            for p in range(self.partitions):
                reads, start, err = self._read_partition(conns, p, deadline)
                op["reads"][p] = reads
                op["log_start"][p] = start
                if err:
                    problems.append("partition %d: %s" % (p, err))
        finally:
            conns.close()
        op["complete_t"] = h.now()
        if problems:
            op.update(outcome="info", error="; ".join(problems))
        else:
            op["outcome"] = "ok"
        return h.add(op)

    def _read_partition(self, conns, p, deadline):
        reads, offset, start, hw, last_err = [], 0, 0, None, None
        while time.monotonic() < deadline:
            self.leaders.refresh()
            leader = self.leaders.get(p)
            if leader <= 0:
                time.sleep(0.2)
                continue
            try:
                resp = conns.get(leader).fetch(self.topic, p, offset, timeout=10.0)
            except NET_ERRORS as e:
                conns.drop(leader)
                last_err = "%s: %s" % (type(e).__name__, e)
                time.sleep(0.2)
                continue
            if resp["error_code"] != 0:
                last_err = "kafka error %d at offset %d" % (resp["error_code"], offset)
                self.leaders.refresh(force=True)
                time.sleep(0.2)
                continue
            hw = resp["high_watermark"]
            try:
                recs = records_of(resp["records"])
            except CorruptServed as e:
                return reads, start, str(e)
            for off, v in recs:
                if off < offset:
                    continue
                if not reads:
                    start = off
                elif off != offset:
                    return reads, start, "offset gap: expected %d, got %d" % (offset, off)
                reads.append([off, v])
                offset = off + 1
            if offset >= hw:
                return reads, start, None
            if not recs:
                last_err = "no records at offset %d below high watermark %d" % (offset, hw)
                time.sleep(0.1)
        return reads, start, "deadline: read to %d of high watermark %s (%s)" % (offset, hw, last_err)
