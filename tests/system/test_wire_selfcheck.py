"""Checks the raw test client's encoders against kafka-python's independent
implementation, so a broker failure seen through the raw client is not an
artefact of the test client.  Needs no broker."""

import unittest

from kafka.protocol import fetch, metadata, offset, produce
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder

import kafkawire


def enc(obj):
    # kafka-python binds encode() through a weak reference: keep obj alive.
    return bytes(obj.encode())


class WireSelfCheck(unittest.TestCase):

    def test_crc32c_check_value(self):
        self.assertEqual(kafkawire.crc32c(b"123456789"), 0xE3069283)
        self.assertEqual(kafkawire.crc32c(b""), 0)

    def test_varint_examples(self):
        cases = {0: "00", -1: "01", 1: "02", -2: "03", 63: "7e", -64: "7f", 64: "8001", 300: "d804"}
        for n, hx in cases.items():
            self.assertEqual(kafkawire.varint(n).hex(), hx)
            self.assertEqual(kafkawire.Reader(bytes.fromhex(hx)).varint(), n)

    def test_record_batch_matches_kafka_python(self):
        recs = [(b"k1", b"v1", []), (None, b"x" * 300, [("h", b"hv"), ("n", None)]), (b"k3", None, [])]
        ts = [1000, 1500, 1200]
        builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                            producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
        for i, (k, v, h) in enumerate(recs):
            builder.append(i, ts[i], k, v, h)
        theirs = bytes(builder.build())
        mine = kafkawire.build_batch(recs, timestamps=ts, leader_epoch=0)
        self.assertEqual(mine, theirs)
        self.assertTrue(DefaultRecordBatch(mine).validate_crc())
        bad = kafkawire.build_batch(recs, timestamps=ts, leader_epoch=0, corrupt_crc=True)
        self.assertFalse(DefaultRecordBatch(bad).validate_crc())
        parsed = kafkawire.parse_batches(mine + mine[:30])
        self.assertEqual(len(parsed), 1, "a partial trailing batch is skipped")
        self.assertTrue(parsed[0]["crc_ok"])
        self.assertEqual([(r["key"], r["value"], r["timestamp"]) for r in parsed[0]["records"]],
                         [(k, v, t) for (k, v, _), t in zip(recs, ts)])
        self.assertEqual(parsed[0]["records"][1]["headers"], [(b"h", b"hv"), (b"n", None)])


    def test_requests_match_kafka_python(self):
        c = kafkawire.RawClient.__new__(kafkawire.RawClient)
        batch = kafkawire.build_batch([(b"k", b"v")])
        theirs = enc(produce.ProduceRequest[7](transactional_id=None, required_acks=-1, timeout=1000,
                                               topics=[("t", [(2, batch)])]))
        self.assertEqual(c.produce_request("t", 2, batch, acks=-1, timeout_ms=1000), theirs)
        theirs = enc(fetch.FetchRequest[4](replica_id=-1, max_wait_time=500, min_bytes=1, max_bytes=1 << 20,
                                           isolation_level=0, topics=[("t", [(1, 42, 4096)])]))
        self.assertEqual(c.fetch_request("t", 1, 42, max_wait_ms=500, min_bytes=1, max_bytes=1 << 20,
                                         partition_max_bytes=4096), theirs)
        w = kafkawire
        self.assertEqual(enc(offset.OffsetRequest[1](replica_id=-1, topics=[("t", [(0, -1)])])),
                         w.i32(-1) + w.array(["t"], lambda t: w.string(t) + w.array([0], lambda p: w.i32(p) + w.i64(-1))))
        self.assertEqual(enc(metadata.MetadataRequest[4](topics=["a", "b"], allow_auto_topic_creation=True)),
                         w.array(["a", "b"], w.string) + w.i8(1))

    def test_response_parsers(self):
        batch = kafkawire.build_batch([(b"k", b"v")])
        body = enc(fetch.FetchResponse[4](throttle_time_ms=0, topics=[("t", [(0, 0, 5, 5, None, batch)])]))
        p = kafkawire.parse_fetch_v4(kafkawire.Reader(bytes(body)), "t", 0)
        self.assertEqual((p["error_code"], p["high_watermark"], p["records"]), (0, 5, batch))
        body = enc(metadata.MetadataResponse[4](throttle_time_ms=0, brokers=[(1, "h", 9, None)], cluster_id="c",
                                                controller_id=1,
                                                topics=[(0, "t", False, [(0, 0, 1, [1], [1])])]))
        md = kafkawire.parse_metadata(kafkawire.Reader(bytes(body)), 4)
        self.assertEqual(md["topics"]["t"]["partitions"][0]["leader"], 1)
        self.assertEqual(md["brokers"][0]["port"], 9)


if __name__ == "__main__":
    unittest.main()
