#!/usr/bin/python3
"""Runs the fault-injection pieces' own tests (tests/chaos/test_*.py):
power loss through the sync-journal shim, segment corruption.

    /usr/bin/python3 tests/chaos/run_faults.py --build build [-k pattern]

Prints each test with its outcome, then `N passed, M failed`."""

import argparse
import fnmatch
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", dest="patterns", action="append", default=[])
    args = ap.parse_args()
    os.environ["SKIFF_BUILD"] = os.path.abspath(args.build)
    import harness
    import run
    harness.BUILD_DIR = os.environ["SKIFF_BUILD"]
    suite = unittest.TestLoader().discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    tests = list(run.iter_tests(suite))
    if args.patterns:
        tests = [t for t in tests if any(p in t.id() or fnmatch.fnmatch(t.id(), p) for p in args.patterns)]
    result = run.TimedResult(False)
    t0 = time.monotonic()
    unittest.TestSuite(tests).run(result)
    print("fault tests took %.1fs" % (time.monotonic() - t0))
    n_fail = len(result.failed_ids)
    print("%d passed, %d failed" % (result.n_pass, n_fail), flush=True)
    return 1 if n_fail or not tests else 0


if __name__ == "__main__":
    sys.exit(main())
