"""GET /metrics and /v1/status on a real skiffd: the exposition passes
`promtool check metrics`, and its values follow what clients do (records and
bytes in after producing, out after consuming, errors by Kafka code, the
latency histogram per API); /v1/status agrees with the log."""

import json
import re
import shutil
import subprocess
import unittest

import clients
from harness import SkiffTestCase


def parse(text):
    """{(name, frozenset(labels.items())): value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$', line)
        if not m:
            raise AssertionError("not a sample line: %r" % line)
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), frozenset(labels.items()))] = float(m.group(4))
    return out


def value(samples, name, **labels):
    return samples.get((name, frozenset((k, str(v)) for k, v in labels.items())))


class MetricsTest(SkiffTestCase):

    def setUp(self):
        super().setUp()
        self.b = self.start_broker({"auto.create.topics.enable": "false"})

    def scrape(self):
        status, body = self.b.http_get("/metrics", timeout=5.0)
        self.assertEqual(status, 200)
        return body.decode() if isinstance(body, bytes) else body

    def samples(self):
        return parse(self.scrape())

    @unittest.skipIf(shutil.which("promtool") is None, "promtool not installed (scripts/install-deps.sh)")
    def test_promtool_accepts_exposition(self):
        topic = clients.unique("prom")
        clients.create_topic(self.b, topic, partitions=2)
        p = clients.producer(self.b)
        for i in range(20):
            p.produce(topic, key=b"k%d" % i, value=b"v")
        self.assertEqual(p.flush(15), 0)
        text = self.scrape()
        r = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, "promtool: %s%s" % (r.stdout.decode(), r.stderr.decode()))
        for fam in ("skiff_requests_total", "skiff_request_duration_seconds", "skiff_topic_received_records_total",
                    "skiff_log_end_offset", "skiff_partitions_under_replicated", "skiff_flusher_syncs_total"):
            self.assertIn("# TYPE %s " % fam, text)

    def test_values_follow_traffic(self):
        topic = clients.unique("mv")
        clients.create_topic(self.b, topic, partitions=3)
        before = self.samples()
        self.assertEqual(value(before, "skiff_topic_received_records_total", topic=topic), 0)
        self.assertEqual(value(before, "skiff_ready"), 1)
        n = 250
        p = clients.producer(self.b)
        for i in range(n):
            p.produce(topic, key=b"key-%d" % i, value=b"x" * 100)
        self.assertEqual(p.flush(15), 0)
        after = self.samples()
        self.assertEqual(value(after, "skiff_topic_received_records_total", topic=topic), n)
        self.assertGreaterEqual(value(after, "skiff_topic_received_bytes_total", topic=topic), n * 100)
        ends = sum(value(after, "skiff_log_end_offset", topic=topic, partition=i) for i in range(3))
        self.assertEqual(ends, n)
        sizes = sum(value(after, "skiff_log_size_bytes", topic=topic, partition=i) for i in range(3))
        self.assertEqual(sizes, value(after, "skiff_topic_received_bytes_total", topic=topic))
        produced = sum(v for (name, ls), v in after.items() if name == "skiff_requests_total"
                       and dict(ls).get("api") == "Produce")
        hist = sum(v for (name, ls), v in after.items() if name == "skiff_request_duration_seconds_count"
                   and dict(ls).get("api") == "Produce")
        self.assertGreater(produced, 0)
        self.assertEqual(produced, hist)
        self.assertGreater(value(after, "skiff_flusher_syncs_total"), value(before, "skiff_flusher_syncs_total"))

        got = clients.consume_partitions(self.b, topic, [0, 1, 2])
        self.assertEqual(sum(len(v) for v in got.values()), n)
        out = self.samples()
        self.assertEqual(value(out, "skiff_topic_sent_records_total", topic=topic), n)
        self.assertEqual(value(out, "skiff_topic_sent_bytes_total", topic=topic),
                         value(out, "skiff_topic_received_bytes_total", topic=topic))

    def test_errors_counted_by_code(self):
        topic = clients.unique("err")
        clients.create_topic(self.b, topic, partitions=1)
        with self.b.raw() as c:
            c.fetch(topic, 0, 12345)   # beyond the log end
        s = self.samples()
        self.assertEqual(value(s, "skiff_request_errors_total", api="Fetch", error="OFFSET_OUT_OF_RANGE"), 1)

    def test_status_matches_log(self):
        topic = clients.unique("st")
        clients.create_topic(self.b, topic, partitions=2)
        p = clients.producer(self.b)
        for i in range(10):
            p.produce(topic, value=b"v%d" % i, partition=1)
        self.assertEqual(p.flush(15), 0)
        status, body = self.b.http_get("/v1/status", timeout=5.0)
        self.assertEqual(status, 200)
        st = json.loads(body)
        self.assertEqual(st["node"]["node_id"], 1)
        self.assertEqual(st["node"]["state"], "ready")
        self.assertEqual(st["node"]["listeners"]["client"], "127.0.0.1:%d" % self.b.port)
        self.assertEqual(st["cluster"]["brokers"][0]["node_id"], 1)
        parts = {(x["topic"], x["partition"]): x for x in st["partitions"]}
        self.assertEqual(parts[(topic, 1)]["log_end_offset"], 10)
        self.assertEqual(parts[(topic, 1)]["high_watermark"], 10)
        self.assertEqual(parts[(topic, 0)]["log_end_offset"], 0)
        samples = self.samples()
        self.assertEqual(parts[(topic, 1)]["size_bytes"],
                         value(samples, "skiff_log_size_bytes", topic=topic, partition=1))


if __name__ == "__main__":
    unittest.main()
