#!/usr/bin/python3
"""Checks that every log call (SK_DEBUG/INFO/WARN/ERROR) in the C sources
writes one event name in snake_case and a format made only of key=value
pairs (a value with spaces must be quoted: key=\\"%s\\"), so that every log
line parses as key=value.  With --quoting it also flags a value formatted
from sk_strerror() without quotes (its messages contain spaces).

Prints one line per offending call and `N passed, M failed` (calls checked).
Usage: log_format.py [--quoting] DIR...
"""

import glob
import os
import re
import sys

CALL = re.compile(r'SK_(DEBUG|INFO|WARN|ERROR)\(\s*"([^"]*)"\s*,\s*((?:"(?:[^"\\]|\\.)*"\s*)+)(,[^;]*)?\);', re.S)
PAIR = re.compile(r'^[a-z_][a-z0-9_.]*=\S+$')
EVENT = re.compile(r'^[a-z][a-z0-9_]*$')


def check_call(fmt, args, quoting):
    problems = []
    flat = re.sub(r'\\"(?:[^"\\]|\\.)*?\\"', "Q", fmt)
    toks = flat.split()
    problems += ["not key=value: %r" % t for t in toks if not PAIR.match(t)]
    if not toks:
        problems.append("no fields")
    if not quoting:
        return problems
    # Pair each conversion with its argument to find unquoted sk_strerror values.
    convs = re.findall(r'((?:\\")?)%[-0-9.]*(?:hh|h|ll|l|z|j)?[sdiuxXfgcp]', fmt.replace("%%", ""))
    arglist = [a.strip() for a in re.split(r',(?![^()]*\))', (args or "").lstrip(","))] if args else []
    for quoted, arg in zip(convs, arglist):
        if "sk_strerror" in arg and not quoted:
            problems.append("unquoted %s" % arg)
    return problems


def main(argv):
    quoting = "--quoting" in argv
    dirs = [a for a in argv if a != "--quoting"] or ["broker", "raft"]
    calls = bad = 0
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, "*.c"))):
            src = open(path).read()
            for m in CALL.finditer(src):
                calls += 1
                problems = [] if EVENT.match(m.group(2)) else ["event %r" % m.group(2)]
                fmt = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(3)))
                problems += check_call(fmt, m.group(4), quoting)
                if problems:
                    bad += 1
                    print("%s:%d: %s" % (path, src[:m.start()].count("\n") + 1, "; ".join(problems)))
    print("%d passed, %d failed" % (calls - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
