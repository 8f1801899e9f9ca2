"""Retention by size and by time: old segments are deleted, the log start
offset advances to a segment boundary, and fetching below it is refused with
OFFSET_OUT_OF_RANGE."""

import os
import time
import unittest

from confluent_kafka import KafkaError, TopicPartition
from confluent_kafka.admin import ConfigResource

import clients
import kafkawire
from harness import SkiffTestCase, wait_until

SEGMENT_BYTES = 20_000
VALUE = b"x" * 1000
OFFSET_OUT_OF_RANGE = 1


def segment_files(pdir):
    return sorted(f for f in os.listdir(pdir) if f.endswith(".log"))


class RetentionTest(SkiffTestCase):

    def produce_batches(self, topic, count, timestamp_ms=None):
        with self.b.raw() as c:
            for i in range(count):
                batch = kafkawire.build_batch([(b"%d" % i, VALUE)], base_timestamp=timestamp_ms)
                r = c.produce(topic, 0, batch, acks=1)
                self.assertEqual(r["error_code"], 0)
        return len(batch)

    def earliest(self, topic):
        with self.b.raw() as c:
            err, _, off = c.list_offsets(topic, 0, -2)
            self.assertEqual(err, 0)
            return off

    def check_log_start(self, topic, start):
        pdir = self.b.partition_dir(topic, 0)
        self.assertEqual(segment_files(pdir)[0], "%020d.log" % start,
                         "log start offset should be the base offset of the oldest segment")
        with self.b.raw() as c:
            p = c.fetch(topic, 0, 0)
            self.assertEqual(p["error_code"], OFFSET_OUT_OF_RANGE, "fetch below the log start offset")
            p = c.fetch(topic, 0, start - 1)
            self.assertEqual(p["error_code"], OFFSET_OUT_OF_RANGE)
            p = c.fetch(topic, 0, start)
            self.assertEqual(p["error_code"], 0)
            first = kafkawire.parse_batches(p["records"])[0]
            self.assertEqual(first["base_offset"], start)
        # A consumer that asks for offset 0 with auto.offset.reset=error gets the error.
        cons = clients.consumer(self.b, **{"auto.offset.reset": "error", "enable.partition.eof": False})
        try:
            lo, hi = cons.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
            self.assertEqual(lo, start)
            cons.assign([TopicPartition(topic, 0, 0)])
            m = clients.poll_partition_event(cons, 10)
            self.assertIsNotNone(m, "no error reported for a fetch below the log start")
            self.assertIsNotNone(m.error(), "got a message at offset %d below the log start %d" % (m.offset(), start))
            self.assertIn(m.error().code(), (KafkaError._AUTO_OFFSET_RESET, KafkaError.OFFSET_OUT_OF_RANGE),
                          str(m.error()))
        finally:
            cons.close()

    def test_retention_bytes(self):
        retention = 60_000
        self.b = self.start_broker({"log.segment.bytes": SEGMENT_BYTES, "log.retention.bytes": retention,
                                    "log.retention.check.interval.ms": 200})
        topic = clients.unique("rb")
        clients.create_topic(self.b, topic, 1)
        batch_len = self.produce_batches(topic, 300)
        pdir = self.b.partition_dir(topic, 0)

        def trimmed():
            sizes = [os.path.getsize(os.path.join(pdir, f)) for f in segment_files(pdir)]
            return sum(sizes) <= retention + SEGMENT_BYTES and self.earliest(topic) > 0
        wait_until(trimmed, 15, 0.1, "size retention to delete old segments")
        start = self.earliest(topic)
        per_segment = SEGMENT_BYTES // batch_len
        self.assertGreaterEqual(start, 300 - (retention // batch_len) - 2 * per_segment,
                                "too little deleted")
        self.assertLessEqual(start, 300 - retention // batch_len, "more deleted than retention.bytes requires")
        self.check_log_start(topic, start)
        # Writes continue at the old end.
        with self.b.raw() as c:
            r = c.produce(topic, 0, kafkawire.build_batch([(b"k", b"after")]), acks=1)
            self.assertEqual((r["error_code"], r["base_offset"]), (0, 300))

    def test_topic_configs_take_effect(self):
        # segment.bytes from CreateTopics and retention.bytes from a later
        # AlterConfigs drive the log, not only DescribeConfigs.
        self.b = self.start_broker({"log.retention.check.interval.ms": 200})
        topic = clients.unique("tc")
        clients.create_topic(self.b, topic, 1, config={"segment.bytes": str(SEGMENT_BYTES)})
        batch_len = self.produce_batches(topic, 100)
        pdir = self.b.partition_dir(topic, 0)
        self.assertGreaterEqual(len(segment_files(pdir)), 100 * batch_len // SEGMENT_BYTES - 1,
                                "topic segment.bytes ignored: %s" % segment_files(pdir))
        self.assertEqual(self.earliest(topic), 0, "deleted before any retention was set")
        a = clients.admin(self.b)
        res = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={"retention.bytes": "30000",
                                                                          "segment.bytes": str(SEGMENT_BYTES)})
        self.assertIsNone(a.alter_configs([res])[res].result(15))
        wait_until(lambda: self.earliest(topic) > 0, 15, 0.1, "altered retention.bytes to delete segments")
        start = self.earliest(topic)
        self.assertLessEqual(start, 100 - 30_000 // batch_len)
        self.check_log_start(topic, start)

    def test_retention_ms(self):
        self.b = self.start_broker({"log.segment.bytes": SEGMENT_BYTES, "log.retention.ms": 600_000,
                                    "log.retention.check.interval.ms": 200})
        topic = clients.unique("rt")
        clients.create_topic(self.b, topic, 1)
        hour_ago = int(time.time() * 1000) - 3_600_000
        batch_len = self.produce_batches(topic, 100, hour_ago)
        self.produce_batches(topic, 5)       # fresh records, offsets 100..104
        # Every segment wholly older than retention.ms goes (retention passes
        # may run while the batches are still arriving, so wait for the last
        # one); the segment holding offset 100 (fresh) stays.
        per_segment = SEGMENT_BYTES // batch_len
        wait_until(lambda: self.earliest(topic) >= 100 - per_segment - 1, 15, 0.1,
                   "time retention to delete every old segment")
        start = self.earliest(topic)
        self.assertLessEqual(start, 100, "a segment with fresh records was deleted")
        wait_until(lambda: segment_files(self.b.partition_dir(topic, 0))[0] == "%020d.log" % start, 10, 0.1,
                   "segment files to match the log start")
        self.check_log_start(topic, start)


if __name__ == "__main__":
    unittest.main()
