"""One group consumer as its own process, so a test can SIGKILL it.

    group_worker.py LIB BOOTSTRAP GROUP TOPIC SESSION_TIMEOUT_MS [INSTANCE_ID]

LIB is `confluent` (librdkafka) or `kafka-python`.  It subscribes to TOPIC in
GROUP from the earliest offset, commits synchronously after every batch, and
prints one line per event on stdout (flushed):

    A p1,p2,...        its assignment changed (empty after a revocation)
    M partition offset value
    C partition offset a synchronous commit succeeded up to offset (next to read)
    E text             a commit failed (the batch may be consumed again)

It runs until stdin is closed or it gets SIGTERM, then closes the consumer
(leaving the group) and exits 0.
"""

import os
import select
import signal
import sys

stop = False


def on_term(signum, frame):
    global stop
    stop = True


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def stdin_closed():
    r, _, _ = select.select([sys.stdin], [], [], 0)
    return bool(r) and not os.read(sys.stdin.fileno(), 4096)


def run_confluent(bootstrap, group, topic, session_ms, instance):
    from confluent_kafka import Consumer
    conf = {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "session.timeout.ms": session_ms,
            "heartbeat.interval.ms": max(100, session_ms // 5), "fetch.wait.max.ms": 100,
            "topic.metadata.refresh.interval.ms": 1000}
    if instance:
        conf["group.instance.id"] = instance
    c = Consumer(conf)
    last = [None]

    def show(consumer, parts):
        # Inside the callback the new assignment is not applied yet.
        a = sorted(p.partition for p in parts)
        if a != last[0]:
            last[0] = a
            out("A " + ",".join(map(str, a)))

    c.subscribe([topic], on_assign=show, on_revoke=lambda cons, parts: out("A "))
    while not stop and not stdin_closed():
        msgs = c.consume(num_messages=100, timeout=0.1)
        got = False
        for m in msgs:
            if m.error():
                continue
            got = True
            out("M %d %d %s" % (m.partition(), m.offset(), m.value().decode()))
        if got:
            try:
                for tp in c.commit(asynchronous=False) or []:
                    out("C %d %d" % (tp.partition, tp.offset))
            except Exception as e:  # the batch stays uncommitted
                out("E %s" % e)
    c.close()


def run_kafka_python(bootstrap, group, topic, session_ms, instance):
    from kafka import KafkaConsumer
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                      enable_auto_commit=False, session_timeout_ms=session_ms,
                      heartbeat_interval_ms=max(100, session_ms // 5), fetch_max_wait_ms=100,
                      metadata_max_age_ms=1000)
    last = None
    while not stop and not stdin_closed():
        batches = c.poll(timeout_ms=100)
        a = sorted(tp.partition for tp in c.assignment())
        if a != last:
            last = a
            out("A " + ",".join(map(str, a)))
        got = {}
        for tp, records in batches.items():
            for m in records:
                out("M %d %d %s" % (m.partition, m.offset, m.value.decode()))
                got[tp] = m.offset + 1
        if got:
            try:
                c.commit()
                for tp, off in got.items():
                    out("C %d %d" % (tp.partition, off))
            except Exception as e:
                out("E %s" % e)
    c.close()


def main():
    lib, bootstrap, group, topic, session_ms = sys.argv[1:6]
    instance = sys.argv[6] if len(sys.argv) > 6 else None
    signal.signal(signal.SIGTERM, on_term)
    run = run_confluent if lib == "confluent" else run_kafka_python
    run(bootstrap, group, topic, int(session_ms), instance)
    out("X")


if __name__ == "__main__":
    main()
