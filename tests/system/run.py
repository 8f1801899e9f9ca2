#!/usr/bin/python3
"""Runs the system tests: every tests/system/test_*.py module (unittest).

    /usr/bin/python3 tests/system/run.py --build build [-k pattern] [-v]

Prints each test with its outcome and duration, then `N passed, M failed`
(and `, K skipped` when some were skipped).  Exits non-zero on any failure.
"""

import argparse
import fnmatch
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class TimedResult(unittest.TestResult):
    def __init__(self, verbose):
        super().__init__()
        self.verbose = verbose
        self.n_pass = 0
        self.failed_ids = set()   # a test failing in its body and its cleanup counts once
        self.n_skip = 0
        self._t0 = 0.0

    def startTest(self, test):
        super().startTest(test)
        self._t0 = time.monotonic()
        if self.verbose:
            print("... %s" % test.id(), flush=True)

    def _line(self, test, outcome, detail=None):
        print("%-70s %-7s %6.2fs" % (test.id(), outcome, time.monotonic() - self._t0), flush=True)
        if detail:
            print("    " + detail.rstrip().replace("\n", "\n    "), flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.n_pass += 1
        self._line(test, "ok")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.failed_ids.add(test.id())
        self._line(test, "FAIL", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self.failed_ids.add(test.id())
        self._line(test, "ERROR", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.n_skip += 1
        self._line(test, "skip", reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.n_pass += 1
        self._line(test, "xfail")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.failed_ids.add(test.id())
        self._line(test, "XPASS")


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build", help="build directory holding skiffd")
    ap.add_argument("-k", dest="patterns", action="append", default=[],
                    help="run only tests whose id contains this (or matches it as a glob); repeatable")
    ap.add_argument("-v", action="store_true", help="print each test's name when it starts")
    args = ap.parse_args()

    os.environ["SKIFF_BUILD"] = os.path.abspath(args.build)
    sys.path.insert(0, HERE)
    import harness
    harness.BUILD_DIR = os.environ["SKIFF_BUILD"]

    loader = unittest.TestLoader()
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    tests = list(iter_tests(suite))
    if args.patterns:
        tests = [t for t in tests if any(p in t.id() or fnmatch.fnmatch(t.id(), p) for p in args.patterns)]

    result = TimedResult(args.v)
    t0 = time.monotonic()
    unittest.TestSuite(tests).run(result)
    took = time.monotonic() - t0
    print("system tests took %.1fs" % took)
    n_fail = len(result.failed_ids)
    line = "%d passed, %d failed" % (result.n_pass, n_fail)
    if result.n_skip:
        line += ", %d skipped" % result.n_skip
    print(line, flush=True)
    return 1 if n_fail or not tests else 0


if __name__ == "__main__":
    sys.exit(main())
