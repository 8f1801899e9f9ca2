"""Fetch long polling: a fetch at the log end waits up to max_wait_ms, wakes
as soon as data arrives, and an idle consumer costs the broker little CPU."""

import socket
import time
import unittest

from confluent_kafka import TopicPartition

import clients
import kafkawire
from harness import SkiffTestCase, proc_cpu_seconds


class LongPollTest(SkiffTestCase):

    def setUp(self):
        super().setUp()
        self.b = self.start_broker()
        self.topic = clients.unique("lp")
        clients.create_topic(self.b, self.topic, 1)
        with self.b.raw() as c:
            r = c.produce(self.topic, 0, kafkawire.build_batch([(b"k0", b"first")]), acks=1)
            self.assertEqual((r["error_code"], r["base_offset"]), (0, 0))

    def test_raw_fetch_wakes_on_produce(self):
        with self.b.raw() as waiter, self.b.raw() as writer:
            waiter.send(1, 4, waiter.fetch_request(self.topic, 0, 1, max_wait_ms=10_000, min_bytes=1))
            # The fetch is parked: nothing comes back while there is no data.
            with self.assertRaises(socket.timeout):
                waiter.recv(timeout=0.4)
            t0 = time.monotonic()
            r = writer.produce(self.topic, 0, kafkawire.build_batch([(b"k1", b"wake-up")]), acks=1)
            self.assertEqual((r["error_code"], r["base_offset"]), (0, 1))
            _, body = waiter.recv(timeout=12)
            latency = time.monotonic() - t0
            p = kafkawire.parse_fetch_v4(kafkawire.Reader(body), self.topic, 0)
            self.assertEqual(p["error_code"], 0)
            recs = [r for bt in kafkawire.parse_batches(p["records"]) for r in bt["records"]]
            self.assertEqual([(r["offset"], r["value"]) for r in recs], [(1, b"wake-up")])
            self.assertLess(latency, 1.0, "parked fetch answered %.3fs after the produce (max wait 10s)" % latency)

    def test_raw_fetch_waits_when_idle(self):
        with self.b.raw() as c:
            cpu0 = proc_cpu_seconds(self.b.pid)
            t0 = time.monotonic()
            p = c.fetch(self.topic, 0, 1, max_wait_ms=1500, min_bytes=1, timeout=10)
            waited = time.monotonic() - t0
            cpu = proc_cpu_seconds(self.b.pid) - cpu0
        self.assertEqual(p["error_code"], 0)
        self.assertEqual(p["records"], b"")
        self.assertEqual(p["high_watermark"], 1)
        self.assertGreaterEqual(waited, 1.4, "idle fetch returned after %.3fs, max_wait_ms=1500" % waited)
        self.assertLess(waited, 5.0)
        self.assertLess(cpu, 0.2, "broker used %.2fs CPU while one fetch waited %.1fs" % (cpu, waited))

    def test_consumer_wakes_quickly(self):
        cons = clients.consumer(self.b, **{"fetch.wait.max.ms": 8000, "enable.partition.eof": False})
        prod = clients.producer(self.b, **{"linger.ms": 0, "acks": 1})
        try:
            cons.assign([TopicPartition(self.topic, 0, 0)])
            m = clients.poll_partition_event(cons, 15)
            self.assertIsNotNone(m, "first message not consumed")
            self.assertIsNone(m.error())
            self.assertEqual(m.value(), b"first")
            latencies = []
            for i in range(5):
                t0 = time.monotonic()
                prod.produce(self.topic, value=b"live-%d" % i, partition=0)
                prod.poll(0)
                m = clients.poll_partition_event(cons, 12)
                latencies.append(time.monotonic() - t0)
                self.assertIsNotNone(m, "message %d not received within 12s" % i)
                self.assertIsNone(m.error())
                self.assertEqual((m.offset(), m.value()), (i + 1, b"live-%d" % i))
            clients.flush_all(prod, 10)
            self.assertLess(max(latencies), 1.5,
                            "consumer at the log end got new messages after %s s (fetch.wait.max.ms=8000)"
                            % ["%.3f" % x for x in latencies])
        finally:
            cons.close()

    def test_idle_consumer_does_not_spin(self):
        cons = clients.consumer(self.b, **{"fetch.wait.max.ms": 500, "enable.partition.eof": False})
        try:
            cons.assign([TopicPartition(self.topic, 0, 0)])
            m = clients.poll_partition_event(cons, 15)
            self.assertIsNotNone(m)
            self.assertIsNone(m.error())
            cpu0 = proc_cpu_seconds(self.b.pid)
            t0 = time.monotonic()
            while time.monotonic() - t0 < 3.0:
                m = clients.poll_partition_event(cons, 0.5)
                self.assertIsNone(m, "nothing was produced, yet the consumer got %r" % (m and (m.value(), m.error()),))
            cpu = proc_cpu_seconds(self.b.pid) - cpu0
        finally:
            cons.close()
        self.assertLess(cpu, 0.3, "broker used %.2fs CPU in 3s serving one idle consumer" % cpu)


if __name__ == "__main__":
    unittest.main()


class DuplicatePartitionFetchTest(SkiffTestCase):
    """Regression: a parked fetch that names the same partition twice parks
    two waiters of one request on that partition.  Waking them must answer
    once and keep the broker alive (the first answer frees the request)."""

    def test_parked_fetch_naming_a_partition_twice(self):
        b = self.start_broker()
        topic = clients.unique("dup")
        clients.create_topic(b, topic, 1)
        from kafkawire import array, i8, i32, i64, string
        body = (i32(-1) + i32(10_000) + i32(1) + i32(1 << 20) + i8(0) +
                array([topic], lambda t: string(t) + array([0, 0], lambda p: i32(p) + i64(0) + i32(1 << 20))))
        with b.raw() as waiter, b.raw() as writer:
            waiter.send(1, 4, body)
            with self.assertRaises(socket.timeout):
                waiter.recv(timeout=0.3)
            r = writer.produce(topic, 0, kafkawire.build_batch([(b"k", b"v")]), acks=1)
            self.assertEqual(r["error_code"], 0)
            _, resp = waiter.recv(timeout=12)
            rd = kafkawire.Reader(resp)
            rd.i32()  # throttle_time_ms

            def partition(r):
                p = dict(partition=r.i32(), error_code=r.i16(), high_watermark=r.i64())
                r.i64()  # last_stable_offset
                r.array(lambda r: (r.i64(), r.i64()))  # aborted_transactions
                p["records"] = r.nbytes()
                return p
            topics = rd.array(lambda r: (r.string(), r.array(partition)))
            parts = topics[0][1]
            self.assertEqual([(p["partition"], p["error_code"], p["high_watermark"]) for p in parts],
                             [(0, 0, 1), (0, 0, 1)])
        self.assert_broker_serves(b)
