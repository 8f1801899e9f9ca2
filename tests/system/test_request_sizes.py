"""Legitimate large requests: clients need not send ApiVersions first
(kafka-python opens a connection to the leader and sends a Produce straight
away), and batches up to message.max.bytes are accepted."""

import unittest

import clients
import kafkawire
from harness import SkiffTestCase


class RequestSizeTest(SkiffTestCase):

    def setUp(self):
        super().setUp()
        self.b = self.start_broker()
        self.topic = clients.unique("size")
        clients.create_topic(self.b, self.topic, 1)

    def test_first_request_may_be_a_large_produce(self):
        records = [(b"%d" % i, b"v" * 1000) for i in range(200)]     # about 200 KB
        batch = kafkawire.build_batch(records)
        with self.b.raw() as c:
            r = c.produce(self.topic, 0, batch, acks=-1)
            self.assertEqual((r["error_code"], r["base_offset"]), (0, 0))
        with self.b.raw() as c:
            recs, hw = kafkawire.fetch_all(c, self.topic, 0)
        self.assertEqual(hw, 200)
        self.assertEqual([r["value"] for r in recs], [v for _, v in records])

    def test_batch_just_under_message_max_bytes(self):
        # message.max.bytes defaults to 1048588; the batch below is 1048000.
        value_len = 1048000 - 61 - 12
        batch = kafkawire.build_batch([(None, b"m" * value_len)])
        self.assertLessEqual(len(batch), 1048588)
        with self.b.raw() as c:
            self.assertEqual(c.api_versions()["error_code"], 0)
            r = c.produce(self.topic, 0, batch, acks=-1)
            self.assertEqual((r["error_code"], r["base_offset"]), (0, 0))
            recs, hw = kafkawire.fetch_all(c, self.topic, 0)
        self.assertEqual(len(recs[0]["value"]), value_len)


if __name__ == "__main__":
    unittest.main()
