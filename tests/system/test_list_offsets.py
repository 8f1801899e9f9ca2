"""ListOffsets: earliest/latest watermarks and lookup by timestamp."""

import unittest

import confluent_kafka
from confluent_kafka import TopicPartition

import clients
from harness import SkiffTestCase, wait_until

T0 = 1_600_000_000_000   # explicit CreateTime timestamps, 1 s apart
COUNT = 30


class ListOffsetsTest(SkiffTestCase):

    def setUp(self):
        super().setUp()
        self.b = self.start_broker()
        self.topic = clients.unique("ts")
        clients.create_topic(self.b, self.topic, 2)
        # Three flushes, so the timestamps span several batches: offsets
        # 0..9, 10..19, 20..29 of partition 0 carry T0 + offset * 1000.
        acks = clients.AckLog()
        p = clients.producer(self.b, **{"linger.ms": 50})
        for chunk in range(3):
            for i in range(chunk * 10, chunk * 10 + 10):
                p.produce(self.topic, value=b"m%d" % i, partition=0, timestamp=T0 + i * 1000, on_delivery=acks.cb)
            clients.flush_all(p, 20)
        self.assertEqual(acks.errors, [])
        self.assertEqual(sorted(a[1] for a in acks.acked), list(range(COUNT)))
        self.consumer = clients.consumer(self.b)
        self.addCleanup(self.close_consumer)

    def close_consumer(self):
        if self.consumer is not None:
            self.consumer.close()
            self.consumer = None

    def lookup(self, ts):
        res = self.consumer.offsets_for_times([TopicPartition(self.topic, 0, ts)], timeout=10)
        self.assertIsNone(res[0].error)
        return res[0].offset

    def test_watermarks(self):
        self.assertEqual(self.consumer.get_watermark_offsets(TopicPartition(self.topic, 0), timeout=10), (0, COUNT))
        self.assertEqual(self.consumer.get_watermark_offsets(TopicPartition(self.topic, 1), timeout=10), (0, 0))
        with self.b.raw() as c:
            self.assertEqual(c.list_offsets(self.topic, 0, -2), (0, -1, 0))
            err, _, off = c.list_offsets(self.topic, 0, -1)
            self.assertEqual((err, off), (0, COUNT))

    def test_offsets_for_times(self):
        self.assertEqual(self.lookup(T0 - 5000), 0, "before everything: first offset")
        self.assertEqual(self.lookup(T0), 0)
        for i in (1, 9, 10, 11, 19, 20, 29):
            self.assertEqual(self.lookup(T0 + i * 1000), i, "exact timestamp of offset %d" % i)
            self.assertEqual(self.lookup(T0 + i * 1000 - 500), i, "between offsets %d and %d" % (i - 1, i))
        # After the last timestamp there is no such offset: librdkafka reports -1 (OFFSET_END).
        self.assertEqual(self.lookup(T0 + COUNT * 1000 + 1), confluent_kafka.OFFSET_END)
        # The raw reply carries the timestamp of the record found.
        with self.b.raw() as c:
            self.assertEqual(c.list_offsets(self.topic, 0, T0 + 12_500), (0, T0 + 13_000, 13))
            self.assertEqual(c.list_offsets(self.topic, 0, T0 + COUNT * 1000 + 1), (0, -1, -1))

    def test_offsets_for_times_survives_restart(self):
        # The time index is rebuilt or reloaded after a crash.
        self.close_consumer()
        self.b.kill()
        self.b.start()
        self.consumer = clients.consumer(self.b)
        wait_until(lambda: self.lookup(T0 + 17_000) == 17, 15, 0.1, "offsets_for_times after restart")
        self.assertEqual(self.lookup(T0 + 2_100), 3)


if __name__ == "__main__":
    unittest.main()
