"""kafkajs (from npm) against a real broker: its admin client creates a topic
and reads metadata and offsets, its producer writes with acks=-1, and kcat
reads every message back; its group consumer reads them again, committing
as it goes, and the committed offsets read back match."""

import json
import os
import shutil
import subprocess
import unittest

from harness import SkiffTestCase, run_kcat

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")


def kafkajs_available():
    return shutil.which("node") and os.path.isdir(os.path.join(JS_DIR, "node_modules", "kafkajs"))


class KafkajsTest(SkiffTestCase):

    def test_admin_producer_and_group_consumer(self):
        if not kafkajs_available():
            # scripts/install-deps.sh installs kafkajs from npm when the
            # registry is reachable; the runner counts and lists skips.
            self.skipTest("kafkajs not installed (scripts/install-deps.sh could not reach npm)")
        b = self.start_broker()
        topic, partitions, count = "kafkajs-topic", 3, 3000
        out = subprocess.run(["node", os.path.join(JS_DIR, "produce_admin.js"), b.bootstrap, topic,
                              str(partitions), str(count)], capture_output=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr.decode(errors="replace"))
        seen = json.loads(out.stdout.decode().strip().splitlines()[-1])
        self.assertTrue(seen["created"])
        self.assertEqual(sorted(p["partition"] for p in seen["partitions"]), list(range(partitions)))
        self.assertTrue(all(p["leader"] == 1 for p in seen["partitions"]))
        self.assertEqual(seen["acked"], count)
        per_part = {o["partition"]: (int(o["low"]), int(o["high"])) for o in seen["offsets"]}
        self.assertEqual(per_part, {p: (0, count // partitions) for p in range(partitions)})
        # Every message kafkajs produced is there, in order per partition.
        res = run_kcat(["-b", b.bootstrap, "-C", "-t", topic, "-e", "-q", "-f", "%p %o %k %s %h\n"], timeout=60)
        rows = [line.split(" ") for line in res.stdout.decode().splitlines()]
        self.assertEqual(len(rows), count)
        for p in range(partitions):
            mine = [r for r in rows if int(r[0]) == p]
            self.assertEqual([int(r[1]) for r in mine], list(range(count // partitions)))
            seqs = [int(r[2][1:]) for r in mine]
            self.assertEqual(seqs, list(range(p, count, partitions)))
            for r in mine:
                self.assertEqual(r[3], "kafkajs-%s" % r[2][1:])
                self.assertEqual(r[4], "seq=%s" % r[2][1:])
        # The group consumer sees every message once, in order per partition,
        # and its commits are the log ends.
        out = subprocess.run(["node", os.path.join(JS_DIR, "consume_group.js"), b.bootstrap, topic,
                              "kafkajs-group", str(count)], capture_output=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr.decode(errors="replace"))
        got = json.loads(out.stdout.decode().strip().splitlines()[-1])
        for p in range(partitions):
            offs = [m["offset"] for m in got["seen"] if m["partition"] == p]
            self.assertEqual(offs, list(range(count // partitions)))
        committed = {c["partition"]: int(c["offset"]) for t in got["committed"] for c in t["partitions"]}
        self.assertEqual(committed, {p: count // partitions for p in range(partitions)})


if __name__ == "__main__":
    unittest.main()
