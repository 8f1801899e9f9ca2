"""Reads and validates a chaos-test history (format: checker.py's docstring):
JSON lines, one operation per line.

A history file is input like any other: every field is checked for presence
and type, and a bad line raises HistoryError naming the line, the op and the
field, never a traceback from deep inside the checker.  Validation returns
normalised copies (partitions as ints, reads as lists of (offset, value)
tuples) and leaves the caller's dicts untouched.
"""

import json
import math

# A final read of every partition is one line; a million records at ~30 bytes
# each is 30 MiB, so 64 MiB leaves room while keeping a file without newlines
# from being read into memory whole.
MAX_LINE_BYTES = 64 << 20

F_KINDS = ("send", "poll", "commit", "committed", "liveness", "final_read")
OUTCOMES = ("ok", "fail", "info")
POLL_MODES = ("assign", "group")


class HistoryError(ValueError):
    """The history is malformed; the message names where and why."""


def _is_int(x):
    return type(x) is int  # bool is a subclass of int, not an integer here


def _is_num(x):
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return False
    return math.isfinite(x)


class _Field:
    """Typed accessors for one op that raise HistoryError naming the op."""

    def __init__(self, op, where):
        self.op = op
        self.where = where

    def fail(self, msg):
        raise HistoryError("%s: %s" % (self.where, msg))

    def get(self, key, required=True):
        if key not in self.op or self.op[key] is None:
            if required:
                self.fail("missing field '%s'" % key)
            return None
        return self.op[key]

    def int(self, key, minimum=None, required=True):
        x = self.get(key, required)
        if x is None:
            return None
        if not _is_int(x):
            self.fail("field '%s' must be an integer, got %s" % (key, _show(x)))
        if minimum is not None and x < minimum:
            self.fail("field '%s' must be >= %d, got %d" % (key, minimum, x))
        return x

    def num(self, key):
        x = self.get(key)
        if not _is_num(x):
            self.fail("field '%s' must be a finite number, got %s" % (key, _show(x)))
        return float(x)

    def str(self, key, required=True):
        x = self.get(key, required)
        if x is not None and not isinstance(x, str):
            self.fail("field '%s' must be a string, got %s" % (key, _show(x)))
        return x

    def choice(self, key, allowed, required=True):
        x = self.get(key, required)
        if x is not None and x not in allowed:
            self.fail("field '%s' must be one of %s, got %s"
                      % (key, "/".join(map(str, allowed)), _show(x)))
        return x


def _show(x):
    s = json.dumps(x, default=repr) if not isinstance(x, float) else repr(x)
    return s if len(s) <= 40 else s[:37] + "..."


def _is_canonical_decimal(s):
    """True for the exact text str(int) produces; bounded so a hostile
    string of digits cannot make int() expensive."""
    if not s or len(s) > 40:
        return False
    digits = s[1:] if s[0] == "-" else s
    if not digits.isascii() or not digits.isdigit():
        return False
    return str(int(s)) == s


def _partition_key(fld, key, name):
    """Partitions appear as JSON object keys, so "3" and 3 both mean 3."""
    if _is_int(key):
        p = key
    elif isinstance(key, str) and _is_canonical_decimal(key):
        p = int(key)
    else:
        fld.fail("%s: partition key %s is not an integer" % (name, _show(key)))
    if p < 0:
        fld.fail("%s: partition %d is negative" % (name, p))
    return p


def _reads(fld, name):
    """{partition: [[offset, value], ...]} -> {int: [(offset, value), ...]}.

    Record values are the ASCII decimal of the sent int, so a canonical
    decimal string ("1234", not "01234" or " 1234") counts as that int.  Any
    other string or null is kept as it is: a record the harness could not
    parse is still evidence (a value read that no send carries).
    """
    raw = fld.get(name)
    if not isinstance(raw, dict):
        fld.fail("field '%s' must be an object {partition: [[offset, value], ...]}" % name)
    out = {}
    for key, entries in raw.items():
        p = _partition_key(fld, key, name)
        if p in out:
            fld.fail("%s: partition %d appears twice" % (name, p))
        if not isinstance(entries, list):
            fld.fail("%s[%d] must be a list of [offset, value] pairs" % (name, p))
        pairs = []
        for i, e in enumerate(entries):
            if not isinstance(e, (list, tuple)) or len(e) != 2:
                fld.fail("%s[%d][%d] must be an [offset, value] pair, got %s"
                         % (name, p, i, _show(e)))
            off, val = e
            if not _is_int(off) or off < 0:
                fld.fail("%s[%d][%d]: offset must be a non-negative integer, got %s"
                         % (name, p, i, _show(off)))
            if isinstance(val, str) and _is_canonical_decimal(val):
                val = int(val)
            elif not (val is None or _is_int(val) or isinstance(val, str)):
                fld.fail("%s[%d][%d]: value must be an integer, string or null, got %s"
                         % (name, p, i, _show(val)))
            pairs.append((off, val))
        out[p] = pairs
    return out


def _log_start(fld):
    raw = fld.get("log_start", required=False)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        fld.fail("field 'log_start' must be an object {partition: offset}")
    out = {}
    for key, off in raw.items():
        p = _partition_key(fld, key, "log_start")
        if not _is_int(off) or off < 0:
            fld.fail("log_start[%d] must be a non-negative integer, got %s" % (p, _show(off)))
        out[p] = off
    return out


def _normalize_specific(fld, f, outcome, n):
    ok = outcome == "ok"
    if f == "send":
        n["partition"] = fld.int("partition", 0)
        n["value"] = fld.int("value")
        n["offset"] = fld.int("offset", 0, required=ok)
        n["acks"] = fld.int("acks", -1, required=False)
    elif f == "poll":
        n["mode"] = fld.choice("mode", POLL_MODES, required=False)
        n["session"] = fld.str("session", required=ok)
        n["reads"] = _reads(fld, "reads") if ok else {}
    elif f in ("commit", "committed"):
        n["group"] = fld.str("group")
        n["partition"] = fld.int("partition", 0)
        # A failed commit had no effect and a committed read that did not
        # succeed returned nothing, so only those may leave the offset out.
        minimum = -1 if f == "committed" else 0
        needed = ok or (f == "commit" and outcome == "info")
        n["offset"] = fld.int("offset", minimum, required=needed)
    elif f == "final_read":
        n["reads"] = _reads(fld, "reads") if ok else {}
        n["log_start"] = _log_start(fld) if ok else {}
    elif f == "liveness":
        for key in ("elapsed_s", "bound_s", "detail"):
            if key in fld.op:
                n[key] = fld.op[key]


def normalize_op(op, where):
    """Validates one op and returns a normalised copy."""
    if not isinstance(op, dict):
        raise HistoryError("%s: an op must be a JSON object, got %s" % (where, _show(op)))
    fld = _Field(op, where)
    op_id = fld.int("id")
    fld.where = "%s (id=%d)" % (where, op_id)
    f = fld.choice("f", F_KINDS)
    fld.where = "%s (id=%d, f=%s)" % (where, op_id, f)
    n = {"id": op_id, "proc": fld.int("proc"), "f": f,
         "invoke_t": fld.num("invoke_t"), "complete_t": fld.num("complete_t"),
         "outcome": fld.choice("outcome", OUTCOMES)}
    if n["complete_t"] < n["invoke_t"]:
        fld.fail("complete_t %r is before invoke_t %r" % (n["complete_t"], n["invoke_t"]))
    err = op.get("error")
    n["error"] = err if err is None or isinstance(err, str) else str(err)
    _normalize_specific(fld, f, n["outcome"], n)
    return n


def normalize(history, line_numbers=None, source=None):
    """Validates a whole history; returns normalised ops in history order.

    Also checks what holds across ops: ids are unique and no value is sent
    twice (the workload never re-sends, so a repeated value is a harness bug
    that would make every value-based property meaningless).
    """
    if not isinstance(history, (list, tuple)):
        raise HistoryError("a history must be a list of ops")
    ops = []
    seen_ids = {}
    sent_values = {}
    for i, op in enumerate(history):
        if line_numbers:
            where = "%s:%d" % (source, line_numbers[i]) if source else "line %d" % line_numbers[i]
        else:
            where = "op #%d" % i
        n = normalize_op(op, where)
        if n["id"] in seen_ids:
            raise HistoryError("%s: id %d already used by %s" % (where, n["id"], seen_ids[n["id"]]))
        seen_ids[n["id"]] = where
        if n["f"] == "send":
            if n["value"] in sent_values:
                raise HistoryError("%s: value %d was already sent by %s"
                                   % (where, n["value"], sent_values[n["value"]]))
            sent_values[n["value"]] = where
        ops.append(n)
    return ops


def _reject_constant(name):
    raise ValueError("non-standard JSON constant %s" % name)


def load(path):
    """Reads a JSON-lines history file; returns (ops, line_numbers).

    Blank lines are skipped.  Raises HistoryError for anything unreadable.
    """
    ops = []
    line_numbers = []
    try:
        with open(path, "rb") as fh:
            lineno = 0
            while True:
                raw = fh.readline(MAX_LINE_BYTES + 1)
                if not raw:
                    break
                lineno += 1
                if len(raw) > MAX_LINE_BYTES:
                    raise HistoryError("%s:%d: line longer than %d bytes"
                                       % (path, lineno, MAX_LINE_BYTES))
                op = _parse_line(path, lineno, raw)
                if op is not None:
                    ops.append(op)
                    line_numbers.append(lineno)
    except OSError as e:
        raise HistoryError("%s: cannot read: %s" % (path, e.strerror or e))
    return ops, line_numbers


def _parse_line(path, lineno, raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise HistoryError("%s:%d: not UTF-8 (byte %d)" % (path, lineno, e.start))
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise HistoryError("%s:%d: invalid JSON: %s (column %d)" % (path, lineno, e.msg, e.colno))
    except (ValueError, RecursionError) as e:
        raise HistoryError("%s:%d: invalid JSON: %s" % (path, lineno, e))


def load_normalized(path):
    """load() then normalize(), with errors naming the file and line."""
    ops, line_numbers = load(path)
    return normalize(ops, line_numbers, path)
