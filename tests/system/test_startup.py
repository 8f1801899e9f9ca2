"""Process contract: health endpoints, configuration errors."""

import subprocess
import unittest

from harness import Broker, SkiffTestCase


class StartupTest(SkiffTestCase):

    def run_to_exit(self, overrides):
        b = Broker(name=self._testMethodName, overrides=overrides)
        self.brokers.append(b)
        try:
            cp = subprocess.run(b.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=10, cwd=b.dir)
        except subprocess.TimeoutExpired:
            self.fail("skiffd with a bad configuration kept running")
        return cp.returncode, cp.stderr.decode(errors="replace")

    def test_health_and_ready(self):
        b = self.start_broker()
        self.assertEqual(b.http_get("/healthz")[0], 200)
        self.assertEqual(b.http_get("/readyz")[0], 200)

    def test_cluster_id_and_controller_stable_across_restarts(self):
        b = self.start_broker()
        with b.raw() as c:
            md = c.metadata(None)
        self.assertTrue(md["cluster_id"], "cluster_id must be set")
        self.assertEqual([(x["node_id"], x["host"], x["port"]) for x in md["brokers"]], [(1, "127.0.0.1", b.port)])
        self.assertEqual(md["controller_id"], 1)
        for stop in (b.kill, b.stop):
            stop()
            b.start()
            with b.raw() as c:
                again = c.metadata(None)
            self.assertEqual(again["cluster_id"], md["cluster_id"], "cluster_id changed across a restart")
            self.assertEqual(again["controller_id"], 1)

    def test_unknown_key_exits_2(self):
        rc, err = self.run_to_exit({"no.such.key": "1"})
        self.assertEqual(rc, 2, err)
        self.assertIn("no.such.key", err)
        self.assertEqual(len(err.strip().splitlines()), 1, "expected a one-line error, got:\n" + err)

    def test_bad_value_exits_2(self):
        rc, err = self.run_to_exit({"num.partitions": "lots"})
        self.assertEqual(rc, 2, err)
        self.assertIn("num.partitions", err)


if __name__ == "__main__":
    unittest.main()
