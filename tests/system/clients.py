"""Helpers around the real client libraries (confluent-kafka, kafka-python)."""

import time
import uuid

import confluent_kafka
from confluent_kafka import KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness import wait_until


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def admin(broker):
    return AdminClient({"bootstrap.servers": broker.bootstrap, "socket.timeout.ms": 10000,
                        "log.connection.close": False})


def wait_topic_ready(broker, topic, partitions, timeout=15.0):
    """Waits until Metadata shows topic with `partitions` partitions, each
    with a leader and no error."""
    def ready():
        with broker.raw(timeout=5.0) as c:
            md = c.metadata([topic])
        t = md["topics"].get(topic)
        if t is None or t["error_code"] != 0 or len(t["partitions"]) != partitions:
            return False
        return all(p["error_code"] == 0 and p["leader"] >= 0 for p in t["partitions"])
    wait_until(ready, timeout, 0.05, "topic %s with %d ready partitions" % (topic, partitions))


def create_topic(broker, topic, partitions=1, config=None, if_missing=False, timeout=15.0):
    # The AdminClient must outlive its futures, or they never complete.
    a = admin(broker)
    fs = a.create_topics([NewTopic(topic, partitions, 1, config=config or {})], operation_timeout=timeout)
    try:
        fs[topic].result(timeout)
    except confluent_kafka.KafkaException as e:
        if not (if_missing and e.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS):
            raise AssertionError("CreateTopics %s failed: %s" % (topic, e))
    wait_topic_ready(broker, topic, partitions, timeout)


class AckLog:
    """Delivery-report collector for a confluent-kafka producer."""

    def __init__(self):
        self.acked = []    # (partition, offset, key, value)
        self.errors = []   # (key, error)

    def cb(self, err, msg):
        if err is not None:
            self.errors.append((msg.key(), err))
        else:
            self.acked.append((msg.partition(), msg.offset(), msg.key(), msg.value()))


def producer(broker, **conf):
    base = {"bootstrap.servers": broker.bootstrap, "linger.ms": 5, "acks": "all"}
    base.update(conf)
    return confluent_kafka.Producer(base)


def consumer(broker, **conf):
    # confluent-kafka 1.7 insists on a group.id even for assign(); offsets are
    # never committed and every partition is assigned explicitly.
    base = {"bootstrap.servers": broker.bootstrap, "group.id": unique("assign-only"),
            "enable.auto.commit": False, "enable.auto.offset.store": False,
            "enable.partition.eof": True, "auto.offset.reset": "error",
            "fetch.wait.max.ms": 100}
    base.update(conf)
    return confluent_kafka.Consumer(base)


def is_partition_error(m):
    """True for an error event about a partition; client-level events (a
    dropped connection being retried, group-coordinator lookups of the
    assign-only consumer) carry no topic and are not failures by themselves,
    unless librdkafka calls them fatal."""
    if m.error().fatal():
        return True
    return m.topic() is not None


def poll_partition_event(c, timeout):
    """Next message or partition error event, skipping client-level events."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = c.poll(min(0.5, max(0.0, deadline - time.monotonic())))
        if m is None:
            continue
        if m.error() and not is_partition_error(m):
            continue
        return m
    return None


def flush_all(p, timeout=60.0):
    left = p.flush(timeout)
    if left:
        raise AssertionError("%d messages still undelivered after %.0fs" % (left, timeout))


def consume_partitions(broker, topic, partitions, start=confluent_kafka.OFFSET_BEGINNING,
                       timeout=60.0, **conf):
    """Reads every message of the given partitions up to the high watermark
    seen at start with confluent-kafka (assign, no group).  Returns
    {partition: [Message]} in offset order."""
    c = consumer(broker, **conf)
    try:
        ends = {}
        for p in partitions:
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10.0)
            ends[p] = hi
        out = {p: [] for p in partitions}
        todo = {p for p in partitions if ends[p] > 0}
        c.assign([TopicPartition(topic, p, start) for p in partitions])
        deadline = time.monotonic() + timeout
        while todo:
            if time.monotonic() > deadline:
                raise AssertionError("consume %s timed out; progress %r, ends %r"
                                     % (topic, {p: len(v) for p, v in out.items()}, ends))
            for m in c.consume(1000, 0.5):
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF or not is_partition_error(m):
                        continue
                    raise AssertionError("consumer error on %s/%s: %s" % (m.topic(), m.partition(), m.error()))
                out[m.partition()].append(m)
                if m.offset() + 1 >= ends[m.partition()]:
                    todo.discard(m.partition())
        return out
    finally:
        c.close()
