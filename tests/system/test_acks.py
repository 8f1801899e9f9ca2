"""acks semantics on a single node."""

import unittest

import clients
import kafkawire
from harness import SkiffTestCase, wait_until
from kafkawire import build_batch

NOT_ENOUGH_REPLICAS = 19
INVALID_REQUIRED_ACKS = 21


class AcksTest(SkiffTestCase):

    def make_topic(self, overrides=None):
        self.b = self.start_broker(overrides)
        topic = clients.unique("acks")
        clients.create_topic(self.b, topic, 1)
        return topic

    def test_acks_zero_sends_no_response(self):
        topic = self.make_topic()
        with self.b.raw() as c:
            c.send(0, 7, c.produce_request(topic, 0, build_batch([(b"k", b"fire-and-forget")]), acks=0))
            corr = c.send(18, 0, b"")
            got, body = c.recv(5)
            self.assertEqual(got, corr, "first response read was for correlation id %d, not ApiVersions'" % got)
            v = kafkawire.parse_api_versions(kafkawire.Reader(body), 0)
            self.assertEqual(v["error_code"], 0)

            def appended():
                recs, hw = kafkawire.fetch_all(c, topic, 0)
                return hw == 1 and recs[0]["value"] == b"fire-and-forget"
            wait_until(appended, 5, 0.05, "the acks=0 record to be appended")

    def test_acks_one_and_all(self):
        topic = self.make_topic()
        with self.b.raw() as c:
            r = c.produce(topic, 0, build_batch([(b"k", b"one")]), acks=1)
            self.assertEqual((r["error_code"], r["base_offset"], r["log_append_time"]), (0, 0, -1))
            r = c.produce(topic, 0, build_batch([(b"k", b"all-a"), (b"k", b"all-b")]), acks=-1)
            self.assertEqual((r["error_code"], r["base_offset"]), (0, 1))
            self.assertEqual(r["log_start_offset"], 0)
            r = c.produce(topic, 0, build_batch([(b"k", b"after")]), acks=1)
            self.assertEqual((r["error_code"], r["base_offset"]), (0, 3))
            recs, hw = kafkawire.fetch_all(c, topic, 0)
            self.assertEqual([x["value"] for x in recs], [b"one", b"all-a", b"all-b", b"after"])
        # The same through librdkafka.
        for acks in ("1", "all"):
            log = clients.AckLog()
            p = clients.producer(self.b, acks=acks)
            p.produce(topic, value=acks.encode(), partition=0, on_delivery=log.cb)
            clients.flush_all(p, 15)
            self.assertEqual(log.errors, [])
            self.assertEqual(len(log.acked), 1)

    def test_invalid_acks_value(self):
        topic = self.make_topic()
        with self.b.raw() as c:
            r = c.produce(topic, 0, build_batch([(b"k", b"v")]), acks=2)
            self.assertEqual(r["error_code"], INVALID_REQUIRED_ACKS)
            self.assertEqual(c.list_offsets(topic, 0, -1)[2], 0)

    def test_min_insync_replicas_two_on_one_node(self):
        topic = self.make_topic({"min.insync.replicas": 2})
        with self.b.raw() as c:
            r = c.produce(topic, 0, build_batch([(b"k", b"refused")]), acks=-1)
            self.assertEqual(r["error_code"], NOT_ENOUGH_REPLICAS)
            self.assertEqual(c.list_offsets(topic, 0, -1)[2], 0, "acks=all append must be refused before writing")
            r = c.produce(topic, 0, build_batch([(b"k", b"accepted")]), acks=1)
            self.assertEqual((r["error_code"], r["base_offset"]), (0, 0))
            recs, hw = kafkawire.fetch_all(c, topic, 0)
            self.assertEqual([x["value"] for x in recs], [b"accepted"])


if __name__ == "__main__":
    unittest.main()
