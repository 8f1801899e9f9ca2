"""docs/configuration.md lists every configuration key skiffd knows."""

import os
import subprocess
import unittest

import harness

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class ConfigDocsTest(unittest.TestCase):
    def test_every_key_documented(self):
        out = subprocess.run([os.path.join(harness.BUILD_DIR, "skiffd"), "--config-reference"], capture_output=True, timeout=10, check=True)
        keys = [line.split("`")[1] for line in out.stdout.decode().splitlines() if line.startswith("| `")]
        self.assertGreater(len(keys), 20)
        with open(os.path.join(ROOT, "docs", "configuration.md")) as f:
            doc = f.read()
        missing = [k for k in keys if "`%s`" % k not in doc]
        self.assertEqual(missing, [], "keys missing from docs/configuration.md")
