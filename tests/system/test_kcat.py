"""kcat (librdkafka) against one skiffd: metadata, and 100,000-message
produce/consume round trips with keys, headers, null values and every codec."""

import json
import unittest

import kafkawire
from harness import SkiffTestCase, run_kcat, wait_until

N = 100_000
PARTITIONS = 3
HEADERS = [("trace", "abc"), ("origin", "kcat")]
CODECS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def payload(seq):
    # Self-describing and of varying length (0..120 hex chars).
    word = "%08x" % ((seq * 2654435761) & 0xFFFFFFFF)
    return word * (seq % 16)


def value_of(topic, seq, null_every):
    if null_every and seq % null_every == 0:
        return None
    return "%s-%d-%s" % (topic, seq, payload(seq))


def kcat_input(topic, n, null_every):
    lines = []
    for seq in range(n):
        v = value_of(topic, seq, null_every)
        lines.append("%d:%s" % (seq, "" if v is None else v))
    return ("\n".join(lines) + "\n").encode()


class KcatTest(SkiffTestCase):

    def start(self):
        return self.start_broker({"num.partitions": PARTITIONS, "auto.create.topics.enable": "true"})

    def produce(self, b, topic, n, extra, null_every=0):
        args = ["-b", b.bootstrap, "-P", "-t", topic, "-K", ":",
                "-X", "queue.buffering.max.messages=500000", "-X", "linger.ms=20"] + extra
        cp = run_kcat(args, kcat_input(topic, n, null_every), timeout=90)
        self.assertNotIn(b"Failed to produce", cp.stderr, cp.stderr[-2000:])
        self.assertNotIn(b"Delivery failed", cp.stderr, cp.stderr[-2000:])

    def consume(self, b, topic):
        fmt = "%p %o %k %S %s %h\\n"
        cp = run_kcat(["-b", b.bootstrap, "-C", "-t", topic, "-e", "-q", "-f", fmt,
                       "-X", "fetch.wait.max.ms=100"], timeout=90)
        return cp.stdout.decode()

    def check_round_trip(self, b, topic, n, headers, null_every):
        out = self.consume(b, topic)
        lines = out.split("\n")
        self.assertEqual(lines[-1], "", "kcat output not newline-terminated")
        lines = lines[:-1]
        self.assertEqual(len(lines), n, "kcat -C -e read %d messages, produced %d" % (len(lines), n))
        want_hdr = ",".join("%s=%s" % kv for kv in headers)
        seen = set()
        per_part = {}
        for line in lines:
            f = line.split(" ", 5)
            self.assertEqual(len(f), 6, "bad kcat line %r" % line)
            p, off, key, vlen, val, hdr = int(f[0]), int(f[1]), f[2], int(f[3]), f[4], f[5]
            seq = int(key)
            self.assertNotIn(seq, seen, "message %d read twice" % seq)
            seen.add(seq)
            want = value_of(topic, seq, null_every)
            if want is None:
                self.assertEqual(vlen, -1, "message %d: value should be NULL, got %r" % (seq, val))
            else:
                self.assertEqual((vlen, val), (len(want), want), "message %d value differs" % seq)
            self.assertEqual(hdr, want_hdr, "message %d headers" % seq)
            per_part.setdefault(p, []).append((off, seq))
        self.assertEqual(seen, set(range(n)))
        self.assertEqual(sorted(per_part), list(range(PARTITIONS)), "keys should spread over every partition")
        for p, seq_list in per_part.items():
            offs = [o for o, _ in seq_list]
            self.assertEqual(offs, list(range(len(offs))), "partition %d offsets not contiguous from 0" % p)
            seqs = [s for _, s in seq_list]
            self.assertEqual(seqs, sorted(seqs), "partition %d: messages out of production order" % p)

    def test_metadata_lists_broker_and_topics(self):
        b = self.start()
        topics = ["meta-a", "meta-b"]
        for t in topics:
            self.produce(b, t, 3, [])
        def listed():
            cp = run_kcat(["-b", b.bootstrap, "-L", "-J"], timeout=20)
            md = json.loads(cp.stdout)
            got = {t["topic"]: t for t in md["topics"]}
            return md if all(t in got and len(got[t]["partitions"]) == PARTITIONS for t in topics) else None
        md = wait_until(listed, 20, 0.2, "kcat -L to list both topics")
        self.assertEqual([(x["id"], x["name"]) for x in md["brokers"]], [(1, b.bootstrap)])
        for t in md["topics"]:
            if t["topic"] in topics:
                for p in t["partitions"]:
                    self.assertEqual(p["leader"], 1)
                    self.assertNotIn("error", p)
        # The plain-text form too, as an operator would read it.
        text = run_kcat(["-b", b.bootstrap, "-L"], timeout=20).stdout.decode()
        self.assertIn("1 brokers:", text)
        self.assertIn("broker 1 at %s" % b.bootstrap, text)
        for t in topics:
            self.assertIn('topic "%s" with %d partitions:' % (t, PARTITIONS), text)

    def test_100k_keys_headers_nulls(self):
        b = self.start()
        topic = "kcat-plain"
        hdr_args = []
        for k, v in HEADERS:
            hdr_args += ["-H", "%s=%s" % (k, v)]
        self.produce(b, topic, N, hdr_args + ["-Z"], null_every=7)
        self.check_round_trip(b, topic, N, HEADERS, null_every=7)

    def codec_round_trip(self, codec):
        b = self.start()
        topic = "kcat-" + codec
        self.produce(b, topic, N, ["-z", codec])
        self.check_round_trip(b, topic, N, [], null_every=0)
        # The stored batches are served as the producer compressed them.
        # librdkafka sends a batch uncompressed when compression would not
        # shrink it, so small batches may carry codec 0; most must not.
        codecs = []
        with b.raw() as c:
            for p in range(PARTITIONS):
                part = c.fetch(topic, p, 0)
                self.assertEqual(part["error_code"], 0)
                batches = kafkawire.parse_batches(part["records"])
                self.assertTrue(batches, "no batch served")
                for bt in batches:
                    self.assertTrue(bt["crc_ok"], "served batch at %d has a bad CRC" % bt["base_offset"])
                    codecs.append(bt["attributes"] & 7)
        self.assertEqual(set(codecs) - {0}, {CODECS[codec]}, "codecs of the served batches: %r" % codecs)
        self.assertGreater(codecs.count(CODECS[codec]), len(codecs) // 2, "codecs: %r" % codecs)

    def test_100k_gzip(self):
        self.codec_round_trip("gzip")

    def test_100k_snappy(self):
        self.codec_round_trip("snappy")

    def test_100k_lz4(self):
        self.codec_round_trip("lz4")

    def test_100k_zstd(self):
        self.codec_round_trip("zstd")


if __name__ == "__main__":
    unittest.main()
