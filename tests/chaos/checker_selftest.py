#!/usr/bin/python3
"""Self-test of checker.py: valid histories pass, each anomaly is caught.

A seeded model of a correct broker (checker_gen.py) yields valid histories;
each anomaly case copies one and injects exactly one fault, and the checker
must report that kind and no other.  Edge cases that a correct broker
produces must not be flagged, and the CLI must turn bad input into a clear
error with exit code 2.  Prints one line per case and `N passed, M failed`.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import checker  # noqa: E402
import checker_gen  # noqa: E402

CHECKER = os.path.join(HERE, "checker.py")
# The largest history in the suite and how long checking it may take.
BIG_SENDS_PER_PRODUCER = 9000
BIG_CHECK_S_MAX = 6.0


class CaseFailed(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise CaseFailed(msg)


def base(seed=1):
    return checker_gen.build_valid(seed)


def ops_of(h, f, outcome=None):
    return [op for op in h if op["f"] == f and (outcome is None or op["outcome"] == outcome)]


def by_value(h):
    return {op["value"]: op for op in ops_of(h, "send")}


def final_of(h):
    return ops_of(h, "final_read", "ok")[0]


def last_t(h):
    return max(op["complete_t"] for op in h)


def add_op(h, **op):
    op["id"] = max(o["id"] for o in h) + 1
    op.setdefault("proc", 99)
    h.append(op)
    return op


def summary(result):
    return "anomalies=%s" % {k: len(v) for k, v in result.anomalies.items()}


def report(result, h, lines_max=24):
    """The start of the checker's report, for a failed case's message."""
    lines = checker.format(result, h, max_per_kind=2).splitlines()
    return "\n".join(lines[:lines_max] + (["..."] if len(lines) > lines_max else []))


def expect_valid(h):
    r = checker.check(h)
    expect(r.valid, "expected valid, got %s\n%s" % (summary(r), report(r, h)))
    return r


def expect_only(h, kind):
    """The checker reports `kind` and nothing else, and the report names it
    together with the ids of the ops in its first excerpt."""
    r = checker.check(h)
    expect(kind in r.anomalies, "%s not reported (%s)" % (kind, summary(r)))
    expect(set(r.anomalies) == {kind}, "expected only %s, got %s\n%s"
           % (kind, summary(r), report(r, h)))
    expect(not r.valid, "result.valid is true despite anomalies")
    text = checker.format(r, h)
    expect(kind in text, "report does not name %s" % kind)
    for op_id in r.anomalies[kind][0]["ops"]:
        expect("id=%d " % op_id in text, "report lacks op id=%d:\n%s" % (op_id, text))
    return r


# ----- valid histories ------------------------------------------------------

def case_valid_base():
    h = base()
    r = expect_valid(h)
    s = r.stats
    for key in ("send_ok", "send_fail", "send_info", "polls", "commits", "committed_ok",
                "sessions", "empty_polls", "info_sends_in_final"):
        expect(s[key] > 0, "the base history should exercise %s (stats %s)" % (key, s))
    expect(s["partitions"] == 3 and s["lost"] == 0, "stats %s" % s)
    expect(s["acknowledged"] == s["send_ok"], "acknowledged != send_ok")
    expect(s["sends"] == s["send_ok"] + s["send_fail"] + s["send_info"], "send counts")
    expect("VALID" in checker.format(r, h), "report does not say VALID")


def case_valid_seeds():
    for seed in range(2, 40):
        h = base(seed)
        r = checker.check(h)
        expect(r.valid, "seed %d: %s\n%s" % (seed, summary(r), report(r, h)))


def case_big_history_is_fast():
    h = checker_gen.build_valid(5, sends_per_producer=BIG_SENDS_PER_PRODUCER)
    expect(len(h) > 90000, "big history has only %d ops" % len(h))
    t0 = time.monotonic()
    r = checker.check(h)
    took = time.monotonic() - t0
    expect(r.valid, summary(r))
    expect(took < BIG_CHECK_S_MAX, "checking %d ops took %.2f s" % (len(h), took))
    return "%d ops in %.2f s" % (len(h), took)


# ----- one anomaly each -----------------------------------------------------

def case_lost_write():
    h = base()
    final = final_of(h)
    sends = by_value(h)
    pairs = final["reads"]["1"]
    expect(sends[pairs[-1][1]]["outcome"] == "ok", "log does not end with an ok send")
    pairs.pop()
    r = expect_only(h, "lost-write")
    expect(r.stats["lost"] == 1, "lost=%d" % r.stats["lost"])


def case_lost_write_other_value_there():
    """The final read holds another (never acknowledged) value at the offset."""
    h = base()
    final = final_of(h)
    sends = by_value(h)
    pairs = final["reads"]["2"]
    lost = sends[pairs[-1][1]]
    info = add_op(h, f="send", invoke_t=lost["invoke_t"], complete_t=lost["complete_t"],
                  outcome="info", partition=2, value=7777777, acks=-1)
    pairs[-1] = [pairs[-1][0], info["value"]]
    r = checker.check(h)
    expect("lost-write" in r.anomalies, summary(r))
    # The acknowledgement and the final read disagree about the position.
    expect(set(r.anomalies) == {"lost-write", "inconsistent-offset"}, summary(r))


def case_vanished_read():
    """An info send that a consumer read, then missing from the final log."""
    h = _small_log()[:2] + [
        _op(4, 2, "poll", 0.8, 0.9, session="s1", mode="assign",
            reads={"0": [[0, 1], [1, 2]]}),
        _op(5, 3, "final_read", 1.0, 1.1, reads={"0": [[0, 1]]}, log_start={"0": 0}),
    ]
    expect_only(h, "vanished-read")


def case_inconsistent_offset():
    h = base()
    sends = by_value(h)
    applied = {v for pairs in final_of(h)["reads"].values() for _, v in pairs}
    info = next(op for op in ops_of(h, "send", "info") if op["value"] not in applied)
    poll = next(op for op in reversed(ops_of(h, "poll", "ok")) if op["reads"].get("0"))
    o, v = poll["reads"]["0"][0]
    expect(sends[v]["outcome"] in ("ok", "info"), "odd base")
    info["partition"] = 0
    info["invoke_t"], info["complete_t"] = 0.0, 0.0005
    poll["reads"]["0"][0] = [o, info["value"]]
    expect_only(h, "inconsistent-offset")


def case_same_offset_two_acks():
    """Two ok sends acknowledged at one offset; the final read keeps one."""
    h = base()
    final = final_of(h)
    pairs = final["reads"]["0"]
    sends = by_value(h)
    keep = sends[pairs[-1][1]]
    add_op(h, f="send", invoke_t=keep["invoke_t"], complete_t=keep["complete_t"], outcome="ok",
           partition=0, value=8888888, offset=keep["offset"], acks=-1)
    r = checker.check(h)
    expect(set(r.anomalies) == {"inconsistent-offset", "lost-write"}, summary(r))


def _session_runs(h, min_reads):
    """(poll, partition key) of a session's poll with at least min_reads reads."""
    for poll in ops_of(h, "poll", "ok"):
        for p, pairs in poll["reads"].items():
            if len(pairs) >= min_reads:
                return poll, p
    raise CaseFailed("no poll with %d reads" % min_reads)


def case_poll_skip():
    h = base()
    poll, p = _session_runs(h, 3)
    del poll["reads"][p][1]
    expect_only(h, "poll-skip")


def case_nonmonotonic_poll():
    h = base()
    poll, p = _session_runs(h, 2)
    session = poll["session"]
    later = [op for op in ops_of(h, "poll", "ok") if op["session"] == session
             and op["reads"].get(p)]
    later.sort(key=lambda op: op["invoke_t"])
    later[-1]["reads"][p].append(list(poll["reads"][p][0]))
    expect_only(h, "nonmonotonic-poll")


def case_final_read_gap():
    h = base()
    pairs = final_of(h)["reads"]["0"]
    del pairs[len(pairs) // 2]
    r = checker.check(h)
    # The removed record is also a lost write when an ok send acknowledged it.
    expect("poll-skip" in r.anomalies, summary(r))
    expect(set(r.anomalies) <= {"poll-skip", "lost-write"}, summary(r))


def case_aborted_read():
    h = base()
    read_values = {v for op in ops_of(h, "poll", "ok") for pairs in op["reads"].values()
                   for _, v in pairs}
    send = next(op for op in ops_of(h, "send", "ok") if op["value"] in read_values)
    send["outcome"] = "fail"
    send["error"] = "NOT_LEADER_OR_FOLLOWER"
    del send["offset"]
    expect_only(h, "aborted-read")


def case_phantom_read():
    h = base()
    pairs = final_of(h)["reads"]["1"]
    pairs.append([pairs[-1][0] + 1, 99999999])
    expect_only(h, "phantom-read")


def case_phantom_read_from_the_future():
    h = base()
    read_values = {v for op in ops_of(h, "poll", "ok") for pairs in op["reads"].values()
                   for _, v in pairs}
    send = next(op for op in ops_of(h, "send", "info") if op["value"] in read_values)
    t = last_t(h) + 1.0
    send["invoke_t"], send["complete_t"] = t, t + 0.01
    expect_only(h, "phantom-read")


def case_commit_backwards():
    h = base()
    commits = [op for op in ops_of(h, "commit", "ok") if op["group"] == "g1"]
    top = max(commits, key=lambda op: op["offset"])
    t = last_t(h) + 0.1
    add_op(h, f="committed", invoke_t=t, complete_t=t + 0.001, outcome="ok",
           group="g1", partition=top["partition"], offset=-1)
    expect_only(h, "commit-backwards")


def case_commit_backwards_after_read():
    """A committed read older than an earlier committed read of the same key."""
    h = [
        _op(0, 1, "commit", 0.0, 0.1, group="g", partition=0, offset=5),
        _op(1, 1, "commit", 0.2, 0.3, group="g", partition=0, offset=9),
        _op(2, 2, "committed", 0.4, 0.5, group="g", partition=0, offset=9),
        _op(3, 2, "committed", 0.6, 0.7, group="g", partition=0, offset=5),
    ]
    expect_only(h, "commit-backwards")


def case_order():
    h = base()
    sends = sorted((op for op in ops_of(h, "send", "ok") if op["partition"] == 0),
                   key=lambda op: op["offset"])
    b, a = sends[3], sends[10]
    a["invoke_t"], a["complete_t"] = b["invoke_t"] - 0.002, b["invoke_t"] - 0.001
    expect_only(h, "order")


def case_duplicate():
    h = base()
    pairs = final_of(h)["reads"]["2"]
    pairs.append([pairs[-1][0] + 1, pairs[0][1]])
    expect_only(h, "duplicate")


def case_wrong_offset():
    h = base()
    pairs = final_of(h)["reads"]["0"]
    sends = by_value(h)
    last = sends[pairs[-1][1]]
    last["offset"] += 1            # acknowledged one past where it landed
    r = checker.check(h)
    expect(set(r.anomalies) == {"wrong-offset", "lost-write"}, summary(r))


def case_liveness():
    h = base()
    live = ops_of(h, "liveness")[0]
    live["outcome"] = "fail"
    live["detail"] = "partition 2 had no leader after 30 s"
    expect_only(h, "liveness")


def case_no_final_read():
    h = [op for op in base() if op["f"] != "final_read"]
    expect_only(h, "incomplete-history")


def _op(op_id, proc, f, t0, t1, outcome="ok", **kw):
    op = {"id": op_id, "proc": proc, "f": f, "invoke_t": t0, "complete_t": t1,
          "outcome": outcome}
    op.update(kw)
    return op


def case_fail_poll_keeps_continuity():
    """A failed poll had no effect, so a jump after it is still a skip."""
    h = [
        _op(0, 1, "send", 0.0, 0.1, partition=0, value=1, offset=0, acks=-1),
        _op(1, 1, "send", 0.2, 0.3, partition=0, value=2, offset=1, acks=-1),
        _op(2, 1, "send", 0.4, 0.5, partition=0, value=3, offset=2, acks=-1),
        _op(3, 2, "poll", 0.6, 0.7, session="s", mode="assign", reads={"0": [[0, 1]]}),
        _op(4, 2, "poll", 0.8, 0.9, outcome="fail", session="s", mode="assign"),
        _op(5, 2, "poll", 1.0, 1.1, session="s", mode="assign", reads={"0": [[2, 3]]}),
        _op(6, 3, "final_read", 2.0, 2.1, reads={"0": [[0, 1], [1, 2], [2, 3]]},
            log_start={"0": 0}),
    ]
    expect_only(h, "poll-skip")


# ----- edge cases that must not be flagged ----------------------------------

def _small_log():
    """Four sends to partition 0: ok, info (landed), info (did not), ok."""
    return [
        _op(0, 1, "send", 0.0, 0.1, partition=0, value=1, offset=0, acks=-1),
        _op(1, 1, "send", 0.2, 0.3, outcome="info", partition=0, value=2, acks=-1,
            error="REQUEST_TIMED_OUT"),
        _op(2, 1, "send", 0.4, 0.5, outcome="info", partition=0, value=3, acks=-1),
        _op(3, 1, "send", 0.6, 0.7, partition=0, value=4, offset=2, acks=1),
    ]


def case_info_sends_read_or_not():
    h = _small_log() + [
        _op(4, 2, "poll", 0.8, 0.9, session="s1", mode="assign",
            reads={"0": [[0, 1], [1, 2], [2, 4]]}),
        _op(5, 3, "final_read", 1.0, 1.1, reads={0: [[0, 1], [1, 2], [2, 4]]},
            log_start={0: 0}),
        _op(6, 3, "liveness", 1.2, 1.3, elapsed_s=0.1, bound_s=10, detail="ok"),
    ]
    r = expect_valid(h)
    expect(r.stats["info_sends_read"] == 1 and r.stats["info_sends_in_final"] == 1,
           "stats %s" % r.stats)


def case_info_send_only_in_final_read():
    h = _small_log() + [
        _op(4, 2, "poll", 0.8, 0.9, session="s1", mode="assign", reads={"0": [[0, 1]]}),
        _op(5, 3, "final_read", 1.0, 1.1, reads={"0": [[0, 1], [1, 2], [2, 4]]},
            log_start={"0": 0}),
    ]
    expect_valid(h)


def case_new_session_starts_earlier():
    h = base()
    pairs = final_of(h)["reads"]["0"]
    t = last_t(h) + 0.1
    add_op(h, f="poll", invoke_t=t, complete_t=t + 0.01, outcome="ok", mode="assign",
           session="late-seek", reads={"0": [list(e) for e in pairs[:3]]})
    add_op(h, f="poll", invoke_t=t + 0.02, complete_t=t + 0.03, outcome="ok", mode="assign",
           session="late-seek-2", reads={"0": [list(e) for e in pairs[1:2]]})
    expect_valid(h)


def case_overlapping_commits():
    # Commit 10 and commit 5 overlap; either may be the last one applied.
    h = [
        _op(0, 1, "commit", 0.0, 0.5, group="g", partition=0, offset=10),
        _op(1, 2, "commit", 0.1, 0.6, group="g", partition=0, offset=5),
        _op(2, 3, "committed", 0.7, 0.8, group="g", partition=0, offset=5),
        _op(3, 3, "committed", 0.9, 1.0, group="g", partition=0, offset=5),
        # A lower commit after a higher one, in sequence: a seek back.
        _op(4, 1, "commit", 1.1, 1.2, group="g", partition=1, offset=10),
        _op(5, 1, "commit", 1.3, 1.4, group="g", partition=1, offset=3),
        _op(6, 3, "committed", 1.5, 1.6, group="g", partition=1, offset=3),
        # An indeterminate lower commit after a higher one may have landed.
        _op(7, 1, "commit", 1.7, 1.8, group="g", partition=2, offset=10),
        _op(8, 1, "commit", 1.9, 2.0, outcome="info", group="g", partition=2, offset=4),
        _op(9, 3, "committed", 2.1, 2.2, group="g", partition=2, offset=4),
        # A committed read overlapping the first commit may see nothing yet.
        _op(10, 1, "commit", 3.0, 3.5, group="g", partition=3, offset=7),
        _op(11, 3, "committed", 3.1, 3.2, group="g", partition=3, offset=-1),
        _op(12, 4, "committed", 3.3, 3.6, group="g", partition=3, offset=7),
    ]
    expect_valid(h)


def case_failed_commit_is_no_witness():
    h = [
        _op(0, 1, "commit", 0.0, 0.1, group="g", partition=0, offset=4),
        _op(1, 1, "commit", 0.2, 0.3, outcome="fail", group="g", partition=0, offset=9),
        _op(2, 3, "committed", 0.4, 0.5, group="g", partition=0, offset=4),
    ]
    expect_valid(h)


def case_empty_polls():
    h = base()
    poll = ops_of(h, "poll", "ok")[-1]
    t = last_t(h) + 0.1
    for i, reads in enumerate(({}, {"0": []}, {"0": [], "1": []})):
        add_op(h, f="poll", invoke_t=t + i, complete_t=t + i + 0.5, outcome="ok", mode="assign",
               session=poll["session"], reads=reads)
    r = expect_valid(h)
    expect(r.stats["empty_polls"] >= 3, "stats %s" % r.stats)


def case_info_poll_ends_continuity():
    h = [
        _op(0, 1, "send", 0.0, 0.1, partition=0, value=1, offset=0, acks=-1),
        _op(1, 1, "send", 0.2, 0.3, partition=0, value=2, offset=1, acks=-1),
        _op(2, 1, "send", 0.4, 0.5, partition=0, value=3, offset=2, acks=-1),
        _op(3, 2, "poll", 0.6, 0.7, session="s", mode="group", reads={"0": [[0, 1]]}),
        _op(4, 2, "poll", 0.8, 0.9, outcome="info", session="s", mode="group",
            error="timed out"),
        _op(5, 2, "poll", 1.0, 1.1, session="s", mode="group", reads={"0": [[2, 3]]}),
        _op(6, 3, "final_read", 2.0, 2.1, reads={"0": [[0, 1], [1, 2], [2, 3]]},
            log_start={"0": 0}),
    ]
    expect_valid(h)


def case_session_names_shared_by_two_consumers():
    """Two consumers both call their session "s1"; their reads interleave in
    time but each is contiguous on its own."""
    h = _small_log() + [
        _op(4, 2, "poll", 0.8, 0.9, session="s1", mode="assign", reads={"0": [[0, 1]]}),
        _op(5, 5, "poll", 0.85, 0.95, session="s1", mode="assign", reads={"0": [[1, 2]]}),
        _op(6, 2, "poll", 1.0, 1.1, session="s1", mode="assign", reads={"0": [[1, 2], [2, 4]]}),
        _op(7, 5, "poll", 1.05, 1.15, session="s1", mode="assign", reads={"0": [[2, 4]]}),
        _op(8, 3, "final_read", 2.0, 2.1, reads={"0": [[0, 1], [1, 2], [2, 4]]}),
    ]
    expect_valid(h)


def case_decimal_string_values():
    """Record values read as their decimal text are the sent ints; any other
    text is a value nobody sent."""
    h = _small_log() + [
        _op(4, 2, "poll", 0.8, 0.9, session="s1", mode="assign",
            reads={"0": [[0, "1"], [1, "2"], [2, "4"]]}),
        _op(5, 3, "final_read", 1.0, 1.1, reads={"0": [[0, 1], [1, 2], [2, 4]]}),
    ]
    expect_valid(h)
    h[4]["reads"]["0"][1] = [1, "02"]
    r = checker.check(h)
    expect(set(r.anomalies) == {"phantom-read", "inconsistent-offset"}, summary(r))


def case_failed_commit_without_offset():
    h = [
        _op(0, 1, "commit", 0.0, 0.1, outcome="fail", group="g", partition=0,
            error="ILLEGAL_GENERATION"),
        _op(1, 1, "committed", 0.2, 0.3, outcome="info", group="g", partition=0),
        _op(2, 1, "committed", 0.4, 0.5, group="g", partition=0, offset=-1),
    ]
    expect_valid(h)


def case_extra_fields_and_harness_procs():
    """Fields the checker does not know are ignored; the harness's own ops
    may use proc -1; partitions may be int keys."""
    h = _small_log() + [
        _op(4, 2, "poll", 0.8, 0.9, session="a2-p0-0", mode="assign", partition=0, position=0,
            reads={0: [[0, 1]]}, node=2),
        _op(5, 2, "poll", 0.95, 0.96, session="a2-p0-0", mode="assign", reads={0: []},
            error="batch at offset 1 served with a bad CRC", corrupt_served=True),
        _op(6, -1, "final_read", 1.0, 1.1, reads={0: [[0, 1], [1, 2], [2, 4]]}, log_start={0: 0}),
        _op(7, -1, "liveness", 1.2, 1.3, bound_s=30, detail="every partition led and writable",
            elapsed_s=0.1),
    ]
    expect_valid(h)
    # A final read that could not finish is no ground truth.
    h[6]["outcome"] = "info"
    expect_only(h, "incomplete-history")


def case_below_log_start():
    h = _small_log() + [
        _op(4, 2, "poll", 0.8, 0.9, session="s1", mode="assign", reads={"0": [[0, 1]]}),
        _op(5, 3, "final_read", 1.0, 1.1, reads={"0": [[2, 4]]}, log_start={"0": 2}),
    ]
    r = expect_valid(h)
    expect(r.stats["below_log_start"] == 1, "stats %s" % r.stats)


# ----- the command line on good and hostile files ---------------------------

def run_cli(content, args=None):
    """Runs checker.py on a file holding `content` (bytes); returns
    (exit code, stdout, stderr)."""
    with tempfile.TemporaryDirectory(prefix="checker-selftest-") as d:
        path = os.path.join(d, "history.jsonl")
        with open(path, "wb") as fh:
            fh.write(content)
        argv = [sys.executable, CHECKER] + (args if args is not None else [path])
        p = subprocess.run(argv, capture_output=True, timeout=60)
        return p.returncode, p.stdout.decode(), p.stderr.decode()


def jsonl(h):
    return "".join(json.dumps(op) + "\n" for op in h).encode()


def case_cli_valid_and_invalid():
    h = base()
    rc, out, err = run_cli(jsonl(h))
    expect(rc == 0 and "VALID" in out, "valid file: rc=%d out=%s err=%s" % (rc, out, err))
    final_of(h)["reads"]["1"].pop()
    rc, out, err = run_cli(jsonl(h))
    expect(rc == 1 and "lost-write" in out, "lost write: rc=%d out=%s err=%s" % (rc, out, err))


def _good_send():
    return {"id": 1, "proc": 0, "f": "send", "invoke_t": 0.0, "complete_t": 0.1,
            "outcome": "ok", "partition": 0, "value": 5, "offset": 0, "acks": -1}


def _variant(**changes):
    op = _good_send()
    for k, v in changes.items():
        if v is _DROP:
            del op[k]
        else:
            op[k] = v
    return (json.dumps(op) + "\n").encode()


_DROP = object()
GOOD_LINE = _variant()

# (name, file content, text the error must contain)
HOSTILE = (
    ("garbage line", GOOD_LINE + b"this is not json\n", ":2: invalid JSON"),
    ("truncated line", GOOD_LINE + GOOD_LINE[:30] + b"\n", ":2: invalid JSON"),
    ("not an object", b"[1, 2, 3]\n", "must be a JSON object"),
    ("missing value", _variant(value=_DROP), "missing field 'value'"),
    ("missing id", _variant(id=_DROP), "missing field 'id'"),
    ("missing offset of ok send", _variant(offset=_DROP), "missing field 'offset'"),
    ("unknown f", _variant(f="produce"), "field 'f' must be one of"),
    ("unknown outcome", _variant(outcome="maybe"), "field 'outcome' must be one of"),
    ("string time", _variant(invoke_t="now"), "field 'invoke_t' must be a finite number"),
    ("NaN time", GOOD_LINE.replace(b"0.1", b"NaN"), "non-standard JSON constant"),
    ("bool id", _variant(id=True), "field 'id' must be an integer"),
    ("negative partition", _variant(partition=-1), "field 'partition' must be >= 0"),
    ("completes before invoked", _variant(complete_t=-1.0), "is before invoke_t"),
    ("duplicate id", GOOD_LINE + _variant(value=6), "id 1 already used by "),
    ("value sent twice", GOOD_LINE + _variant(id=2), "value 5 was already sent"),
    ("bad reads", (json.dumps({"id": 3, "proc": 1, "f": "poll", "invoke_t": 0, "complete_t": 1,
                               "outcome": "ok", "session": "s",
                               "reads": {"zero": [[0, 5]]}}) + "\n").encode(),
     "partition key \"zero\" is not an integer"),
    ("bad read pair", (json.dumps({"id": 3, "proc": 1, "f": "final_read", "invoke_t": 0,
                                   "complete_t": 1, "outcome": "ok",
                                   "reads": {"0": [[0]]}}) + "\n").encode(),
     "must be an [offset, value] pair"),
    ("binary", b"\xff\xfe\x00garbage\n", "not UTF-8"),
    ("unicode digit partition", (json.dumps({"id": 3, "proc": 1, "f": "final_read",
                                             "invoke_t": 0, "complete_t": 1, "outcome": "ok",
                                             "reads": {"\u00b2": []}}) + "\n").encode(),
     "is not an integer"),
    ("value of wrong type", (json.dumps({"id": 3, "proc": 1, "f": "poll", "invoke_t": 0,
                                         "complete_t": 1, "outcome": "ok", "session": "s",
                                         "reads": {"0": [[0, [1]]]}}) + "\n").encode(),
     "value must be an integer, string or null"),
    ("huge number", GOOD_LINE.replace(b"0.1", b"1e999"), "must be a finite number"),
    ("too many digits", GOOD_LINE.replace(b'"value": 5', b'"value": ' + b"9" * 5000),
     "invalid JSON"),
    ("deep nesting", b"[" * 200000 + b"\n", "invalid JSON"),
)


def case_cli_hostile_input():
    for name, content, needle in HOSTILE:
        rc, out, err = run_cli(content)
        expect(rc == 2, "%s: exit %d, stdout %r, stderr %r" % (name, rc, out[:200], err[-300:]))
        expect("Traceback" not in err, "%s: traceback:\n%s" % (name, err[-2000:]))
        expect(needle in err, "%s: error %r lacks %r" % (name, err.strip()[:300], needle))
    return "%d hostile files" % len(HOSTILE)


def case_cli_usage_and_missing_file():
    rc, _, err = run_cli(b"", args=[])
    expect(rc == 2 and "usage" in err, "no args: rc=%d err=%r" % (rc, err))
    rc, _, err = run_cli(b"", args=["/nonexistent/history.jsonl"])
    expect(rc == 2 and "cannot read" in err and "Traceback" not in err,
           "missing file: rc=%d err=%r" % (rc, err))
    rc, out, err = run_cli(b"\n\n")
    expect(rc == 0, "blank file: rc=%d err=%r" % (rc, err))


def case_api_rejects_malformed():
    try:
        checker.check([{"id": 1}])
    except checker.HistoryError as e:
        expect("missing field" in str(e), "message %r" % str(e))
        return None
    raise CaseFailed("check() accepted an op without fields")


CASES = [(name[len("case_"):].replace("_", "-"), fn) for name, fn in list(globals().items())
         if name.startswith("case_") and callable(fn)]


def main():
    passed = failed = 0
    t0 = time.monotonic()
    for name, fn in CASES:
        t = time.monotonic()
        try:
            note = fn()
        except CaseFailed as e:
            failed += 1
            print("FAIL %s: %s" % (name, e))
            continue
        except Exception as e:  # a checker crash is a failed case, not a crashed run
            failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
            continue
        passed += 1
        print("ok   %s (%.2f s)%s" % (name, time.monotonic() - t, "  " + note if note else ""))
    print("%d passed, %d failed (%.1f s)" % (passed, failed, time.monotonic() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
