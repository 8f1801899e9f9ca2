"""Hostile and malformed input on the client listener.  Every test ends by
checking that the broker still serves (ApiVersions and a produce/fetch round
trip over new connections) and that data acknowledged before is intact."""

import socket
import time
import unittest

import clients
import kafkawire
from harness import SkiffTestCase
from kafkawire import array, build_batch, i8, i16, i32, string

CORRUPT_MESSAGE = 2
UNKNOWN_TOPIC_OR_PARTITION = 3
MESSAGE_TOO_LARGE = 10
UNSUPPORTED_VERSION = 35
MIB = 1024 * 1024


def vm_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s for pid %d" % (field, pid))


class BadInputTest(SkiffTestCase):

    def setup_broker(self, overrides=None):
        self.b = self.start_broker(overrides)
        self.pre_topic = clients.unique("pre")
        clients.create_topic(self.b, self.pre_topic, 1)
        self.pre_values = []
        with self.b.raw() as c:
            for i in range(5):
                vals = [b"pre-%d-%d" % (i, j) for j in range(3)]
                r = c.produce(self.pre_topic, 0, build_batch([(None, v) for v in vals]), acks=-1)
                self.assertEqual(r["error_code"], 0)
                self.pre_values += vals
        return self.b

    def tearDown(self):
        # After a test body that passed, the broker must still serve.
        if getattr(self, "b", None) is None or self._test_failed():
            return
        if not self.b.running():
            self.fail("skiffd died; stderr tail:\n" + self.b.stderr_tail())
        self.finish()

    def finish(self):
        self.assert_broker_serves(self.b, clients.unique("alive"))
        with self.b.raw() as c:
            recs, hw = kafkawire.fetch_all(c, self.pre_topic, 0)
        self.assertEqual([r["value"] for r in recs], self.pre_values, "data acknowledged before the bad input")

    def send_quietly(self, conn, data):
        """Sends data; the broker may already have closed the connection."""
        conn.sock.settimeout(2.0)
        try:
            conn.send_raw(data)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            # Closed, or no longer reading: the caller checks which.
            pass

    def assert_closed_without_reply(self, conn, what, timeout=3.0):
        conn.sock.settimeout(timeout)
        t0 = time.monotonic()
        try:
            data = conn.sock.recv(65536)
        except socket.timeout:
            self.fail("%s: connection still open after %.1fs" % (what, timeout))
        except ConnectionResetError:
            data = b""
        self.assertEqual(data, b"", "%s: broker answered %r instead of closing" % (what, data[:64]))
        self.assertLess(time.monotonic() - t0, timeout)

    # ------------------------------------------------------------ framing

    def test_negative_frame_length(self):
        b = self.setup_broker()
        with b.raw() as c:
            self.send_quietly(c, i32(-1) + b"\x00" * 16)
            self.assert_closed_without_reply(c, "frame length -1")
        with b.raw() as c:
            self.send_quietly(c, i32(-2147483648))
            self.assert_closed_without_reply(c, "frame length INT32_MIN")

    def test_zero_frame_length(self):
        b = self.setup_broker()
        with b.raw() as c:
            self.send_quietly(c, i32(0))
            self.assert_closed_without_reply(c, "frame length 0")

    def check_oversized_frame(self, b, announced):
        rss0 = vm_kb(b.pid, "VmRSS")
        peak0 = vm_kb(b.pid, "VmPeak")
        with b.raw() as c:
            # Announce the frame, then start sending it: a broker that buffers
            # the announced size would grow by what arrives.
            self.send_quietly(c, i32(announced) + c.header(18, 0, 1))
            for _ in range(16):
                self.send_quietly(c, b"\x00" * (512 * 1024))
            self.assert_closed_without_reply(c, "frame of %d bytes" % announced)
        rss1 = vm_kb(b.pid, "VmRSS")
        peak1 = vm_kb(b.pid, "VmPeak")
        self.assertLess(rss1 - rss0, 6 * 1024, "RSS grew by %d KiB after an oversized frame" % (rss1 - rss0))
        self.assertLess(peak1 - peak0, 64 * 1024,
                        "virtual size peaked %d KiB higher: the announced size was allocated" % (peak1 - peak0))

    def test_frame_over_default_request_max(self):
        b = self.setup_broker()
        self.check_oversized_frame(b, 104857600 + 1)

    def test_100mb_frame_over_configured_limit(self):
        b = self.setup_broker({"socket.request.max.bytes": 10 * MIB})
        self.check_oversized_frame(b, 100_000_000)
        # A request under the limit is still fine on a new connection.
        with b.raw() as c:
            self.assertEqual(c.api_versions()["error_code"], 0)

    def test_truncated_header(self):
        b = self.setup_broker()
        with b.raw() as c:
            # Frame of 6 bytes: api key, version, half a correlation id.
            self.send_quietly(c, i32(6) + i16(18) + i16(0) + b"\x00\x00")
            self.assert_closed_without_reply(c, "6-byte header")
        with b.raw() as c:
            # The client id claims 100 bytes; the frame holds 3.
            hdr = i16(18) + i16(0) + i32(7) + i16(100) + b"abc"
            self.send_quietly(c, i32(len(hdr)) + hdr)
            self.assert_closed_without_reply(c, "client id longer than the frame")

    def test_truncated_produce_body(self):
        b = self.setup_broker()
        topic = clients.unique("trunc")
        clients.create_topic(b, topic, 1)
        with b.raw() as c:
            body = c.produce_request(topic, 0, build_batch([(b"k", b"v" * 200)]), acks=-1)
            # Cut the body short inside the records; the frame length matches
            # what is sent, so only the records length lies.
            payload = c.header(0, 7, 1) + body[:-100]
            self.send_quietly(c, i32(len(payload)) + payload)
            self.assert_closed_without_reply(c, "produce body shorter than its records length")
        with b.raw() as c:
            self.assertEqual(c.list_offsets(topic, 0, -1)[2], 0, "a truncated produce appended data")

    def test_array_count_larger_than_bytes_left(self):
        b = self.setup_broker()
        rss0 = vm_kb(b.pid, "VmRSS")
        peak0 = vm_kb(b.pid, "VmPeak")
        with b.raw() as c:
            # Metadata v1 claiming 2^31-1 topics with no bytes behind the count.
            payload = c.header(3, 1, 1) + i32(0x7FFFFFFF)
            self.send_quietly(c, i32(len(payload)) + payload)
            self.assert_closed_without_reply(c, "metadata topic count 2^31-1")
        with b.raw() as c:
            # Produce v7 claiming a million topics, holding one.
            body = string(None) + i16(1) + i32(1000) + i32(1_000_000) + string("t") + i32(0)
            payload = c.header(0, 7, 1) + body
            self.send_quietly(c, i32(len(payload)) + payload)
            self.assert_closed_without_reply(c, "produce topic count 10^6")
        with b.raw() as c:
            # Fetch v4 claiming 5*10^7 partitions for one topic, holding none.
            body = i32(-1) + i32(0) + i32(1) + i32(1 << 20) + i8(0) + array(["t"], lambda t: string(t) + i32(50_000_000))
            payload = c.header(1, 4, 1) + body
            self.send_quietly(c, i32(len(payload)) + payload)
            self.assert_closed_without_reply(c, "fetch partition count 5*10^7")
        self.assertLess(vm_kb(b.pid, "VmRSS") - rss0, 6 * 1024)
        self.assertLess(vm_kb(b.pid, "VmPeak") - peak0, 64 * 1024)

    # ------------------------------------------------------------ API / version

    def test_unknown_api_key(self):
        b = self.setup_broker()
        with b.raw() as c:
            payload = c.header(999, 0, 1)
            self.send_quietly(c, i32(len(payload)) + payload)
            self.assert_closed_without_reply(c, "api key 999")
        with b.raw() as c:
            # OffsetForLeaderEpoch is deliberately not served.
            payload = c.header(23, 0, 1) + i32(0)
            self.send_quietly(c, i32(len(payload)) + payload)
            self.assert_closed_without_reply(c, "api key 23")

    def test_unsupported_version(self):
        b = self.setup_broker()
        with b.raw() as c:
            payload = c.header(3, 99, 1) + i32(0)
            self.send_quietly(c, i32(len(payload)) + payload)
            self.assert_closed_without_reply(c, "metadata v99")
        with b.raw() as c:
            payload = c.header(0, 42, 1) + b"\x00" * 16
            self.send_quietly(c, i32(len(payload)) + payload)
            self.assert_closed_without_reply(c, "produce v42")

    def test_api_versions_v3_gets_error_reply(self):
        b = self.setup_broker()
        with b.raw() as c:
            # Header v2 (flexible): v1 fields and an empty tagged-field block;
            # body: two compact strings and an empty tagged-field block.
            def compact(s):
                return bytes([len(s) + 1]) + s
            for version in (3, 4, 99):
                payload = (c.header(18, version, 40 + version) + b"\x00" +
                           compact(b"skiff-systest") + compact(b"1.0") + b"\x00")
                c.send_raw(i32(len(payload)) + payload)
                corr, body = c.recv(5)
                self.assertEqual(corr, 40 + version)
                r = kafkawire.Reader(body)
                v = kafkawire.parse_api_versions(r, 0)
                self.assertEqual(v["error_code"], UNSUPPORTED_VERSION)
                self.assertIn(18, v["apis"], "error reply must list the APIs (v0 body)")
                self.assertEqual(v["apis"][18][0], 0)
                self.assertGreaterEqual(v["apis"][18][1], 2)
                self.assertLess(v["apis"][18][1], 3)
                self.assertEqual(r.left(), 0, "v0-shaped body expected, %d bytes left over" % r.left())
            # The connection stays usable: v0 next, as librdkafka does.
            v = c.api_versions(0)
            self.assertEqual(v["error_code"], 0)
            self.assertEqual(v["apis"].get(0), (0, 7))
            self.assertEqual(v["apis"].get(1), (0, 11))
            self.assertNotIn(23, v["apis"])

    # ------------------------------------------------------------ produce errors

    def test_produce_bad_crc(self):
        b = self.setup_broker()
        topic = clients.unique("crc")
        clients.create_topic(b, topic, 1)
        with b.raw() as c:
            r = c.produce(topic, 0, build_batch([(b"k", b"v")], corrupt_crc=True), acks=-1)
            self.assertEqual(r["error_code"], CORRUPT_MESSAGE)
            # A record whose bytes changed after the CRC was computed.
            good = bytearray(build_batch([(b"k", b"value-to-flip")]))
            good[-5] ^= 0x01
            r = c.produce(topic, 0, bytes(good), acks=1)
            self.assertEqual(r["error_code"], CORRUPT_MESSAGE)
            self.assertEqual(c.list_offsets(topic, 0, -1)[2], 0, "a corrupt batch was appended")
            r = c.produce(topic, 0, build_batch([(b"k", b"fine")]), acks=-1)
            self.assertEqual((r["error_code"], r["base_offset"]), (0, 0))

    def test_produce_too_large(self):
        b = self.setup_broker({"message.max.bytes": 10_000})
        topic = clients.unique("big")
        clients.create_topic(b, topic, 1)
        with b.raw() as c:
            big = build_batch([(b"k", b"x" * 20_000)])
            r = c.produce(topic, 0, big, acks=-1)
            self.assertEqual(r["error_code"], MESSAGE_TOO_LARGE)
            self.assertEqual(c.list_offsets(topic, 0, -1)[2], 0)
            ok = build_batch([(b"k", b"x" * 9_000)])
            self.assertLess(len(ok), 10_000)
            r = c.produce(topic, 0, ok, acks=-1)
            self.assertEqual((r["error_code"], r["base_offset"]), (0, 0))

    def test_produce_missing_topic_without_autocreate(self):
        b = self.setup_broker({"auto.create.topics.enable": "false"})
        with b.raw() as c:
            r = c.produce("no-such-topic", 0, build_batch([(b"k", b"v")]), acks=-1)
            self.assertEqual(r["error_code"], UNKNOWN_TOPIC_OR_PARTITION)
            md = c.metadata(["no-such-topic"], allow_auto_create=True)
            self.assertEqual(md["topics"]["no-such-topic"]["error_code"], UNKNOWN_TOPIC_OR_PARTITION)
            # A partition beyond the topic's count is unknown too.
            r = c.produce(self.pre_topic, 7, build_batch([(b"k", b"v")]), acks=-1)
            self.assertEqual(r["error_code"], UNKNOWN_TOPIC_OR_PARTITION)

    # ------------------------------------------------------------ slow clients

    def test_half_frame_does_not_block_others(self):
        b = self.setup_broker()
        with b.raw() as staller:
            payload = staller.header(3, 1, 1) + i32(-1)
            # Announce the whole frame, send half of it, and stall.
            staller.send_raw(i32(len(payload)) + payload[:len(payload) // 2])
            t0 = time.monotonic()
            with b.raw(timeout=3) as other:
                self.assertEqual(other.api_versions()["error_code"], 0)
            kafkawire.roundtrip_check(b, clients.unique("meanwhile"))
            self.assertLess(time.monotonic() - t0, 5, "others were held up by a stalled half frame")
            # The stalled client finishes its frame later and gets its answer.
            staller.send_raw(payload[len(payload) // 2:])
            corr, body = staller.recv(5)
            self.assertEqual(corr, 1)
            md = kafkawire.parse_metadata(kafkawire.Reader(body), 1)
            self.assertEqual([x["node_id"] for x in md["brokers"]], [1])


if __name__ == "__main__":
    unittest.main()
