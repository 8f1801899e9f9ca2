"""confluent-kafka AdminClient against one skiffd: create, delete, add
partitions, describe configs; the topic list follows each change."""

import os
import unittest

import confluent_kafka
from confluent_kafka import KafkaError
from confluent_kafka.admin import ConfigResource, NewPartitions, NewTopic

import clients
from harness import SkiffTestCase, wait_until


def topic_partitions(admin, topic):
    md = admin.list_topics(timeout=10)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        return None
    return len(t.partitions)


class AdminTest(SkiffTestCase):

    def setUp(self):
        super().setUp()
        self.b = self.start_broker({"auto.create.topics.enable": "false"})
        self.admin = clients.admin(self.b)

    def describe_topic_configs(self, topic):
        res = ConfigResource(ConfigResource.Type.TOPIC, topic)
        return self.admin.describe_configs([res])[res].result(15)

    def test_create_list_delete(self):
        names = [clients.unique("adm"), clients.unique("adm")]
        fs = self.admin.create_topics([NewTopic(n, 2, 1) for n in names], operation_timeout=15)
        for n in names:
            self.assertIsNone(fs[n].result(15))
        for n in names:
            wait_until(lambda: topic_partitions(self.admin, n) == 2, 15, 0.1, "topic %s listed" % n)
        # Creating it again is refused with TOPIC_ALREADY_EXISTS.
        again = self.admin.create_topics([NewTopic(names[0], 2, 1)], operation_timeout=15)
        with self.assertRaises(confluent_kafka.KafkaException) as cm:
            again[names[0]].result(15)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.TOPIC_ALREADY_EXISTS)

        fs = self.admin.delete_topics([names[0]], operation_timeout=15)
        self.assertIsNone(fs[names[0]].result(15))
        wait_until(lambda: topic_partitions(self.admin, names[0]) is None, 15, 0.1,
                   "deleted topic to leave the list")
        self.assertEqual(topic_partitions(self.admin, names[1]), 2, "the other topic must stay")
        # Its partition directories go too, eventually.
        wait_until(lambda: not any(os.path.exists(self.b.partition_dir(names[0], p))
                                   for p in range(2)), 15, 0.1, "partition dirs of the deleted topic removed")
        # A deleted topic can be created afresh, empty.
        fs = self.admin.create_topics([NewTopic(names[0], 1, 1)], operation_timeout=15)
        self.assertIsNone(fs[names[0]].result(15))
        clients.wait_topic_ready(self.b, names[0], 1)
        with self.b.raw() as c:
            err, _, end = c.list_offsets(names[0], 0, -1)
            self.assertEqual((err, end), (0, 0), "re-created topic must start empty")

    def test_invalid_replication_factor(self):
        fs = self.admin.create_topics([NewTopic(clients.unique("rf"), 1, 3)], operation_timeout=15)
        with self.assertRaises(confluent_kafka.KafkaException) as cm:
            list(fs.values())[0].result(15)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.INVALID_REPLICATION_FACTOR)

    def test_create_partitions(self):
        topic = clients.unique("grow")
        clients.create_topic(self.b, topic, 2)
        fs = self.admin.create_partitions([NewPartitions(topic, 5)], operation_timeout=15)
        self.assertIsNone(fs[topic].result(15))
        clients.wait_topic_ready(self.b, topic, 5)
        self.assertEqual(topic_partitions(self.admin, topic), 5)
        # The new partitions take writes.
        acks = clients.AckLog()
        p = clients.producer(self.b)
        for part in range(5):
            p.produce(topic, value=b"v%d" % part, partition=part, on_delivery=acks.cb)
        clients.flush_all(p, 20)
        self.assertEqual(acks.errors, [])
        self.assertEqual(sorted((a[0], a[1]) for a in acks.acked), [(i, 0) for i in range(5)])
        # Shrinking is refused.
        fs = self.admin.create_partitions([NewPartitions(topic, 3)], operation_timeout=15)
        with self.assertRaises(confluent_kafka.KafkaException) as cm:
            fs[topic].result(15)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.INVALID_PARTITIONS)

    def test_describe_configs_defaults(self):
        topic = clients.unique("cfg")
        clients.create_topic(self.b, topic, 1)
        cfg = self.describe_topic_configs(topic)
        for key in ("retention.ms", "retention.bytes", "segment.bytes", "min.insync.replicas"):
            self.assertIn(key, cfg, "describe_configs lacks %s; has %s" % (key, sorted(cfg)))
        self.assertEqual(cfg["retention.ms"].value, "604800000")
        self.assertEqual(cfg["retention.bytes"].value, "-1")
        self.assertEqual(cfg["segment.bytes"].value, "1073741824")

    def test_create_with_topic_config(self):
        topic = clients.unique("cfg")
        clients.create_topic(self.b, topic, 1, config={"retention.ms": "3600000", "segment.bytes": "1048576"})
        cfg = self.describe_topic_configs(topic)
        self.assertEqual(cfg["retention.ms"].value, "3600000")
        self.assertEqual(cfg["segment.bytes"].value, "1048576")

    def test_alter_configs(self):
        topic = clients.unique("alter")
        clients.create_topic(self.b, topic, 1)
        res = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={"retention.ms": "7200000"})
        self.assertIsNone(self.admin.alter_configs([res])[res].result(15))
        wait_until(lambda: self.describe_topic_configs(topic)["retention.ms"].value == "7200000", 10, 0.1,
                   "altered retention.ms to show")
        # An unknown key is refused and changes nothing.
        bad = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={"no.such.config": "1"})
        with self.assertRaises(confluent_kafka.KafkaException):
            self.admin.alter_configs([bad])[bad].result(15)
        self.assertEqual(self.describe_topic_configs(topic)["retention.ms"].value, "7200000")

    def test_metadata_survives_restart(self):
        kept = clients.unique("kept")
        grown = clients.unique("grown")
        gone = clients.unique("gone")
        clients.create_topic(self.b, kept, 2, config={"retention.ms": "3600000"})
        clients.create_topic(self.b, grown, 1)
        clients.create_topic(self.b, gone, 3)
        self.assertIsNone(self.admin.create_partitions([NewPartitions(grown, 4)], operation_timeout=15)[grown].result(15))
        clients.wait_topic_ready(self.b, grown, 4)
        self.assertIsNone(self.admin.delete_topics([gone], operation_timeout=15)[gone].result(15))
        wait_until(lambda: topic_partitions(self.admin, gone) is None, 15, 0.1, "deleted topic to leave the list")
        for crash in (True, False):
            if crash:
                self.b.kill()
                self.b.start()
            else:
                self.assertEqual(self.b.stop(), 0)
                self.b.start()
            self.admin = clients.admin(self.b)
            clients.wait_topic_ready(self.b, kept, 2)
            clients.wait_topic_ready(self.b, grown, 4)
            self.assertIsNone(topic_partitions(self.admin, gone), "a deleted topic came back after a restart")
            self.assertEqual(self.describe_topic_configs(kept)["retention.ms"].value, "3600000")

    def test_describe_missing_topic(self):
        res = ConfigResource(ConfigResource.Type.TOPIC, "no-such-topic")
        with self.assertRaises(confluent_kafka.KafkaException) as cm:
            self.admin.describe_configs([res])[res].result(15)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.UNKNOWN_TOPIC_OR_PART)


if __name__ == "__main__":
    unittest.main()
