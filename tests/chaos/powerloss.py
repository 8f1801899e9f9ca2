"""Power loss for a SIGKILLed skiffd: cuts its data directory back to what
was durable, from the journal that build/chaos/liblostwrites.so
(tests/chaos/lostwrites.c) wrote while the process ran.

Use:
    base = begin(data_dir, journal)     # right before each start
    start skiffd with env LD_PRELOAD=<shim> SKIFF_SYNC_JOURNAL=<journal>
    ... SIGKILL it ...
    report = apply(data_dir, journal, base)   # before the next start

The model (what a power loss may leave on a journaling file system such as
ext4 with data=ordered; each rule picks an outcome the file system allows):

- What survived earlier incarnations is durable: the baseline sizes.
- `S <size> <path>`: fsync/fdatasync made the file durable up to <size> (its
  size just before the call).  Later appends are lost unless synced again.
  A file synced at least once keeps its directory entry (ext4 commits the
  creating transaction with the first fsync).
- `T <size> <path>` (ftruncate, truncate, open with O_TRUNC): the durable
  length becomes min(durable, size).  Strictly, an unsynced truncation may be
  undone by a crash and the old bytes reappear; the shim keeps no copy of
  them, so the model treats truncation as durable at once.  This is the
  gentler outcome, and the one Skiff's ordering relies on anyway (it lowers
  its recovery point durably before truncating below it).
- `C <path>`: an O_CREAT open created the file (it starts empty and fresh).
- `R <old> <new>`: <new> takes <old>'s durable length, <old> is gone.  A
  rename is likewise treated as durable at once (Skiff fsyncs the directory
  right after each one; the replaced content cannot be restored either).
- `U <path>`: the file is gone; a later file of that name starts from zero.
- `D <dir>`: the directory's entries are durable.
- `X <what>`: a call the model does not cover (sync, syncfs, msync, an
  O_SYNC open): apply() raises rather than guess.

Every regular file in the directory after the kill is then cut to
min(current size, durable size).  apply(strict_dirs=True) also removes a
file created (or renamed into place) in this incarnation unless its
directory was fsynced after that, whether or not the file was synced.  A file created in this incarnation and
never synced is removed if its directory was never fsynced in this
incarnation (its entry may vanish), else emptied (the entry survived, the
data did not).  Only regular files are touched; directories stay.
"""

import os
import urllib.parse


def shim_env(shim_path, journal_path):
    """Environment entries that run a process under the shim.  An ASan build
    (make asan) insists on its runtime coming first among preloaded
    libraries; the shim does not interfere with it, so the check is off."""
    asan = os.environ.get("ASAN_OPTIONS", "")
    return {"LD_PRELOAD": shim_path, "SKIFF_SYNC_JOURNAL": journal_path,
            "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}


class Unmodelled(Exception):
    """The journal holds an operation the power-loss model does not cover."""


def _norm(path):
    return os.path.normpath(path)


def _walk_files(data_dir):
    for root, dirs, files in os.walk(data_dir):
        for name in files:
            p = os.path.join(root, name)
            if os.path.isfile(p) and not os.path.islink(p):
                yield _norm(p)


def baseline(data_dir):
    """{absolute path: size} of every regular file under data_dir (resolved,
    as the shim sees paths through /proc/self/fd)."""
    root = os.path.realpath(data_dir)
    if not os.path.isdir(root):
        return {}
    return {p: os.path.getsize(p) for p in _walk_files(root)}


def begin(data_dir, journal_path):
    """baseline(data_dir), and a cleared journal: call right before each
    start (what an earlier incarnation synced is in the baseline now, and a
    clean stop's records must not be replayed over it)."""
    base = baseline(data_dir)
    with open(journal_path, "wb"):
        pass
    return base


def _decode(field):
    return os.fsdecode(urllib.parse.unquote_to_bytes(field))


def read_journal(journal_path):
    """Parsed records: a list of tuples (tag, ...).  A line without its
    newline (the process died inside write(2), or a line too long for the
    shim) ends the journal."""
    try:
        with open(journal_path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    out = []
    for raw in data.split(b"\n")[:-1]:
        parts = raw.decode("ascii").split(" ")
        tag = parts[0]
        if tag == "P" and len(parts) == 2:
            out.append(("P", int(parts[1])))
        elif tag in ("S", "T") and len(parts) == 3:
            out.append((tag, int(parts[1]), _norm(_decode(parts[2]))))
        elif tag in ("C", "D", "U") and len(parts) == 2:
            out.append((tag, _norm(_decode(parts[1]))))
        elif tag == "R" and len(parts) == 3:
            out.append(("R", _norm(_decode(parts[1])), _norm(_decode(parts[2]))))
        elif tag == "X" and len(parts) == 2:
            out.append(("X", parts[1]))
        else:
            raise ValueError("malformed journal line in %s: %r" % (journal_path, raw))
    return out


def durable_state(records, base):
    """Replays the journal over the baseline.  Returns a dict:
    durable {path: durable length}; fresh, the paths created or emptied in
    this incarnation and never synced since; dir_synced {dir: index of its
    last fsync record}; created {path: index of the first record of a file
    that did not exist at the start (or was unlinked since)}."""
    durable = dict(base)
    fresh = set()
    dir_synced = {}
    created = {}
    for i, rec in enumerate(records):
        tag = rec[0]
        if tag == "X":
            raise Unmodelled("the process called %s, which the power-loss model does not cover" % rec[1])
        if tag in ("S", "T"):
            path = rec[2]
            if path not in durable and path not in created:
                created[path] = i
        if tag == "C":
            created[rec[1]] = i
            durable[rec[1]] = 0
            fresh.add(rec[1])
        elif tag == "S":
            durable[rec[2]] = rec[1]
            fresh.discard(rec[2])
        elif tag == "T":
            path = rec[2]
            if path not in durable:
                fresh.add(path)
            durable[path] = min(durable.get(path, 0), rec[1])
        elif tag == "R":
            old, new = rec[1], rec[2]
            durable[new] = durable.pop(old, 0)
            created[new] = created.pop(old, i)
            if old in fresh:
                fresh.discard(old)
                fresh.add(new)
            else:
                fresh.discard(new)
        elif tag == "U":
            durable.pop(rec[1], None)
            fresh.discard(rec[1])
            created.pop(rec[1], None)
        elif tag == "D":
            dir_synced[rec[1]] = i
    return {"durable": durable, "fresh": fresh, "dir_synced": dir_synced, "created": created}


def apply(data_dir, journal_path, base, strict_dirs=False):
    """Cuts every file under data_dir to what was durable; clears the
    journal.  With strict_dirs, a file created in this incarnation also
    needs an fsync of its directory after its creation (or rename into
    place) to survive at all, synced or not: POSIX promises no more, and
    Skiff claims to sync directories before it acknowledges.  Returns a
    report: {"files": {path: {"before", "after", "dropped", "action"}},
    "dropped_bytes", "removed", "truncated", "records"}."""
    root = os.path.realpath(data_dir)
    records = read_journal(journal_path)
    st = durable_state(records, base)
    durable, fresh, dir_synced, created = st["durable"], st["fresh"], st["dir_synced"], st["created"]
    report = {"files": {}, "dropped_bytes": 0, "removed": 0, "truncated": 0,
              "records": len(records)}
    for path in sorted(_walk_files(root)):
        size = os.path.getsize(path)
        parent = os.path.dirname(path)
        known = path in durable and path not in fresh
        target = min(size, durable[path]) if known else 0
        entry_lost = not known and parent not in dir_synced
        if strict_dirs and path in created and dir_synced.get(parent, -1) < created[path]:
            entry_lost = True
        action = None
        if entry_lost:
            os.unlink(path)
            action = "removed"
            report["removed"] += 1
        elif target < size:
            os.truncate(path, target)
            action = "truncated"
            report["truncated"] += 1
        if action:
            report["files"][path] = {"before": size, "after": 0 if action == "removed" else target,
                                     "dropped": size - (0 if action == "removed" else target),
                                     "action": action}
            report["dropped_bytes"] += report["files"][path]["dropped"]
    _fsync_tree(root)
    # The journal of each incarnation stays next to it for post-mortems.
    if os.path.exists(journal_path):
        os.replace(journal_path, journal_path + ".%d" % _next_generation(journal_path))
    with open(journal_path, "wb"):
        pass
    return report


def _next_generation(journal_path):
    n = 1
    while os.path.exists("%s.%d" % (journal_path, n)):
        n += 1
    return n


def _fsync_tree(root):
    """Makes the cut itself durable (the next incarnation starts from it)."""
    for dirpath, dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(dirpath, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def format_report(report, root=None):
    """One line per file touched, relative to root when given."""
    lines = ["power loss: %d bytes dropped, %d files truncated, %d removed (%d journal records)"
             % (report["dropped_bytes"], report["truncated"], report["removed"], report["records"])]
    for path, f in sorted(report["files"].items()):
        name = os.path.relpath(path, root) if root else path
        lines.append("  %s: %s %d -> %d" % (name, f["action"], f["before"], f["after"]))
    return "\n".join(lines)
