"""kafka-python and confluent-kafka producers and consumers (assign, no
group) against one skiffd.  kafka-python verifies the CRC-32C of every
fetched batch, so it checks the bytes the broker stores and serves."""

import time
import unittest

import kafka
from kafka import TopicPartition as KTP

import clients
from harness import SkiffTestCase

N = 20_000
PARTITIONS = 3


def value_of(topic, seq):
    word = "%08x" % ((seq * 2246822519) & 0xFFFFFFFF)
    return ("%s-%d-%s" % (topic, seq, word * (seq % 9))).encode()


def headers_of(seq):
    return [("seq", str(seq).encode()), ("kind", b"even" if seq % 2 == 0 else b"odd")]


class PythonClientsTest(SkiffTestCase):

    def setUp(self):
        super().setUp()
        self.b = self.start_broker({"num.partitions": PARTITIONS})

    def check(self, topic, per_part):
        """per_part: {partition: [(offset, key, value, headers, ts)]} in read order."""
        seen = set()
        for p, msgs in per_part.items():
            self.assertEqual([m[0] for m in msgs], list(range(len(msgs))),
                             "partition %d offsets not contiguous from 0" % p)
            seqs = []
            for off, key, value, headers, _ in msgs:
                seq = int(key)
                self.assertNotIn(seq, seen, "message %d read twice" % seq)
                seen.add(seq)
                seqs.append(seq)
                self.assertEqual(value, value_of(topic, seq), "message %d value" % seq)
                if seq % 5 == 0:
                    self.assertEqual(list(headers or []), headers_of(seq), "message %d headers" % seq)
                else:
                    self.assertFalse(headers, "message %d should have no headers" % seq)
            self.assertEqual(seqs, sorted(seqs), "partition %d out of production order" % p)
        self.assertEqual(len(seen), N, "read %d distinct messages of %d" % (len(seen), N))
        self.assertEqual(seen, set(range(N)))
        self.assertEqual(sorted(p for p, m in per_part.items() if m), list(range(PARTITIONS)))

    def test_kafka_python_produce_consume(self):
        topic = clients.unique("kp")
        clients.create_topic(self.b, topic, PARTITIONS)
        prod = kafka.KafkaProducer(bootstrap_servers=self.b.bootstrap, acks="all", linger_ms=5,
                                   batch_size=64 * 1024, max_in_flight_requests_per_connection=1,
                                   retries=0, request_timeout_ms=15000)
        try:
            futs = []
            for seq in range(N):
                futs.append(prod.send(topic, key=str(seq).encode(), value=value_of(topic, seq),
                                      partition=seq % PARTITIONS,
                                      headers=headers_of(seq) if seq % 5 == 0 else None))
            prod.flush(60)
            for seq, f in enumerate(futs):
                md = f.get(timeout=1)
                self.assertEqual(md.partition, seq % PARTITIONS)
                self.assertEqual(md.offset, seq // PARTITIONS, "message %d acked at an unexpected offset" % seq)
        finally:
            prod.close(10)

        cons = kafka.KafkaConsumer(bootstrap_servers=self.b.bootstrap, group_id=None,
                                   enable_auto_commit=False, check_crcs=True,
                                   auto_offset_reset="none", fetch_max_wait_ms=100,
                                   consumer_timeout_ms=1000)
        try:
            tps = [KTP(topic, p) for p in range(PARTITIONS)]
            cons.assign(tps)
            cons.seek_to_beginning(*tps)
            ends = cons.end_offsets(tps)
            self.assertEqual(sum(ends.values()), N)
            per_part = {p: [] for p in range(PARTITIONS)}
            deadline = time.monotonic() + 60
            while sum(len(v) for v in per_part.values()) < N:
                self.assertLess(time.monotonic(), deadline, "kafka-python consume timed out")
                for tp, recs in cons.poll(timeout_ms=500, max_records=5000).items():
                    for r in recs:
                        per_part[tp.partition].append((r.offset, r.key, r.value, r.headers, r.timestamp))
        finally:
            cons.close()
        self.check(topic, per_part)

    def test_confluent_produce_consume(self):
        topic = clients.unique("ck")
        clients.create_topic(self.b, topic, PARTITIONS)
        acks = clients.AckLog()
        prod = clients.producer(self.b)
        for seq in range(N):
            while True:
                try:
                    prod.produce(topic, key=str(seq).encode(), value=value_of(topic, seq),
                                 headers=headers_of(seq) if seq % 5 == 0 else None,
                                 on_delivery=acks.cb)
                    break
                except BufferError:
                    prod.poll(0.05)
            prod.poll(0)
        clients.flush_all(prod)
        self.assertEqual(acks.errors, [])
        self.assertEqual(len(acks.acked), N)
        got = clients.consume_partitions(self.b, topic, range(PARTITIONS))
        per_part = {p: [(m.offset(), m.key(), m.value(), m.headers(), m.timestamp()[1]) for m in msgs]
                    for p, msgs in got.items()}
        self.check(topic, per_part)
        # Each delivery report names the offset the message was read back at.
        at = {(p, m[0]): int(m[1]) for p, msgs in per_part.items() for m in msgs}
        for p, off, key, _ in acks.acked:
            self.assertEqual(at[(p, off)], int(key))


if __name__ == "__main__":
    unittest.main()
