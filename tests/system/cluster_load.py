"""Steady acks=all load on a cluster topic, and the check of what was read back.

Two producers write numbered messages round-robin over the partitions:

- ClientLoad: confluent-kafka (librdkafka) with acks=all and retries off.
  librdkafka still resends a batch after an error that says "not
  persisted" (NOT_LEADER_OR_FOLLOWER): a batch a deposed leader had already
  passed to its followers may then be committed twice, and a resent batch
  lands after messages sent later.  Both are the client's doing (Kafka
  behaves the same without idempotence), so for this load the check is that
  every acknowledged message is at the offset its delivery report named.
- RawLoad: the raw wire client, one request in flight per partition, each
  message sent exactly once and never resent.  A message appearing twice,
  or acknowledged messages out of order, can only be the broker's doing, so
  for this load the check is strict: every acknowledged message exactly once,
  at its offset, in production order.

verify_log reads every partition once from the beginning (assign, no group)
and checks every load written to the topic.
"""

import threading
import time

import confluent_kafka
from confluent_kafka import KafkaError

import clients
import harness
import kafkawire
from harness import wait_until

# Delivery-report errors a producer may see while leaders move: Kafka's
# retriable errors plus librdkafka's local transport and timeout errors.
RETRIABLE_DELIVERY_ERRORS = {
    KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.REQUEST_TIMED_OUT, KafkaError.NOT_ENOUGH_REPLICAS,
    KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND, KafkaError.NETWORK_EXCEPTION,
    KafkaError.FENCED_LEADER_EPOCH, KafkaError.UNKNOWN_LEADER_EPOCH,
    KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.KAFKA_STORAGE_ERROR,
    KafkaError._TRANSPORT, KafkaError._MSG_TIMED_OUT, KafkaError._TIMED_OUT,
    KafkaError._ALL_BROKERS_DOWN,
}
# The same for the raw producer (Kafka error codes; None = no answer).
RETRIABLE_CODES = {None, 3, 5, 6, 7, 13, 19, 20, 56, 74, 75}


class _Load:
    """What both producers share: the record of every outcome, by sequence
    number, with its time."""

    strict = False
    tag = b"?"

    def __init__(self, topic, partitions, rate, value_bytes):
        self.topic = topic
        self.partitions = partitions
        self.rate = rate
        self.value_bytes = value_bytes
        self.lock = threading.Lock()
        self.acked = {}      # seq -> (partition, offset, t_mono)
        self.failed = {}     # seq -> (partition, error code, error name, t_mono)
        self.sent = 0
        self._stop = threading.Event()
        self._threads = []
        self._exc = None

    def key(self, seq):
        return self.tag + b"%d" % seq

    def value(self, seq):
        head = self.tag + b"=%d;" % seq
        return head + b"x" * max(0, self.value_bytes - len(head))

    def parse(self, key, value):
        """The sequence number of a record this load wrote, else None."""
        head = self.tag + b"="
        if not value or not value.startswith(head) or b";" not in value:
            return None
        try:
            seq = int(value[len(head):value.index(b";")])
        except ValueError:
            return None
        return seq if key == self.key(seq) else None

    def _ack(self, seq, partition, offset):
        with self.lock:
            self.acked[seq] = (partition, offset, time.monotonic())

    def _fail(self, seq, partition, code, name):
        with self.lock:
            self.failed[seq] = (partition, code, name, time.monotonic())

    def _guard(self, fn, *args):
        try:
            fn(*args)
        except Exception as e:  # surfaced by stop()
            self._exc = e

    def _start_threads(self, targets):
        for name, fn, args in targets:
            t = threading.Thread(target=self._guard, args=(fn,) + args, name=name, daemon=True)
            self._threads.append(t)
            t.start()
        return self

    def _join(self):
        self._stop.set()
        for t in self._threads:
            t.join(15.0)
            if t.is_alive():
                raise AssertionError("%s producer thread did not stop" % self.__class__.__name__)
        if self._exc is not None:
            raise AssertionError("%s producer thread failed: %r" % (self.__class__.__name__, self._exc))

    def acked_count(self, partitions=None, after=None):
        with self.lock:
            return sum(1 for p, _, t in self.acked.values()
                       if (partitions is None or p in partitions) and (after is None or t >= after))

    def first_ack_after(self, partitions, after):
        """Time of the first acknowledgement on any of `partitions` at or
        after `after` (None if none yet)."""
        with self.lock:
            ts = [t for p, _, t in self.acked.values() if p in partitions and t >= after]
        return min(ts) if ts else None

    def wait_acks(self, partitions, after, n, timeout, what):
        """Waits until each of `partitions` has n acknowledgements after `after`."""
        def enough():
            return all(self.acked_count([p], after) >= n for p in partitions)
        try:
            wait_until(enough, timeout, 0.02, what)
        except harness.WaitTimeout as e:
            counts = {p: self.acked_count([p], after) for p in partitions}
            raise harness.WaitTimeout("%s (%s); acknowledgements per partition since then %r, %d sent, "
                                      "errors so far %r" % (e, self.__class__.__name__, counts, self.sent,
                                                            self.error_summary()))

    def error_summary(self):
        with self.lock:
            out = {}
            for _, _, name, _ in self.failed.values():
                out[name] = out.get(name, 0) + 1
            return out

    def non_retriable_errors(self):
        with self.lock:
            return {seq: f for seq, f in self.failed.items() if not self._retriable(f[1])}


class ClientLoad(_Load):
    """confluent-kafka producer thread: numbered messages round-robin over
    the partitions at `rate` messages/s, acks=all, no client retries."""

    tag = b"c"

    def __init__(self, cluster, topic, partitions, rate=300, value_bytes=100, **conf):
        super().__init__(topic, partitions, rate, value_bytes)
        base = {"bootstrap.servers": cluster.bootstrap, "acks": "all", "linger.ms": 5,
                "message.send.max.retries": 0, "request.timeout.ms": 4000,
                "message.timeout.ms": 8000, "topic.metadata.refresh.interval.ms": 1000,
                "retry.backoff.ms": 50, "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 500,
                "log.connection.close": False, "log_level": 2}
        base.update(conf)
        self.producer = confluent_kafka.Producer(base)

    @staticmethod
    def _retriable(code):
        return code in RETRIABLE_DELIVERY_ERRORS

    def _cb(self, err, msg):
        seq = int(msg.key()[len(self.tag):])
        if err is not None:
            self._fail(seq, msg.partition(), err.code(), err.name())
        else:
            self._ack(seq, msg.partition(), msg.offset())

    def _run(self):
        interval = 1.0 / self.rate
        t_next = time.monotonic()
        while not self._stop.is_set():
            now = time.monotonic()
            while t_next <= now and not self._stop.is_set():
                seq = self.sent
                try:
                    self.producer.produce(self.topic, key=self.key(seq), value=self.value(seq),
                                          partition=seq % self.partitions, on_delivery=self._cb)
                except BufferError:
                    break
                self.sent += 1
                t_next += interval
            self.producer.poll(min(0.01, max(0.0, t_next - time.monotonic())))

    def start(self):
        return self._start_threads([("client-load", self._run, ())])

    def stop(self, flush_timeout=30.0):
        """Stops producing and waits for every delivery report."""
        self._join()
        left = self.producer.flush(flush_timeout)
        if left:
            raise AssertionError("%d messages without a delivery report after %.0fs" % (left, flush_timeout))
        with self.lock:
            reported = len(self.acked) + len(self.failed)
        if reported != self.sent:
            raise AssertionError("%d messages sent but %d delivery reports" % (self.sent, reported))

    def close(self):
        """Stops the thread and drops the producer and whatever it still
        holds (cleanup after a failed test; stop() is the normal end)."""
        self._stop.set()
        for t in self._threads:
            t.join(10.0)
        if self.producer is not None:
            self.producer.purge()
            self.producer.flush(0)
            self.producer = None


class RawLoad(_Load):
    """One thread per partition sending one-record acks=all Produce requests
    over the raw client to the leader Metadata names, one at a time, each
    message once: an error or a missing answer is recorded and the next
    message follows (after a Metadata refresh)."""

    tag = b"r"
    strict = True

    def __init__(self, cluster, topic, partitions, rate=60, value_bytes=100, request_timeout_ms=1500):
        super().__init__(topic, partitions, rate, value_bytes)
        self.cluster = cluster
        self.request_timeout_ms = request_timeout_ms
        self.sent_by_partition = [0] * partitions

    @staticmethod
    def _retriable(code):
        return code in RETRIABLE_CODES

    def _leader(self, p):
        try:
            leader = self.cluster.leader(self.topic, p)
        except (AssertionError, OSError):
            return None
        return self.cluster.node(leader) if leader >= 0 else None

    def _run(self, p):
        interval = self.partitions / self.rate
        conns = {}
        node = None
        t_next = time.monotonic()
        try:
            while not self._stop.wait(max(0.0, t_next - time.monotonic())):
                t_next = max(t_next + interval, time.monotonic() - interval)
                if node is None:
                    node = self._leader(p)
                    if node is None:
                        continue
                seq = self.sent_by_partition[p] * self.partitions + p
                self.sent_by_partition[p] += 1
                with self.lock:
                    self.sent += 1
                code = self._send(conns, node, p, seq)
                if code != 0:
                    node = None
        finally:
            for c in conns.values():
                c.close()

    def _send(self, conns, node, p, seq):
        """Sends message seq once; records and returns its outcome (None:
        no answer)."""
        batch = kafkawire.build_batch([(self.key(seq), self.value(seq))])
        try:
            c = conns.get(node.node_id)
            if c is None:
                c = conns[node.node_id] = kafkawire.RawClient("127.0.0.1", node.port, timeout=3.0)
            r = c.produce(self.topic, p, batch, acks=-1, timeout_ms=self.request_timeout_ms,
                          timeout=self.request_timeout_ms / 1000.0 + 1.0)
        except (OSError, kafkawire.ConnectionClosed, kafkawire.ShortRead) as e:
            # The connection may still hold the request: never reuse it.
            c = conns.pop(node.node_id, None)
            if c is not None:
                c.close()
            self._fail(seq, p, None, "no answer (%s)" % e.__class__.__name__)
            return None
        if r["error_code"] == 0:
            self._ack(seq, p, r["base_offset"])
        else:
            self._fail(seq, p, r["error_code"], "error %d" % r["error_code"])
        return r["error_code"]

    def start(self):
        return self._start_threads([("raw-load-%d" % p, self._run, (p,)) for p in range(self.partitions)])

    def stop(self):
        self._join()

    def close(self):
        self._stop.set()
        for t in self._threads:
            t.join(10.0)


class Loads:
    """The two producers of a test, waited on together."""

    def __init__(self, *loads):
        self.all = loads

    def wait_acks(self, partitions, after, n, timeout, what):
        for load in self.all:
            load.wait_acks(partitions, after, n, timeout, what)

    def first_ack_after(self, partitions, after):
        """When the librdkafka producer (the first load) had an
        acknowledgement on every one of `partitions` after `after` (the raw
        producer's figure mostly shows its own request timeout)."""
        return max(self.all[0].first_ack_after([p], after) for p in partitions)

    def stop(self):
        for load in self.all:
            load.stop()

    def non_retriable_errors(self):
        out = {}
        for load in self.all:
            out.update({(load.__class__.__name__, seq): f for seq, f in load.non_retriable_errors().items()})
        return out


def flat(figures):
    """verify_log figures as report keywords."""
    return {"%s_%s" % (name, k): v for name, fig in figures.items() for k, v in fig.items()}


def high_watermark(cluster, topic, partition):
    """The partition's high watermark from its leader (ListOffsets latest,
    which is what a consumer may read up to), over the raw client: every
    call is bounded by a socket timeout."""
    leader = cluster.leader(topic, partition)
    if leader < 0:
        raise AssertionError("%s/%d has no leader" % (topic, partition))
    node = cluster.node(leader)
    with kafkawire.RawClient("127.0.0.1", node.port, timeout=3.0) as c:
        err, _, offset = c.list_offsets(topic, partition, -1)
    if err != 0:
        raise AssertionError("ListOffsets %s/%d on node %d: error %d" % (topic, partition, leader, err))
    return offset


def wait_high_watermarks(cluster, topic, ends, timeout=20.0):
    """Waits until each partition's high watermark reaches ends[p] (an
    acknowledged offset must become readable); returns the watermarks."""
    seen = {}

    def reached():
        for p in ends:
            seen[p] = high_watermark(cluster, topic, p)
        return all(seen[p] >= ends[p] for p in ends)
    try:
        wait_until(reached, timeout, 0.1, "high watermarks of %s to reach %r" % (topic, ends))
    except harness.WaitTimeout as e:
        raise harness.WaitTimeout("%s; last seen %r" % (e, seen))
    return dict(seen)


def consume_all(cluster, topic, ends, timeout=60.0):
    """Every message below ends[p] of each partition, read from the
    beginning with confluent-kafka (assign, no group): {p: [Message]}."""
    c = clients.consumer(cluster, log_level=2)
    try:
        out = {p: [] for p in ends}
        todo = {p for p, end in ends.items() if end > 0}
        c.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in ends])
        deadline = time.monotonic() + timeout
        while todo:
            if time.monotonic() > deadline:
                raise AssertionError("consume %s timed out; progress %r, ends %r"
                                     % (topic, {p: len(v) for p, v in out.items()}, ends))
            for m in c.consume(1000, 0.5):
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF or not clients.is_partition_error(m):
                        continue
                    raise AssertionError("consumer error on %s/%s: %s" % (m.topic(), m.partition(), m.error()))
                if m.offset() < ends[m.partition()]:
                    out[m.partition()].append(m)
                if m.offset() + 1 >= ends[m.partition()]:
                    todo.discard(m.partition())
        return out
    finally:
        c.close()


def _check_load(load, records, problem):
    """Checks one load against the records read back: {seq: [(p, offset)]}
    from records [(partition, offset, seq)] in offset order."""
    name = load.__class__.__name__
    where = {}
    for p, off, seq in records:
        if seq % load.partitions != p:
            problem("%s: wrong partition" % name, "seq %d (partition %d) in partition %d" % (seq, seq % load.partitions, p))
        where.setdefault(seq, []).append((p, off))
    dup_acked = 0
    examples = []
    for seq, places in where.items():
        if len(places) > 1:
            acked = seq in load.acked
            dup_acked += acked
            if len(examples) < 3:
                examples.append("seq%d@%s%s" % (seq, "+".join("%d/%d" % x for x in places),
                                                 ",acked@%d/%d" % load.acked[seq][:2] if acked else ""))
            if load.strict:
                problem("%s: duplicate" % name, "seq %d (%s, sent once) at %r"
                        % (seq, "acked" if acked else "not acked", places))
    for seq, (p, off, _) in sorted(load.acked.items()):
        places = where.get(seq, [])
        if not places:
            problem("%s: acknowledged but lost" % name, "seq %d acked at %d/%d" % (seq, p, off))
        elif (p, off) not in places:
            problem("%s: acknowledged at another offset" % name, "seq %d acked at %d/%d, found at %r"
                    % (seq, p, off, places))
    if load.strict:
        last = {}
        for seq, (p, off, _) in sorted(load.acked.items(), key=lambda kv: (kv[1][0], kv[1][1])):
            if p in last and seq < last[p]:
                problem("%s: acknowledged out of production order" % name,
                        "%d/%d holds seq %d after acknowledged seq %d" % (p, off, seq, last[p]))
            last[p] = max(last.get(p, -1), seq)
    return dict(acked=len(load.acked), failed=len(load.failed), in_log=len(where),
                unacked_in_log=len(set(where) - set(load.acked)),
                copies_beyond_first=sum(len(v) - 1 for v in where.values()), acked_with_copies=dup_acked,
                copies=",".join(examples) or "-", errors=load.error_summary())


def verify_log(tc, cluster, loads, forbidden_values=(), timeout=60.0):
    """Reads every partition of the loads' topic from the beginning and
    checks: offsets run without gaps; every record belongs to a load; no
    value in forbidden_values is present; and each load's own rules (see the
    module docstring).  Returns {load class name: figures}."""
    topic, nparts = loads[0].topic, loads[0].partitions
    ends = {p: 0 for p in range(nparts)}
    for load in loads:
        for seq, (p, off, _) in load.acked.items():
            ends[p] = max(ends[p], off + 1)
    ends = wait_high_watermarks(cluster, topic, ends, timeout=20.0)
    got = consume_all(cluster, topic, ends, timeout=timeout)
    problems = {}

    def problem(kind, text):
        problems.setdefault(kind, []).append(text)
    per_load = {id(load): [] for load in loads}
    for p, msgs in got.items():
        expect = 0
        for m in msgs:
            if m.offset() != expect:
                problem("offset gap", "%s/%d: offset %d follows %d" % (topic, p, m.offset(), expect - 1))
            expect = m.offset() + 1
            if m.value() in forbidden_values:
                problem("refused write present", "%s/%d offset %d: %r" % (topic, p, m.offset(), m.value()))
                continue
            for load in loads:
                seq = load.parse(m.key(), m.value())
                if seq is not None:
                    per_load[id(load)].append((p, m.offset(), seq))
                    break
            else:
                problem("foreign record", "%s/%d offset %d: key=%r value=%r"
                        % (topic, p, m.offset(), m.key(), (m.value() or b"")[:40]))
    figures = {}
    for load in loads:
        figures[load.__class__.__name__] = _check_load(load, per_load[id(load)], problem)
    if problems:
        lines = []
        for kind, items in problems.items():
            lines.append("%s: %d, e.g." % (kind, len(items)))
            lines += ["    " + x for x in items[:8]]
        tc.fail("log check of %s failed:\n  %s\nfigures: %r" % (topic, "\n  ".join(lines), figures))
    return figures
