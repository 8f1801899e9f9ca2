"""System-test harness: real skiffd processes on loopback, driven by real clients.

Everything here waits on conditions with deadlines.  Every process the harness
starts is recorded by PID and killed at interpreter exit or on SIGINT/SIGTERM;
nothing is ever killed by name.
"""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import kafkawire

# Command-line options shared with run.py.  run.py sets BUILD_DIR before
# importing the test modules; a module run on its own falls back to the
# environment and then to build/.
BUILD_DIR = os.environ.get("SKIFF_BUILD", "build")
KEEP_DIRS = os.environ.get("SKIFF_KEEP", "") == "1"

_started = {}          # pid -> subprocess.Popen, every process still alive
_run_root = None       # one temp dir per run; per-broker dirs live below it
_failed_dirs = []      # dirs of failed tests, kept for inspection


def run_root():
    """The temp directory that holds every broker directory of this run."""
    global _run_root
    if _run_root is None:
        _run_root = tempfile.mkdtemp(prefix="skiff-systest-")
    return _run_root


def _kill_all():
    for pid, proc in list(_started.items()):
        if proc.poll() is None:
            try:
                os.kill(pid, signal.SIGKILL)
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        _started.pop(pid, None)


def _at_exit():
    _kill_all()
    if _run_root and os.path.isdir(_run_root):
        if _failed_dirs or KEEP_DIRS:
            sys.stderr.write("system-test files kept in %s\n" % _run_root)
        else:
            shutil.rmtree(_run_root, ignore_errors=True)


def _on_signal(signum, frame):
    _kill_all()
    # Re-raise with the default action so the exit status says what happened.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(_at_exit)
for _sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


class WaitTimeout(AssertionError):
    pass


class GiveUp(AssertionError):
    """Raised by a wait_until condition when waiting longer cannot help."""


def wait_until(cond, timeout=10.0, interval=0.02, what=None):
    """Polls cond() until it returns a true value (which is returned) or the
    deadline passes (WaitTimeout, naming `what` and the last exception)."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = cond()
            if v:
                return v
        except GiveUp:
            raise
        except Exception as e:  # the condition may probe a not-yet-ready peer
            last_exc = e
        if time.monotonic() >= deadline:
            msg = "timed out after %.1fs waiting for %s" % (timeout, what or getattr(cond, "__name__", "condition"))
            if last_exc is not None:
                msg += " (last error: %r)" % (last_exc,)
            raise WaitTimeout(msg)
        time.sleep(interval)


def free_ports(n):
    """n distinct free loopback TCP ports (bound to port 0, then released).
    All sockets stay open until every port is chosen so they are distinct."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def run_kcat(args, input_bytes=None, timeout=60.0, check=True):
    """Runs kcat with a timeout; returns CompletedProcess (stdout/stderr bytes)."""
    cmd = ["kcat"] + list(args)
    try:
        cp = subprocess.run(cmd, input=input_bytes, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("kcat timed out after %.0fs: %s\nstderr tail: %s"
                             % (timeout, " ".join(cmd), (e.stderr or b"")[-2000:].decode(errors="replace")))
    if check and cp.returncode != 0:
        raise AssertionError("kcat exited %d: %s\nstderr tail: %s"
                             % (cp.returncode, " ".join(cmd), cp.stderr[-2000:].decode(errors="replace")))
    return cp


def proc_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for pid %d" % pid)


def proc_cpu_seconds(pid):
    """utime + stime of the process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        data = f.read()
    # The command name is in parentheses and may hold spaces; fields follow it.
    fields = data[data.rindex(")") + 2:].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


_SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                      "WARNING: ThreadSanitizer")


def sanitizer_report(text):
    """The first sanitizer report in a broker's stderr (ASan, LSan, UBSan),
    or None.  Under `make asan` this turns silent memory errors into failures."""
    for marker in _SANITIZER_MARKERS:
        i = text.find(marker)
        if i >= 0:
            return text[max(0, i - 200):i + 3000]
    return None


class Broker:
    """One skiffd process with its own directory, config and ports.  `exe`
    (another skiffd binary) and `env` (extra environment variables) may be
    set on an instance before start()."""

    exe = None
    env = None

    def __init__(self, name="b", overrides=None, node_id=1):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=run_root())
        self.log_dir = os.path.join(self.dir, "data")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.config_path = os.path.join(self.dir, "server.properties")
        self.port, self.internal_port, self.http_port = free_ports(3)
        self.node_id = node_id
        self.overrides = dict(overrides or {})
        self.proc = None
        self.exit_codes = []
        self._write_config()

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    @property
    def pid(self):
        return self.proc.pid

    def _write_config(self):
        lines = [
            "node.id=%d" % self.node_id,
            "listeners=PLAINTEXT://127.0.0.1:%d" % self.port,
            "internal.listener=127.0.0.1:%d" % self.internal_port,
            "http.listener=127.0.0.1:%d" % self.http_port,
            "controller.quorum.voters=%d@127.0.0.1:%d" % (self.node_id, self.internal_port),
            "log.dirs=%s" % self.log_dir,
        ]
        with open(self.config_path, "w") as f:
            f.write("# generated by tests/system/harness.py\n" + "\n".join(lines) + "\n")

    def executable(self):
        return os.path.abspath(self.exe or os.path.join(BUILD_DIR, "skiffd"))

    def command(self):
        cmd = [self.executable(), "--config", self.config_path]
        for k, v in self.overrides.items():
            cmd += ["--override", "%s=%s" % (k, v)]
        return cmd

    def start(self, wait=True, timeout=20.0):
        assert self.proc is None or self.proc.poll() is not None, "broker already running"
        exe = self.executable()
        if not os.access(exe, os.X_OK):
            raise AssertionError("no executable %s (build it first)" % exe)
        err = open(self.stderr_path, "ab")
        err.write(b"==== start %s\n" % time.strftime("%H:%M:%S").encode())
        err.flush()
        env = dict(os.environ, **self.env) if self.env else None
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                     cwd=self.dir, env=env)
        err.close()
        _started[self.proc.pid] = self.proc
        if wait:
            self.wait_ready(timeout)
        return self

    def http_get(self, path, timeout=1.0):
        """(status, body) of GET path on the http listener."""
        url = "http://127.0.0.1:%d%s" % (self.http_port, path)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def wait_ready(self, timeout=20.0):
        def ready():
            if self.proc.poll() is not None:
                raise GiveUp("skiffd exited with %d before it was ready; stderr tail:\n%s"
                                     % (self.proc.returncode, self.stderr_tail()))
            try:
                return self.http_get("/readyz", timeout=0.5)[0] == 200
            except OSError:
                return False
        wait_until(ready, timeout, 0.02, "skiffd /readyz on port %d" % self.http_port)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _reap(self, timeout):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        _started.pop(self.proc.pid, None)
        self.exit_codes.append(rc)
        return rc

    def stop(self, timeout=15.0):
        """SIGTERM, wait up to timeout, then SIGKILL.  Returns the exit code
        of the SIGTERM path, or None if it had to be killed."""
        if not self.running():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        rc = self._reap(timeout)
        if rc is None:
            self.kill()
        return rc

    def kill(self):
        if self.running():
            self.proc.send_signal(signal.SIGKILL)
            self._reap(10.0)

    def restart(self, wait=True, timeout=20.0):
        self.stop()
        return self.start(wait, timeout)

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stderr_since_start(self):
        """stderr of the current (latest) run of the process."""
        text = self.stderr_text()
        i = text.rfind("==== start ")
        return text[i:] if i >= 0 else text

    def stderr_tail(self, n=40):
        return "\n".join(self.stderr_text().splitlines()[-n:])

    def partition_dir(self, topic, partition):
        return os.path.join(self.log_dir, "%s-%d" % (topic, partition))

    def raw(self, timeout=10.0):
        return kafkawire.RawClient("127.0.0.1", self.port, timeout=timeout)

    def cleanup(self, keep):
        self.kill()
        if keep:
            _failed_dirs.append(self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


class SkiffTestCase(unittest.TestCase):
    """Base class: brokers started through start_broker() are killed after
    the test; their stderr tail is printed when the test fails."""

    def setUp(self):
        self.brokers = []
        self.addCleanup(self._cleanup_brokers)

    def start_broker(self, overrides=None, wait=True, **kw):
        b = Broker(name=self._testMethodName, overrides=overrides, **kw)
        self.brokers.append(b)
        b.start(wait=wait)
        return b

    def start_cluster(self, n=3, overrides=None, timeout=30.0):
        c = Cluster(n, name=self._testMethodName, overrides=overrides)
        self.brokers.extend(c.nodes)
        return c.start(timeout)

    def _test_failed(self):
        outcome = getattr(self, "_outcome", None)
        if outcome is None:
            return False
        if not getattr(outcome, "success", True):
            return True
        result = getattr(outcome, "result", None)
        if result is not None:
            for t, _ in list(result.failures) + list(result.errors):
                if t is self:
                    return True
        return False

    def _cleanup_brokers(self):
        failed = self._test_failed()
        reports = []
        for b in self.brokers:
            # A clean stop lets LeakSanitizer report and checks that SIGTERM
            # works in whatever state the test left the broker.
            if b.running():
                rc = b.stop(timeout=10)
                if rc != 0:
                    reports.append("%s: exit code %r on SIGTERM at the end of the test" % (b.stderr_path, rc))
            report = sanitizer_report(b.stderr_text())
            if report:
                reports.append("%s:\n%s" % (b.stderr_path, report))
            if failed or reports:
                sys.stderr.write("\n---- %s: skiffd stderr tail (%s) ----\n%s\n----\n"
                                 % (self.id(), b.stderr_path, b.stderr_tail()))
            b.cleanup(keep=failed or bool(reports) or KEEP_DIRS)
        if reports:
            raise AssertionError("skiffd misbehaved:\n" + "\n".join(reports))

    # Checks every bad-input test ends with: the broker is alive and serves.
    def assert_broker_serves(self, broker, topic="alive-check"):
        self.assertTrue(broker.running(), "skiffd died; stderr tail:\n" + broker.stderr_tail())
        with broker.raw() as c:
            versions = c.api_versions()
            self.assertEqual(versions["error_code"], 0)
            self.assertIn(0, versions["apis"])
        kafkawire.roundtrip_check(broker, topic)


class Cluster:
    """N skiffd processes sharing one controller quorum (every node a voter),
    each with free loopback ports and its own directory.  Has `bootstrap`
    and `raw()` like a Broker, so the client helpers take either."""

    def __init__(self, n, name="c", overrides=None):
        self.nodes = [Broker(name="%s-n%d" % (name, i + 1), overrides=overrides, node_id=i + 1) for i in range(n)]
        # Every node's ports from one call: picked one broker at a time, a
        # port released by one pick can come back in the next.
        ports = free_ports(3 * n)
        for i, b in enumerate(self.nodes):
            b.port, b.internal_port, b.http_port = ports[3 * i:3 * i + 3]
            b._write_config()
        voters = ",".join("%d@127.0.0.1:%d" % (b.node_id, b.internal_port) for b in self.nodes)
        for b in self.nodes:
            b.overrides["controller.quorum.voters"] = voters

    @property
    def bootstrap(self):
        return ",".join(b.bootstrap for b in self.nodes if b.running()) or self.nodes[0].bootstrap

    def node(self, node_id):
        return self.nodes[node_id - 1]

    def running(self):
        return [b for b in self.nodes if b.running()]

    def start(self, timeout=30.0):
        for b in self.nodes:
            b.start(wait=False)
        for b in self.nodes:
            b.wait_ready(timeout)
        self.wait_converged(timeout)
        return self

    def wait_converged(self, timeout=30.0):
        """Until every running node's Metadata lists every running node and
        names the same controller.  A node is ready once it sees itself
        unfenced; another node's image may apply that a moment later, and a
        client that bootstraps from it then would not find every broker."""
        want = sorted(b.node_id for b in self.running())

        def converged():
            ids = set()
            for b in self.running():
                try:
                    md = self.metadata([], via=b)
                except (OSError, AssertionError):
                    return False
                if sorted(x["node_id"] for x in md["brokers"]) != want:
                    return False
                ids.add(md["controller_id"])
            return len(ids) == 1 and -1 not in ids
        wait_until(converged, timeout, 0.02, "every node to list nodes %r and agree on the controller" % want)

    def raw(self, timeout=10.0):
        return self.running()[0].raw(timeout)

    def metadata(self, topics=None, via=None):
        """Metadata (kafkawire dict) from node `via` or the first running one."""
        b = via or self.running()[0]
        with b.raw(timeout=5.0) as c:
            return c.metadata(topics)

    def partition(self, topic, p, via=None):
        return self.metadata([topic], via)["topics"][topic]["partitions"][p]

    def controller_id(self, via=None):
        return self.metadata([], via)["controller_id"]
