"""Helpers for multi-node tests: topics with a replication factor, leaders
from Metadata, produce loops that follow leadership, reading a partition
from whichever node leads it."""

import time

import confluent_kafka
from confluent_kafka.admin import NewTopic

import clients
import kafkawire
from harness import wait_until

NOT_LEADER_OR_FOLLOWER = 6
REQUEST_TIMED_OUT = 7
NOT_ENOUGH_REPLICAS = 19
NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20


def create_replicated(cluster, topic, partitions, rf, config=None, timeout=20.0):
    a = clients.admin(cluster)
    fs = a.create_topics([NewTopic(topic, partitions, rf, config=config or {})], operation_timeout=timeout)
    try:
        fs[topic].result(timeout)
    except confluent_kafka.KafkaException as e:
        raise AssertionError("CreateTopics %s failed: %s" % (topic, e))
    wait_full_isr(cluster, topic, partitions, rf, timeout)


def wait_full_isr(cluster, topic, partitions, rf, timeout=20.0):
    def full():
        for b in cluster.running():
            t = cluster.metadata([topic], via=b)["topics"].get(topic)
            if not t or t["error_code"] or len(t["partitions"]) != partitions:
                return False
            if any(p["leader"] < 0 or len(p["isr"]) != rf for p in t["partitions"]):
                return False
        return True
    wait_until(full, timeout, 0.05, "%s: %d partitions with %d in-sync replicas on every node"
               % (topic, partitions, rf))


def leader_of(cluster, topic, p):
    """The leader every running node agrees on, or -1."""
    seen = set()
    for b in cluster.running():
        try:
            seen.add(cluster.partition(topic, p, via=b)["leader"])
        except (OSError, AssertionError, KeyError):
            return -1
    return seen.pop() if len(seen) == 1 else -1


def wait_leader(cluster, topic, p, not_in=(), timeout=15.0):
    out = {}

    def elected():
        lead = leader_of(cluster, topic, p)
        if lead > 0 and lead not in not_in and cluster.node(lead).running():
            out["leader"] = lead
            return True
        return False
    wait_until(elected, timeout, 0.02, "a leader for %s/%d outside %r" % (topic, p, list(not_in)))
    return out["leader"]


def produce_one(cluster, topic, p, value, acks=-1, timeout_ms=5000):
    """One produce to whichever node the cluster says leads p; returns the
    partition response, or a dict with error_code -1 on connection trouble."""
    lead = leader_of(cluster, topic, p)
    if lead < 0 or not cluster.node(lead).running():
        return {"error_code": -1}
    try:
        with cluster.node(lead).raw(timeout=timeout_ms / 1000.0 + 2) as c:
            return c.produce(topic, p, kafkawire.build_batch([(b"k", value)]), acks=acks, timeout_ms=timeout_ms)
    except (OSError, AssertionError):
        return {"error_code": -1}


def produce_until_ok(cluster, topic, p, value, timeout=20.0):
    """Retries one acks=all produce until it succeeds; returns (response,
    seconds taken)."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    while time.monotonic() < deadline:
        r = produce_one(cluster, topic, p, value)
        if r["error_code"] == 0:
            return r, time.monotonic() - t0
        time.sleep(0.01)
    raise AssertionError("no acks=all produce to %s/%d succeeded within %.0fs" % (topic, p, timeout))


def read_partition(cluster, topic, p, via=None, timeout=15.0):
    """Every record of p up to the high watermark, read from its leader.
    Leadership may move meanwhile (a returning preferred replica takes it
    back), so a NOT_LEADER answer means: find the leader again and retry."""
    deadline = time.monotonic() + timeout
    while True:
        lead = via if via is not None else wait_leader(cluster, topic, p, timeout=timeout)
        try:
            with cluster.node(lead).raw() as c:
                return kafkawire.fetch_all(c, topic, p)
        except AssertionError as e:
            if "error %d" % NOT_LEADER_OR_FOLLOWER not in str(e) or time.monotonic() > deadline:
                raise


def read_at_least(cluster, topic, p, n, timeout=15.0):
    """Reads p until its high watermark covers n records: after a failover
    the new leader's high watermark catches up once the other ISR members
    fetch from it."""
    deadline = time.monotonic() + timeout
    while True:
        recs, hw = read_partition(cluster, topic, p)
        if len(recs) >= n or time.monotonic() > deadline:
            return recs, hw
        time.sleep(0.02)


def segment_bytes(broker, topic, p):
    """The concatenated .log segment bytes of a stopped broker's replica."""
    import os
    d = broker.partition_dir(topic, p)
    names = sorted(n for n in os.listdir(d) if n.endswith(".log"))
    out = b""
    for n in names:
        with open(os.path.join(d, n), "rb") as f:
            out += f.read()
    return out
