#!/usr/bin/python3
"""History checker for Skiff's fault-injection tests (after Jepsen's Kafka workload).

Usage: checker.py [--max-per-kind N] HISTORY.jsonl
Prints a report; exits 0 if the history is valid, 1 if it shows an anomaly,
2 if the file cannot be read or is malformed.

HISTORY
One op per line (JSON): id, proc, f (send | poll | commit | committed |
liveness | final_read), invoke_t, complete_t (one monotonic clock), outcome
(ok | fail = had no effect | info = may or may not have had effect), error.
send: partition, value (unique int), offset (when ok), acks.
poll: mode, session, reads {partition: [[offset, value], ...]} (ok polls).
commit: group, partition, offset (the next offset to consume).
committed: group, partition, offset (-1 = nothing committed).
final_read: reads (every partition, from its log start), log_start {partition: offset}.
liveness: elapsed_s, bound_s, detail.

TERMS
- A position is (partition, offset).
- An ok send acknowledges its value at its position (partition, offset).
- A read is one [offset, value] entry of an ok poll or of an ok final_read.
- A value's send is the send op carrying that value (values are unique).
- Op A precedes op B when A.complete_t < B.invoke_t (real-time order).
- The final reads are the ok final_read ops; each is the whole log after
  every fault healed, so each is ground truth for lost writes.  A partition
  missing from its log_start starts at 0.

ANOMALIES (the names are the keys of Result.anomalies)
lost-write          An ok send whose acknowledged offset is at or above its
                    partition's log_start in some final read F, and F does
                    not hold the send's value at that offset.  Sends with
                    outcome info or fail are never lost.  Acknowledged offsets
                    below log_start are not lost (retention removed them);
                    they are counted in stats["below_log_start"].
vanished-read       A value whose send has outcome info, read at (p, o) (by
                    an ok poll, or by another final read when there are
                    several) with o at or above log_start in some final read
                    F, where F holds no record at offset o and does not hold
                    the value anywhere: a consumer saw the write take effect,
                    and the log lost it.  (If F holds another value at o, that
                    is inconsistent-offset; if F holds the value elsewhere,
                    duplicate.  An ok send's value is covered by lost-write.)
inconsistent-offset A position seen with two or more different values, over
                    all reads and all acknowledgements.
wrong-offset        A value of an ok send that was read, but never at the
                    position its send acknowledged.
duplicate           A value read at two or more different positions.
poll-skip           Within one session, two consecutive reads of a partition
                    at offsets a then b with b > a + 1.  A session is the ok
                    polls of one proc carrying one `session` string, taken
                    in order of invoke_t (then id), each poll's reads in the
                    order returned.  Each final read is also checked this way, per
                    partition, starting from log_start: a first offset above
                    log_start is a skip.  Empty polls and failed polls change
                    nothing; an info poll ends the session's continuity (it
                    may have consumed records the history does not show), so
                    the next read after it may start anywhere.  A session's
                    first read may start anywhere.
nonmonotonic-poll   As poll-skip, with b <= a.
aborted-read        A read value whose send has outcome fail.
phantom-read        A read value that no send carries, or whose send was
                    invoked only after the read completed.
commit-backwards    An ok committed read C of (group, partition) returns x,
                    and some witness W of the same (group, partition) with a
                    value y > x precedes C, where W is an ok commit of y or an
                    ok committed read that returned y; and no commit of x that
                    may have taken effect (outcome ok or info) completed after
                    W was invoked.  Then no write of x can be ordered after
                    W's, so C read an offset older than one already in place.
                    x = -1 (nothing committed) counts as written before
                    everything.  A lower commit that overlaps or follows W is
                    therefore not flagged: C may legitimately read it.  A
                    committed offset that no commit wrote is not flagged by
                    itself, only when it is older than a witness.
order               Two ok sends A and B to one partition, A precedes B, but
                    A's acknowledged offset is greater than B's.
liveness            A liveness op whose outcome is not ok.
incomplete-history  The history has sends but no ok final_read, so lost
                    writes cannot be checked.

Several kinds can describe one fault: an acknowledgement naming the wrong
offset, for example, is a lost-write and a wrong-offset, and an
inconsistent-offset if another value sits at the acknowledged position.

WHAT THE HISTORY MUST GUARANTEE for the anomalies to mean broker bugs
- A send's `offset` is its record's own offset (batch base offset + index).
- The producer never re-sends a value, itself or inside the client library
  (retries off, or an idempotent producer): a client-side retry of a send
  whose first attempt landed would show as a duplicate.
- Poll reads are what the consumer returned to the application (clients drop
  the records of a fetched batch that lie below the fetch position).
- A consumer that restarts, seeks or is given a new assignment starts a new
  session string.
- With acks=1 Kafka itself may lose acknowledged writes on leader failover;
  such losses are still reported (stats["lost_acks_1"] counts them).

API
check(history) -> Result          history: list of op dicts as above; raises
                                  HistoryError (a ValueError) if malformed.
Result.valid                      True when no anomaly was found.
Result.anomalies                  {kind: [excerpt]}, kinds in KIND_NAMES order;
                                  an excerpt is a dict with "why" (one line),
                                  "ops" (the ids of the ops that break the
                                  property) and, by kind, "positions"
                                  [(partition, offset)], "value", "group",
                                  "partition", "session".
Result.stats                      counts: sends, send_ok/fail/info, acknowledged,
                                  lost, lost_acks_1, below_log_start, polls,
                                  poll_ok/fail/info, empty_polls, read_entries,
                                  values_read, final_values, info_sends_read,
                                  info_sends_in_final, commits, commit_ok/...,
                                  committed_ok, sessions, groups, partitions,
                                  final_read_ok, liveness_ok, ops.
format(result, history, max_per_kind=5) -> str
                                  the report: verdict, stats, then each violated
                                  property with its excerpts and their ops.
"""

import os
import sys
from bisect import bisect_left

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from checker_history import HistoryError, load_normalized, normalize  # noqa: E402,F401

KINDS = (
    ("lost-write", "an acknowledged write is missing from the final read at its offset"),
    ("vanished-read", "a consumer read an info send's value that the final log no longer holds"),
    ("inconsistent-offset", "one (partition, offset) was seen holding different values"),
    ("wrong-offset", "a value was read, but never at the offset its send acknowledged"),
    ("duplicate", "one value was read at more than one (partition, offset)"),
    ("poll-skip", "a session's reads of a partition jumped over offsets"),
    ("nonmonotonic-poll", "a session's reads of a partition went back or repeated"),
    ("aborted-read", "a value was read whose send failed (had no effect)"),
    ("phantom-read", "a value was read that no send had produced (yet)"),
    ("commit-backwards", "a committed-offset read returned an offset older than one in place"),
    ("order", "a send that completed earlier got a higher offset than a later send"),
    ("liveness", "the cluster did not recover within the bound after healing"),
    ("incomplete-history", "the history has no ok final read; lost writes were not checked"),
)
KIND_NAMES = tuple(k for k, _ in KINDS)

# Read ops listed per excerpt: enough to find the evidence, not a dump.
EXCERPT_OPS_MAX = 4


class Result:
    """valid: no anomaly.  anomalies: {kind: [excerpt dict]}.  stats: counts."""

    def __init__(self, anomalies, stats, ops_by_id):
        self.anomalies = anomalies
        self.stats = stats
        self._ops_by_id = ops_by_id

    @property
    def valid(self):
        return not self.anomalies

    def __repr__(self):
        return "Result(valid=%s, anomalies=%s)" % (
            self.valid, {k: len(v) for k, v in self.anomalies.items()})


class _Index:
    """Everything the checks share, built in one pass over the history."""

    def __init__(self, ops):
        self.ops = ops
        self.by_id = {op["id"]: op for op in ops}
        self.send_of = {}           # value -> send op
        self.finals = []            # ok final_read ops
        self.read_pos = {}          # value -> {(p, o): first read op id}
        self.first_read = {}        # value -> read op that completed first
        self.pos_values = {}        # (p, o) -> {value: [source op ids]}
        self.read_entries = 0
        for op in ops:
            f = op["f"]
            if f == "send":
                self.send_of[op["value"]] = op
                if op["outcome"] == "ok":
                    self._observe((op["partition"], op["offset"]), op["value"], op["id"])
            elif f in ("poll", "final_read") and op["outcome"] == "ok":
                if f == "final_read":
                    self.finals.append(op)
                self._index_reads(op)
        # Per final read: {partition: {offset: value}} and the set of values.
        self.final_held = {f["id"]: {p: dict(pairs) for p, pairs in f["reads"].items()}
                           for f in self.finals}
        self.final_values = {f["id"]: {v for pairs in f["reads"].values() for _, v in pairs}
                             for f in self.finals}
        self.final_bounds = {fid: {p: (min(have), max(have)) for p, have in held.items() if have}
                             for fid, held in self.final_held.items()}

    def _observe(self, pos, value, op_id):
        vals = self.pos_values.setdefault(pos, {})
        srcs = vals.setdefault(value, [])
        if len(srcs) < EXCERPT_OPS_MAX and op_id not in srcs:
            srcs.append(op_id)

    def _index_reads(self, op):
        op_id = op["id"]
        for p, pairs in op["reads"].items():
            self.read_entries += len(pairs)
            for o, v in pairs:
                pos = (p, o)
                self._observe(pos, v, op_id)
                positions = self.read_pos.setdefault(v, {})
                if pos not in positions:
                    positions[pos] = op_id
                first = self.first_read.get(v)
                if first is None or op["complete_t"] < first["complete_t"]:
                    self.first_read[v] = op


def _excerpt(why, ops, **fields):
    e = {"why": why, "ops": list(ops)}
    e.update(fields)
    return e


def _lost_why(ix, send, final, positions):
    p, o, v = send["partition"], send["offset"], send["value"]
    have = ix.final_held[final["id"]].get(p, {})
    bounds = ix.final_bounds[final["id"]].get(p)
    if o in have:
        there = "holds value %r there" % (have[o],)
    elif bounds and bounds[0] < o < bounds[1]:
        there = "has no record at offset %d (a gap in %d..%d)" % (o, bounds[0], bounds[1])
    elif bounds:
        there = "has offsets %d..%d only" % bounds
    else:
        there = "has no records in partition %d" % p
    elsewhere = sorted(positions) if positions else []
    seen = ("; value was read at %s" % ", ".join("p%d@%d" % q for q in elsewhere[:4])) \
        if elsewhere else "; value was never read"
    return "send acked p%d@%d value %d; final read id=%d %s%s" % (
        p, o, v, final["id"], there, seen)


def check_lost(ix, stats):
    out = []
    held_by = ix.final_held
    below = set()
    for send in ix.send_of.values():
        if send["outcome"] != "ok":
            continue
        p, o, v = send["partition"], send["offset"], send["value"]
        for final in ix.finals:
            if o < final["log_start"].get(p, 0):
                below.add(v)
                continue
            held = held_by[final["id"]]
            if held.get(p, {}).get(o) != v:
                positions = ix.read_pos.get(v, {})
                out.append(_excerpt(_lost_why(ix, send, final, positions),
                                    [send["id"], final["id"]], positions=[(p, o)],
                                    value=v, acks=send.get("acks")))
                break
    stats["lost"] = len(out)
    stats["lost_acks_1"] = sum(1 for e in out if e["acks"] in (0, 1))
    stats["below_log_start"] = len(below)
    return out


def check_vanished(ix, stats):
    """vanished-read: an info send's value that a poll read, gone from the log."""
    out = []
    for v, positions in ix.read_pos.items():
        send = ix.send_of.get(v)
        if send is None or send["outcome"] != "info":
            continue
        for final in ix.finals:
            if v in ix.final_values[final["id"]]:
                continue
            held = ix.final_held[final["id"]]
            gone = [(p, o) for p, o in positions if o >= final["log_start"].get(p, 0)
                    and o not in held.get(p, {})]
            if gone:
                p, o = gone[0]
                why = "value %d (send info) read at p%d@%d by op %d; final read id=%d has " \
                      "no record there and not the value anywhere" % (
                          v, p, o, positions[(p, o)], final["id"])
                out.append(_excerpt(why, [send["id"], positions[(p, o)], final["id"]],
                                    positions=gone, value=v))
                break
    return out


def check_inconsistent(ix, stats):
    out = []
    for (p, o), vals in ix.pos_values.items():
        if len(vals) < 2:
            continue
        ops = []
        for srcs in vals.values():
            ops.extend(srcs[:2])
        why = "p%d@%d seen as %s" % (p, o, ", ".join(
            "%r (op %s)" % (v, ",".join(map(str, srcs))) for v, srcs in vals.items()))
        out.append(_excerpt(why, ops, positions=[(p, o)], values=list(vals)))
    return out


def check_positions(ix, stats):
    """wrong-offset and duplicate: where each read value was read."""
    wrong, dup = [], []
    for v, positions in ix.read_pos.items():
        where = ", ".join("p%d@%d (op %d)" % (p, o, i) for (p, o), i in
                          list(positions.items())[:EXCERPT_OPS_MAX])
        if len(positions) > 1:
            dup.append(_excerpt("value %r read at %s" % (v, where),
                                list(positions.values())[:EXCERPT_OPS_MAX], value=v,
                                positions=sorted(positions)))
        send = ix.send_of.get(v)
        if send is None or send["outcome"] != "ok":
            continue
        ack = (send["partition"], send["offset"])
        if ack not in positions:
            wrong.append(_excerpt(
                "send acked value %d at p%d@%d; it was read at %s" % (v, ack[0], ack[1], where),
                [send["id"]] + list(positions.values())[:EXCERPT_OPS_MAX - 1],
                value=v, positions=[ack] + sorted(positions)))
    return {"wrong-offset": wrong, "duplicate": dup}


def check_read_origins(ix, stats):
    """aborted-read and phantom-read: whether each read value was ever sent."""
    aborted, phantom = [], []
    for v, positions in ix.read_pos.items():
        send = ix.send_of.get(v)
        first = ix.first_read[v]
        (p, o), rid = next(iter(positions.items()))
        fields = {"value": v, "positions": [(p, o)]}
        if send is None:
            phantom.append(_excerpt("value %r read at p%d@%d (op %d) was never sent"
                                    % (v, p, o, rid), [rid], **fields))
        elif send["outcome"] == "fail":
            aborted.append(_excerpt("value %d read at p%d@%d (op %d); its send failed: %s"
                                    % (v, p, o, rid, send.get("error") or "no error given"),
                                    [send["id"], rid], **fields))
        elif first["complete_t"] < send["invoke_t"]:
            phantom.append(_excerpt(
                "value %d read by op %d (completed %.6f) before its send was invoked (%.6f)"
                % (v, first["id"], first["complete_t"], send["invoke_t"]),
                [send["id"], first["id"]], **fields))
    return {"aborted-read": aborted, "phantom-read": phantom}


def _walk_reads(key, pairs, last, op_id, out):
    """Checks one poll's reads of one partition against the session's last read.

    key is (session label, partition); `last` maps it to (offset, op id).
    Appends (kind, excerpt) pairs to out.
    """
    for o, _ in pairs:
        prev = last.get(key)
        if prev is not None:
            po, pid = prev
            kind = None
            if o > po + 1:
                kind, what = "poll-skip", "skipped %d offset(s)" % (o - po - 1)
            elif o <= po:
                kind = "nonmonotonic-poll"
                what = ("went back %d" % (po - o)) if o < po else "repeated"
            if kind:
                why = "%s p%d: offset %d (op %d) then %d (op %d): %s" % (
                    key[0], key[1], po, pid, o, op_id, what)
                ops = [pid] if pid == op_id else [pid, op_id]
                out.append((kind, _excerpt(why, ops, positions=[(key[1], po), (key[1], o)],
                                           session=key[0])))
        last[key] = (o, op_id)


def check_sessions(ix, stats):
    """poll-skip and nonmonotonic-poll.  A session belongs to one consumer,
    so it is keyed by (proc, session): two consumers that happen to name
    their sessions alike are not mixed up."""
    polls = [op for op in ix.ops if op["f"] == "poll" and op["outcome"] in ("ok", "info")
             and op.get("session") is not None]
    polls.sort(key=lambda op: (op["invoke_t"], op["id"]))
    last = {}
    open_keys = {}              # session label -> keys in `last`, ended by an info poll
    found = []
    for op in polls:
        s = "proc %d session %s" % (op["proc"], op["session"])
        if op["outcome"] == "info":
            for key in open_keys.pop(s, ()):
                last.pop(key, None)
            continue
        for p, pairs in op["reads"].items():
            key = (s, p)
            open_keys.setdefault(s, set()).add(key)
            _walk_reads(key, pairs, last, op["id"], found)
    for final in ix.finals:
        s = "final_read id=%d" % final["id"]
        for p, pairs in final["reads"].items():
            start = final["log_start"].get(p, 0)
            last[(s, p)] = (start - 1, final["id"])
            _walk_reads((s, p), pairs, last, final["id"], found)
    out = {"poll-skip": [], "nonmonotonic-poll": []}
    for kind, e in found:
        out[kind].append(e)
    return out


class _SuffixMax:
    """Fenwick tree answering max over positions >= i (items are (y, op id))."""

    def __init__(self, n):
        self.n = n
        self.tree = [None] * (n + 1)

    def add(self, i, item):
        j = self.n - i              # position i counts from the right
        while j <= self.n:
            if self.tree[j] is None or item[0] > self.tree[j][0]:
                self.tree[j] = item
            j += j & -j

    def query(self, i):
        best = None
        j = self.n - i
        while j > 0:
            t = self.tree[j]
            if t is not None and (best is None or t[0] > best[0]):
                best = t
            j -= j & -j
        return best


def _commit_key_check(key, commits, reads, out):
    """commit-backwards for one (group, partition); see the module docstring."""
    last_write = {}             # x -> latest complete_t of a commit of x (ok or info)
    witnesses = []
    for op in commits:
        if op["outcome"] in ("ok", "info"):
            x = op["offset"]
            last_write[x] = max(last_write.get(x, float("-inf")), op["complete_t"])
        if op["outcome"] == "ok":
            witnesses.append(op)
    commit_ids = {w["id"] for w in witnesses}
    witnesses.extend(reads)
    invokes = sorted(w["invoke_t"] for w in witnesses)
    tree = _SuffixMax(len(invokes))
    witnesses.sort(key=lambda w: w["complete_t"])
    k = 0
    for c in sorted(reads, key=lambda r: r["invoke_t"]):
        while k < len(witnesses) and witnesses[k]["complete_t"] < c["invoke_t"]:
            w = witnesses[k]
            tree.add(bisect_left(invokes, w["invoke_t"]), (w["offset"], w["id"]))
            k += 1
        x = c["offset"]
        best = tree.query(bisect_left(invokes, last_write.get(x, float("-inf"))))
        if best is None or best[0] <= x:
            continue
        ops = [best[1], c["id"]]
        why = "group %s p%d: committed read op %d returned %d after op %d had %s %d" % (
            key[0], key[1], c["id"], x, best[1],
            "committed" if best[1] in commit_ids else "read", best[0])
        out.append(_excerpt(why, ops, group=key[0], partition=key[1],
                            committed_offsets=[best[0], x]))


def check_commits(ix, stats):
    by_key = {}
    for op in ix.ops:
        if op["f"] == "commit" or (op["f"] == "committed" and op["outcome"] == "ok"):
            commits, reads = by_key.setdefault((op["group"], op["partition"]), ([], []))
            (commits if op["f"] == "commit" else reads).append(op)
    out = []
    for key in sorted(by_key):
        commits, reads = by_key[key]
        if reads:
            _commit_key_check(key, commits, reads, out)
    return out


def check_order(ix, stats):
    by_part = {}
    for send in ix.send_of.values():
        if send["outcome"] == "ok":
            by_part.setdefault(send["partition"], []).append(send)
    out = []
    for p in sorted(by_part):
        sends = by_part[p]
        by_complete = sorted(sends, key=lambda s: s["complete_t"])
        k = 0
        top = None              # the completed send with the highest offset so far
        for b in sorted(sends, key=lambda s: s["invoke_t"]):
            while k < len(by_complete) and by_complete[k]["complete_t"] < b["invoke_t"]:
                a = by_complete[k]
                if top is None or a["offset"] > top["offset"]:
                    top = a
                k += 1
            if top is not None and top["offset"] > b["offset"]:
                why = "p%d: send op %d (value %d) got offset %d and completed at %.6f, " \
                      "before send op %d (value %d) was invoked at %.6f and got offset %d" % (
                          p, top["id"], top["value"], top["offset"], top["complete_t"],
                          b["id"], b["value"], b["invoke_t"], b["offset"])
                out.append(_excerpt(why, [top["id"], b["id"]],
                                    positions=[(p, top["offset"]), (p, b["offset"])]))
    return out


def check_liveness(ix, stats):
    out = []
    for op in ix.ops:
        if op["f"] == "liveness" and op["outcome"] != "ok":
            why = "liveness %s after %s s (bound %s s): %s" % (
                op["outcome"], op.get("elapsed_s", "?"), op.get("bound_s", "?"),
                op.get("detail") or op.get("error") or "no detail")
            out.append(_excerpt(why, [op["id"]]))
    return out


def check_complete(ix, stats):
    if ix.finals or not ix.send_of:
        return []
    tried = [op["id"] for op in ix.ops if op["f"] == "final_read"]
    why = "no ok final_read (%s)" % (
        "final_read ops %s did not succeed" % tried[:EXCERPT_OPS_MAX] if tried else "none recorded")
    return [_excerpt(why, tried[:EXCERPT_OPS_MAX])]


CHECKS = (
    ("lost-write", check_lost),
    ("vanished-read", check_vanished),
    ("inconsistent-offset", check_inconsistent),
    (None, check_positions),
    (None, check_read_origins),
    (None, check_sessions),
    ("commit-backwards", check_commits),
    ("order", check_order),
    ("liveness", check_liveness),
    ("incomplete-history", check_complete),
)


def _stats(ix):
    s = {"ops": len(ix.ops)}
    by_outcome = {}
    for op in ix.ops:
        by_outcome[(op["f"], op["outcome"])] = by_outcome.get((op["f"], op["outcome"]), 0) + 1
    for f in ("send", "poll", "commit", "committed", "liveness", "final_read"):
        for outcome in ("ok", "fail", "info"):
            s["%s_%s" % (f, outcome)] = by_outcome.get((f, outcome), 0)
    s["sends"] = sum(s["send_" + o] for o in ("ok", "fail", "info"))
    s["acknowledged"] = s["send_ok"]
    s["polls"] = sum(s["poll_" + o] for o in ("ok", "fail", "info"))
    s["empty_polls"] = sum(1 for op in ix.ops if op["f"] == "poll" and op["outcome"] == "ok"
                           and not any(op["reads"].values()))
    s["commits"] = sum(s["commit_" + o] for o in ("ok", "fail", "info"))
    s["sessions"] = len({(op["proc"], op["session"]) for op in ix.ops
                         if op["f"] == "poll" and op.get("session") is not None})
    s["groups"] = len({op["group"] for op in ix.ops if op["f"] in ("commit", "committed")})
    parts = {op["partition"] for op in ix.ops if op["f"] == "send"}
    for op in ix.ops:
        if op["f"] in ("poll", "final_read"):
            parts.update(op["reads"])
    s["partitions"] = len(parts)
    s["read_entries"] = ix.read_entries
    s["values_read"] = len(ix.read_pos)
    in_final = set()
    for final in ix.finals:
        for pairs in final["reads"].values():
            in_final.update(v for _, v in pairs)
    s["final_values"] = len(in_final)
    s["info_sends_in_final"] = sum(1 for v in in_final if v in ix.send_of
                                   and ix.send_of[v]["outcome"] == "info")
    s["info_sends_read"] = sum(1 for v in ix.read_pos if v in ix.send_of
                               and ix.send_of[v]["outcome"] == "info")
    return s


def check_ops(ops):
    """check() on ops already normalised by checker_history.normalize()."""
    ix = _Index(ops)
    stats = _stats(ix)
    found = {}
    for name, fn in CHECKS:
        got = fn(ix, stats)
        if name is not None:
            got = {name: got}
        for kind, excerpts in got.items():
            if excerpts:
                found[kind] = excerpts
    anomalies = {k: found[k] for k in KIND_NAMES if k in found}
    return Result(anomalies, stats, ix.by_id)


def check(history):
    """Checks a history (a list of op dicts); raises HistoryError if malformed."""
    return check_ops(normalize(history))


def _focus_reads(op, positions, limit=8):
    """The entries of a poll or final read near the positions of an excerpt,
    per partition; the whole op in brief when the excerpt names none."""
    wanted = {}
    for p, o in positions or ():
        wanted.setdefault(p, set()).add(o)
    if not wanted:
        return "%d partitions" % len(op["reads"])
    parts = []
    for p, offsets in wanted.items():
        pairs = op["reads"].get(p, [])
        if not pairs:
            if op["f"] == "final_read":
                parts.append("p%d: no records" % p)
            continue
        near = [(o, v) for o, v in pairs if any(abs(o - w) <= 1 for w in offsets)]
        near = near or pairs[-limit:]
        shown = " ".join("%d:%r" % e for e in near[:limit])
        more = " ..." if len(near) > limit else ""
        parts.append("p%d [%s%s] (%d records, offsets %d..%d as returned)" % (
            p, shown, more, len(pairs), pairs[0][0], pairs[-1][0]))
    return "; ".join(parts)


def _op_line(op, excerpt):
    head = "id=%d proc=%d %s %s t=[%.6f, %.6f]" % (op["id"], op["proc"], op["f"], op["outcome"],
                                                  op["invoke_t"], op["complete_t"])
    f = op["f"]
    if f == "send":
        tail = "p%d value=%d" % (op["partition"], op["value"])
        if op["offset"] is not None:
            tail += " offset=%d" % op["offset"]
        if op.get("acks") is not None:
            tail += " acks=%d" % op["acks"]
    elif f in ("commit", "committed"):
        tail = "group=%s p%d offset=%s" % (op["group"], op["partition"], op["offset"])
    elif f in ("poll", "final_read"):
        positions = excerpt.get("positions")
        if f == "poll":
            tail = "session=%s " % op["session"]
        else:
            named = sorted({p for p, _ in positions or ()})
            tail = "log_start=%s " % ",".join(
                "p%d:%d" % (p, op["log_start"].get(p, 0)) for p in named)
        tail += _focus_reads(op, positions)
    else:
        tail = "elapsed_s=%s bound_s=%s" % (op.get("elapsed_s"), op.get("bound_s"))
    err = " error=%s" % op["error"] if op.get("error") else ""
    return "%s %s%s" % (head, tail, err)


STATS_LINE = ("sends", "send_ok", "send_fail", "send_info", "acknowledged", "lost",
              "below_log_start", "values_read", "info_sends_in_final", "polls", "empty_polls",
              "sessions", "commits", "committed_ok", "partitions", "final_read_ok")


def format(result, history=None, max_per_kind=5):
    """A human-readable report: verdict, stats, then each violated property
    with up to max_per_kind excerpts, each listing the ops that break it."""
    ops = result._ops_by_id
    if ops is None:
        ops = {op["id"]: op for op in normalize(history)}
    lines = []
    if result.valid:
        lines.append("VALID: no anomalies")
    else:
        lines.append("INVALID: %s" % ", ".join(
            "%s (%d)" % (k, len(v)) for k, v in result.anomalies.items()))
    lines.append("stats: " + " ".join("%s=%s" % (k, result.stats.get(k, 0)) for k in STATS_LINE))
    desc = dict(KINDS)
    for kind, excerpts in result.anomalies.items():
        lines.append("")
        lines.append("%s: %s (%d)" % (kind, desc.get(kind, ""), len(excerpts)))
        for e in excerpts[:max_per_kind]:
            lines.append("  - " + e["why"])
            for op_id in e["ops"]:
                if op_id in ops:
                    lines.append("      " + _op_line(ops[op_id], e))
        if len(excerpts) > max_per_kind:
            lines.append("  ... and %d more" % (len(excerpts) - max_per_kind))
    return "\n".join(lines)


def main(argv):
    args = list(argv[1:])
    max_per_kind = 5
    if len(args) == 3 and args[0] == "--max-per-kind":
        if not args[1].isdigit():
            print("checker.py: --max-per-kind needs a non-negative integer", file=sys.stderr)
            return 2
        max_per_kind = int(args[1])
        args = args[2:]
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: checker.py [--max-per-kind N] HISTORY.jsonl", file=sys.stderr)
        return 2
    try:
        ops = load_normalized(args[0])
    except HistoryError as e:
        print("checker.py: %s" % e, file=sys.stderr)
        return 2
    result = check_ops(ops)
    print(format(result, max_per_kind=max_per_kind))
    return 0 if result.valid else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
