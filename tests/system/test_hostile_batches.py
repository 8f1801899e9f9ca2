"""Record batches that are well framed but lie about their contents, and
topic names that could escape the log directory.  Each is refused with an
error code and leaves the log unchanged."""

import os
import struct
import unittest

from confluent_kafka.admin import NewTopic

import clients
import kafkawire
from harness import SkiffTestCase
from kafkawire import build_batch, crc32c, encode_record

CORRUPT_MESSAGE = 2
UNKNOWN_TOPIC_OR_PARTITION = 3
INVALID_TOPIC_EXCEPTION = 17
INVALID_RECORD = 87
REFUSED = (CORRUPT_MESSAGE, INVALID_RECORD)


def recrc(batch):
    """Recomputes the CRC so only the deliberate lie remains."""
    b = bytearray(batch)
    b[17:21] = struct.pack(">I", crc32c(bytes(b[21:])))
    return bytes(b)


def set_i32(batch, pos, value):
    b = bytearray(batch)
    b[pos:pos + 4] = struct.pack(">i", value)
    return recrc(bytes(b))


def batch_with_records(raw_records, count, last_delta):
    """A batch whose records section is raw_records, with the given header
    counts, and a correct CRC."""
    template = build_batch([(None, b"x")])
    header = bytearray(template[:61])
    header[23:27] = struct.pack(">i", last_delta)
    header[57:61] = struct.pack(">i", count)
    body = bytes(header) + raw_records
    body = body[:8] + struct.pack(">i", len(body) - 12) + body[12:]
    return recrc(body)


class HostileBatchTest(SkiffTestCase):

    def setUp(self):
        super().setUp()
        self.b = self.start_broker()
        self.topic = clients.unique("hb")
        clients.create_topic(self.b, self.topic, 1)
        self.c = self.b.raw()
        self.addCleanup(self.c.close)
        r = self.c.produce(self.topic, 0, build_batch([(b"k", b"before")]), acks=-1)
        self.assertEqual((r["error_code"], r["base_offset"]), (0, 0))

    def assert_refused(self, records_bytes, what):
        r = self.c.produce(self.topic, 0, records_bytes, acks=-1)
        self.assertIn(r["error_code"], REFUSED, "%s: produce answered error %d" % (what, r["error_code"]))
        # Nothing appended; the next good batch lands at offset 1.
        self.assertEqual(self.c.list_offsets(self.topic, 0, -1)[2], 1, "%s was appended" % what)

    def tearDown(self):
        if self._test_failed():
            return
        r = self.c.produce(self.topic, 0, build_batch([(b"k", b"after")]), acks=-1)
        self.assertEqual((r["error_code"], r["base_offset"]), (0, 1))
        recs, hw = kafkawire.fetch_all(self.c, self.topic, 0)
        self.assertEqual([x["value"] for x in recs], [b"before", b"after"])

    def test_two_batches_in_one_partition(self):
        one = build_batch([(None, b"a")])
        self.assert_refused(one + build_batch([(None, b"b")]), "two batches")

    def test_trailing_bytes_after_the_batch(self):
        self.assert_refused(build_batch([(None, b"a")]) + b"\x00" * 7, "trailing bytes")

    def test_batch_length_beyond_the_records(self):
        batch = build_batch([(None, b"a")])
        self.assert_refused(set_i32(batch, 8, len(batch) - 12 + 100), "batchLength too large")

    def test_old_magic(self):
        b = bytearray(build_batch([(None, b"a")]))
        b[16] = 1
        self.assert_refused(bytes(b), "magic 1")

    def test_record_count_larger_than_records(self):
        recs = b"".join(encode_record(i, 0, None, b"r%d" % i) for i in range(3))
        self.assert_refused(batch_with_records(recs, 5, 4), "5 records claimed, 3 present")

    def test_last_offset_delta_beyond_records(self):
        # Were this accepted, offsets 1..100 would be claimed by 3 records.
        recs = b"".join(encode_record(i, 0, None, b"r%d" % i) for i in range(3))
        self.assert_refused(batch_with_records(recs, 3, 99), "lastOffsetDelta 99 for 3 records")

    def test_zero_records(self):
        self.assert_refused(batch_with_records(b"", 0, -1), "empty batch")

    def test_record_length_overruns_batch(self):
        rec = bytearray(encode_record(0, 0, None, b"abc"))
        rec[0] = kafkawire.varint(100)[0]       # length 100 for a 6-byte record
        self.assert_refused(batch_with_records(bytes(rec), 1, 0), "record length past the batch")

    def test_overlong_varint(self):
        rec = kafkawire.varint(20) + b"\x00" + b"\xff" * 11 + b"\x00" * 8
        self.assert_refused(batch_with_records(rec, 1, 0), "11-byte varint")

    def test_negative_key_length_other_than_null(self):
        body = b"\x00" + kafkawire.varint(0) + kafkawire.varint(0) + kafkawire.varint(-5) + kafkawire.varint(1) + b"v" + kafkawire.varint(0)
        rec = kafkawire.varint(len(body)) + body
        self.assert_refused(batch_with_records(rec, 1, 0), "key length -5")


class TopicNameTest(SkiffTestCase):

    BAD = ["../escape", "a/b", ".", "..", "x" * 250, "", "sp ace", "tab\tname"]

    def test_bad_topic_names_refused(self):
        b = self.start_broker({"auto.create.topics.enable": "true"})
        a = clients.admin(b)
        for name in self.BAD:
            fs = a.create_topics([NewTopic(name, 1, 1)], operation_timeout=10)
            with self.assertRaises(Exception, msg="CreateTopics accepted %r" % name) as cm:
                fs[name].result(10)
            err = cm.exception.args[0]
            if hasattr(err, "code") and name:
                self.assertEqual(err.code(), INVALID_TOPIC_EXCEPTION, "CreateTopics %r: %s" % (name, err))
        with b.raw() as c:
            md = c.metadata([n for n in self.BAD if n], allow_auto_create=True)
            for name in self.BAD:
                if name:
                    self.assertIn(md["topics"][name]["error_code"], (INVALID_TOPIC_EXCEPTION, UNKNOWN_TOPIC_OR_PARTITION),
                                  "auto-create of %r" % name)
            r = c.produce("../escape", 0, build_batch([(None, b"v")]), acks=-1)
            self.assertIn(r["error_code"], (INVALID_TOPIC_EXCEPTION, UNKNOWN_TOPIC_OR_PARTITION))
        # Nothing was created beside or outside the log directory.
        self.assertFalse(os.path.exists(os.path.join(b.dir, "escape-0")))
        self.assertFalse(os.path.exists(os.path.join(b.log_dir, "..", "escape-0")))
        self.assertEqual([d for d in os.listdir(b.log_dir) if "escape" in d or d.startswith(("a", "x" * 10))], [])
        self.assertEqual([n for n in a.list_topics(timeout=10).topics if n in self.BAD], [])
        self.assert_broker_serves(b)


if __name__ == "__main__":
    unittest.main()
