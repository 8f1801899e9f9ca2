"""Consumers of the chaos workload (see workload.py)."""

import threading
import time

from workload import NET_ERRORS, Conns, CorruptServed, records_of


class AssignConsumer(threading.Thread):
    """Reads every partition by explicit assignment from its leader, one
    Fetch per poll.  With probability 1/150 per poll it restarts one
    partition at an earlier offset, which begins a new session."""

    def __init__(self, wl, proc, rng):
        super().__init__(daemon=True, name="assign-%d" % proc)
        self.wl = wl
        self.proc = proc
        self.rng = rng
        self.positions = {p: 0 for p in range(wl.partitions)}
        self.sessions = {p: 0 for p in range(wl.partitions)}
        self.hw = {}

    def caught_up(self):
        return all(self.hw.get(p, -1) >= 0 and self.positions[p] >= self.hw[p] for p in self.positions)

    def run(self):
        conns = Conns(self.wl.cluster, timeout=5.0)
        try:
            p = 0
            while not self.wl.stop_consumers.is_set():
                self.poll(conns, p)
                p = (p + 1) % self.wl.partitions
        finally:
            conns.close()

    def session(self, p):
        return "a%d-p%d-%d" % (self.proc, p, self.sessions[p])

    def poll(self, conns, p):
        wl, h = self.wl, self.wl.history
        if self.rng.random() < 1.0 / 150 and self.positions[p] > 0:
            self.sessions[p] += 1
            self.positions[p] = self.rng.randrange(self.positions[p])
        op = dict(f="poll", mode="assign", proc=self.proc, session=self.session(p), partition=p,
                  position=self.positions[p], invoke_t=h.now())
        wl.leaders.refresh()
        leader = wl.leaders.get(p)
        if leader <= 0:
            time.sleep(0.05)
            return
        try:
            resp = conns.get(leader).fetch(wl.topic, p, self.positions[p], max_wait_ms=100, timeout=5.0)
        except NET_ERRORS as e:
            conns.drop(leader)
            op.update(outcome="fail", error="%s: %s" % (type(e).__name__, e), complete_t=h.now())
            h.add(op)
            wl.leaders.refresh(force=True)
            time.sleep(0.05)
            return
        op["complete_t"] = h.now()
        if resp["error_code"] != 0:
            op.update(outcome="fail", error="kafka error %d" % resp["error_code"])
            h.add(op)
            wl.leaders.refresh(force=True)
            time.sleep(0.05)
            return
        self.hw[p] = resp["high_watermark"]
        try:
            recs = [(o, v) for o, v in records_of(resp["records"]) if o >= self.positions[p]]
        except CorruptServed as e:
            op.update(outcome="ok", reads={p: []}, error=str(e), corrupt_served=True)
            h.add(op)
            return
        op.update(outcome="ok", reads={p: [[o, v] for o, v in recs]})
        if recs:
            self.positions[p] = recs[-1][0] + 1
            h.add(op)


class GroupConsumer(threading.Thread):
    """A confluent-kafka consumer in group "chaos-group" with manual commits."""

    GROUP = "chaos-group"

    def __init__(self, wl, proc):
        super().__init__(daemon=True, name="group-%d" % proc)
        self.wl = wl
        self.proc = proc
        self.generation = 0
        self.assigned = []
        self.done = False
        self.error = None

    def caught_up(self):
        return True  # the final read, not this consumer, is the ground truth

    def _on_assign(self, consumer, parts):
        self.generation += 1
        self.assigned = [tp.partition for tp in parts]

    def _on_revoke(self, consumer, parts):
        self.generation += 1
        self.assigned = []

    def run(self):
        try:
            import confluent_kafka
        except ImportError as e:
            self.error = "confluent_kafka unavailable: %s" % e
            return
        wl = self.wl
        boot = ",".join("%s:%d" % (n.host, n.port) for n in wl.cluster.nodes.values())
        consumer = confluent_kafka.Consumer({
            "bootstrap.servers": boot, "group.id": self.GROUP, "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500, "max.poll.interval.ms": 60000,
            "topic.metadata.refresh.interval.ms": 1000, "logger": _quiet_logger(),
        })
        consumer.subscribe([wl.topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
        last_committed_read = time.monotonic()
        try:
            while not wl.stop_consumers.is_set():
                self._poll(consumer)
                if time.monotonic() - last_committed_read > 1.0:
                    self._read_committed(consumer)
                    last_committed_read = time.monotonic()
        finally:
            consumer.close()

    def _poll(self, consumer):
        import confluent_kafka
        h = self.wl.history
        session = "g%d-%d" % (self.proc, self.generation)
        op = dict(f="poll", mode="group", proc=self.proc, session=session, invoke_t=h.now())
        try:
            msgs = consumer.consume(num_messages=200, timeout=0.5)
        except confluent_kafka.KafkaException as e:
            op.update(outcome="fail", error=str(e), complete_t=h.now())
            h.add(op)
            return
        op["complete_t"] = h.now()
        if session != "g%d-%d" % (self.proc, self.generation):
            # A rebalance ran inside consume(): what it returned may span both
            # assignments, so it begins a session of its own.
            self.generation += 1
            op["session"] = "g%d-%d" % (self.proc, self.generation)
        reads, errors = {}, []
        for m in msgs:
            if m.error():
                errors.append(str(m.error()))
                continue
            from workload import decode_value
            reads.setdefault(m.partition(), []).append([m.offset(), decode_value(m.value())])
        if not reads:
            return
        op.update(outcome="ok", reads=reads)
        if errors:
            op["errors"] = errors[:5]
        h.add(op)
        self._commit(consumer, {p: rs[-1][0] + 1 for p, rs in reads.items()})

    def _commit(self, consumer, offsets):
        import confluent_kafka
        h = self.wl.history
        tps = [confluent_kafka.TopicPartition(self.wl.topic, p, o) for p, o in sorted(offsets.items())]
        t0 = h.now()
        try:
            res = consumer.commit(offsets=tps, asynchronous=False)
            outcome, err = "ok", None
            bad = [tp for tp in res or [] if tp.error]
            if bad:
                outcome, err = "info", str(bad[0].error)
        except confluent_kafka.KafkaException as e:
            outcome, err = "info", str(e)
        t1 = h.now()
        for tp in tps:
            op = dict(f="commit", proc=self.proc, group=self.GROUP, partition=tp.partition, offset=tp.offset,
                      invoke_t=t0, complete_t=t1, outcome=outcome)
            if err:
                op["error"] = err
            h.add(op)

    def _read_committed(self, consumer):
        import confluent_kafka
        h = self.wl.history
        tps = [confluent_kafka.TopicPartition(self.wl.topic, p) for p in range(self.wl.partitions)]
        t0 = h.now()
        try:
            res = consumer.committed(tps, timeout=5.0)
        except confluent_kafka.KafkaException:
            return
        t1 = h.now()
        for tp in res:
            if tp.error:
                continue
            h.add(dict(f="committed", proc=self.proc, group=self.GROUP, partition=tp.partition,
                       offset=tp.offset if tp.offset >= 0 else -1, invoke_t=t0, complete_t=t1, outcome="ok"))


def _quiet_logger():
    import logging
    log = logging.getLogger("chaos-rdkafka")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    return log
