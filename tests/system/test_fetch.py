"""Fetch and Produce details on the raw wire: byte limits, offsets inside a
batch, several partitions in one request, per-connection response order,
and parked fetches whose client or topic goes away."""

import time
import unittest

import kafka

import clients
import kafkawire
from harness import SkiffTestCase, run_kcat
from kafkawire import array, build_batch, i16, i32, nbytes, string

OFFSET_OUT_OF_RANGE = 1
UNKNOWN_TOPIC_OR_PARTITION = 3


class FetchTest(SkiffTestCase):

    def setUp(self):
        super().setUp()
        self.b = self.start_broker()
        self.topic = clients.unique("f")
        clients.create_topic(self.b, self.topic, 2)

    def produce_batches(self, count, per_batch, value_len, partition=0):
        values = []
        with self.b.raw() as c:
            for i in range(count):
                vals = [b"%04d-%02d-" % (i, j) + b"p" * value_len for j in range(per_batch)]
                r = c.produce(self.topic, partition, build_batch([(None, v) for v in vals]), acks=1)
                self.assertEqual(r["error_code"], 0)
                values += vals
        return values

    def test_offsets_at_and_past_the_end(self):
        self.produce_batches(3, 5, 10)
        with self.b.raw() as c:
            p = c.fetch(self.topic, 0, 15)
            self.assertEqual((p["error_code"], p["records"], p["high_watermark"]), (0, b"", 15))
            self.assertEqual(p["last_stable_offset"], 15)
            self.assertEqual(p["aborted"], [], "aborted_transactions must be an empty array, not null")
            self.assertEqual(c.fetch(self.topic, 0, 16)["error_code"], OFFSET_OUT_OF_RANGE)
            self.assertEqual(c.fetch(self.topic, 0, -1)["error_code"], OFFSET_OUT_OF_RANGE)
            self.assertEqual(c.fetch(self.topic, 9, 0)["error_code"], UNKNOWN_TOPIC_OR_PARTITION)
            self.assertEqual(c.fetch("no-such-topic", 0, 0)["error_code"], UNKNOWN_TOPIC_OR_PARTITION)

    def test_fetch_inside_a_batch_returns_that_batch(self):
        values = self.produce_batches(4, 10, 10)
        with self.b.raw() as c:
            p = c.fetch(self.topic, 0, 17)
            batches = kafkawire.parse_batches(p["records"])
            self.assertEqual(batches[0]["base_offset"], 10, "the batch holding offset 17 comes first")
            recs, hw = kafkawire.fetch_all(c, self.topic, 0, start=17)
            self.assertEqual([r["value"] for r in recs], values[17:])

    def test_oversized_batch_is_returned_whole(self):
        # KIP-74: the first batch is returned even when it exceeds the limits.
        values = self.produce_batches(2, 1, 50_000)
        with self.b.raw() as c:
            p = c.fetch(self.topic, 0, 0, max_bytes=1000, partition_max_bytes=1000)
            self.assertEqual(p["error_code"], 0)
            batches = kafkawire.parse_batches(p["records"])
            self.assertGreaterEqual(len(batches), 1, "no complete batch returned under a small limit")
            self.assertEqual(batches[0]["records"][0]["value"], values[0])

    def test_partition_max_bytes_limits_the_response(self):
        self.produce_batches(20, 1, 10_000)
        with self.b.raw() as c:
            p = c.fetch(self.topic, 0, 0, partition_max_bytes=25_000)
            self.assertEqual(p["error_code"], 0)
            self.assertLessEqual(len(p["records"]), 25_000)
            self.assertGreaterEqual(len(kafkawire.parse_batches(p["records"])), 1)

    def test_produce_several_partitions_in_one_request(self):
        with self.b.raw() as c:
            parts = [(0, build_batch([(None, b"p0")])), (7, build_batch([(None, b"p7")])),
                     (1, build_batch([(None, b"p1a"), (None, b"p1b")]))]
            # The second topic does not exist.
            topic_data = [(self.topic, parts), ("missing-topic", [(0, build_batch([(None, b"m")]))])]
            body = string(None) + i16(-1) + i32(5000) + array(
                topic_data, lambda t: string(t[0]) + array(t[1], lambda p: i32(p[0]) + nbytes(p[1])))
            r = kafkawire.Reader(c.call(0, 7, body))
            topics = r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16(), r.i64(), r.i64(), r.i64()))))
            self.assertEqual([t for t, _ in topics], [self.topic, "missing-topic"])
            got = [(p, err, off) for p, err, off, _, _ in topics[0][1]]
            self.assertEqual(got, [(0, 0, 0), (7, UNKNOWN_TOPIC_OR_PARTITION, -1), (1, 0, 0)])
            self.assertEqual([(p, err) for p, err, _, _, _ in topics[1][1]], [(0, UNKNOWN_TOPIC_OR_PARTITION)])
            self.assertEqual(c.list_offsets(self.topic, 1, -1)[2], 2)

    def test_responses_keep_request_order(self):
        with self.b.raw() as c:
            end = c.list_offsets(self.topic, 0, -1)[2]
            first = c.send(18, 0, b"")
            parked = c.send(1, 4, c.fetch_request(self.topic, 0, end, max_wait_ms=800))
            last = c.send(18, 0, b"")
            t0 = time.monotonic()
            order = [c.recv(5)[0] for _ in range(3)]
            took = time.monotonic() - t0
        self.assertEqual(order, [first, parked, last], "responses out of request order")
        self.assertGreaterEqual(took, 0.7, "the parked fetch did not wait (took %.2fs)" % took)

    def test_client_gone_while_fetch_parked(self):
        end = 0
        for _ in range(20):
            c = self.b.raw()
            c.send(1, 4, c.fetch_request(self.topic, 0, end, max_wait_ms=5000))
            c.close()
        # Data arrives for the parked fetches of clients that are gone.
        with self.b.raw() as c:
            r = c.produce(self.topic, 0, build_batch([(None, b"wake")]), acks=1)
            self.assertEqual(r["error_code"], 0)
        self.assert_broker_serves(self.b)

    def test_topic_deleted_while_fetch_parked(self):
        with self.b.raw() as c:
            c.send(1, 4, c.fetch_request(self.topic, 0, 0, max_wait_ms=10_000))
            a = clients.admin(self.b)
            fs = a.delete_topics([self.topic], operation_timeout=10)
            fs[self.topic].result(10)
            t0 = time.monotonic()
            _, body = c.recv(5)
            took = time.monotonic() - t0
            p = kafkawire.parse_fetch_v4(kafkawire.Reader(body), self.topic, 0)
        self.assertNotEqual(p["error_code"], 0, "a fetch on a deleted topic must report an error")
        self.assertLess(took, 2.0, "parked fetch on a deleted topic answered only after %.1fs" % took)
        self.assert_broker_serves(self.b)

    def test_kafka_python_reads_compressed_batches(self):
        # kafka-python verifies the CRC of every batch it fetches, here over
        # gzip batches that librdkafka compressed and the broker stored.
        lines = b"".join(b"%d:gz-%d-%s\n" % (i, i, b"z" * (i % 50)) for i in range(10_000))
        run_kcat(["-b", self.b.bootstrap, "-P", "-t", self.topic, "-p", "1", "-K", ":", "-z", "gzip"], lines)
        cons = kafka.KafkaConsumer(bootstrap_servers=self.b.bootstrap, group_id=None, enable_auto_commit=False,
                                   check_crcs=True, auto_offset_reset="none", fetch_max_wait_ms=100)
        try:
            tp = kafka.TopicPartition(self.topic, 1)
            cons.assign([tp])
            cons.seek_to_beginning(tp)
            got = []
            deadline = time.monotonic() + 30
            while len(got) < 10_000 and time.monotonic() < deadline:
                for recs in cons.poll(timeout_ms=500).values():
                    got += [(r.offset, r.key, r.value) for r in recs]
        finally:
            cons.close()
        self.assertEqual(len(got), 10_000)
        for i, (off, key, value) in enumerate(got):
            self.assertEqual((off, key, value), (i, b"%d" % i, b"gz-%d-%s" % (i, b"z" * (i % 50))))


if __name__ == "__main__":
    unittest.main()
