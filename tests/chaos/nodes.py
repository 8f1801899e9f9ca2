"""The cluster under test: N skiffd processes placed by the network layer
(one namespace each, or loopback behind per-link proxies), every one a
controller-quorum voter.

Processes are started, killed (SIGKILL), paused (SIGSTOP) and resumed by PID
only.  A node may run with the lost-writes shim preloaded: it journals what
the process made durable, and `power_loss` cuts the data directory of a
killed node back to exactly that, as if the machine had lost power.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))

import kafkawire  # noqa: E402
from kafkawire import Reader, array, i8, i16, i32, string  # noqa: E402

import powerloss  # noqa: E402

_live_procs = {}  # pid -> Popen of every node process still running


def kill_all_started():
    """SIGKILL every node process this harness started (by PID)."""
    for pid, proc in list(_live_procs.items()):
        if proc.poll() is None:
            try:
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)
                proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        _live_procs.pop(pid, None)


class Node:
    def __init__(self, cluster, node_id):
        self.c = cluster
        self.id = node_id
        self.dir = os.path.join(cluster.root, "node%d" % node_id)
        self.log_dir = os.path.join(self.dir, "data")
        self.journal = os.path.join(self.dir, "sync-journal")
        self.proc = None
        self.paused = False
        self.incarnation = 0
        self.baseline = None
        os.makedirs(self.log_dir, exist_ok=True)
        self._write_config()

    @property
    def host(self):
        return self.c.net.node_host(self.id)

    @property
    def port(self):
        return self.c.net.client_port(self.id)

    def _write_config(self):
        net = self.c.net
        cfg = {
            "node.id": self.id,
            "process.roles": "broker,controller",
            "listeners": "PLAINTEXT://%s:%d" % (self.host, net.client_port(self.id)),
            "internal.listener": "%s:%d" % (self.host, net.internal_port(self.id)),
            "http.listener": "%s:%d" % (self.host, net.http_port(self.id)),
            "controller.quorum.voters": net.voters_for(self.id),
            "log.dirs": self.log_dir,
            "cluster.id": "chaos",
        }
        cfg.update(self.c.overrides)
        with open(os.path.join(self.dir, "server.properties"), "w") as f:
            for k, v in cfg.items():
                f.write("%s=%s\n" % (k, v))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        assert not self.alive()
        self.baseline = powerloss.begin(self.log_dir, self.journal)
        env = dict(os.environ)
        if self.c.shim:
            env["LD_PRELOAD"] = self.c.shim
            env["SKIFF_SYNC_JOURNAL"] = self.journal
        self.incarnation += 1
        err = open(os.path.join(self.dir, "stderr.log"), "ab")
        err.write(b"=== incarnation %d\n" % self.incarnation)
        err.flush()
        argv = self.c.net.cmd_prefix(self.id) + [self.c.skiffd, "--config",
                                                 os.path.join(self.dir, "server.properties")]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=env)
        err.close()
        _live_procs[self.proc.pid] = self.proc
        self.paused = False

    def ready(self):
        url = "http://%s:%d/readyz" % (self.host, self.c.net.http_port(self.id))
        try:
            with urllib.request.urlopen(url, timeout=1.0) as r:
                return r.status == 200
        except OSError:
            return False

    def kill(self):
        """SIGKILL; returns once the process is gone."""
        if not self.alive():
            return
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        _live_procs.pop(self.proc.pid, None)
        self.paused = False

    def power_loss(self):
        """After kill(): drop everything the process had not made durable."""
        assert not self.alive()
        return powerloss.apply(self.log_dir, self.journal, self.baseline)

    def pause(self):
        if self.alive() and not self.paused:
            os.kill(self.proc.pid, signal.SIGSTOP)
            self.paused = True

    def resume(self):
        if self.alive() and self.paused:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.paused = False

    def stop(self, timeout=15.0):
        """SIGTERM (after SIGCONT), SIGKILL at the deadline; returns the exit code or None."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.resume()
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = None
        _live_procs.pop(self.proc.pid, None)
        return rc

    def partition_dirs(self, topic):
        out = []
        try:
            names = os.listdir(self.log_dir)
        except OSError:
            return out
        for name in names:
            t, _, p = name.rpartition("-")
            if t == topic and p.isdigit():
                out.append((int(p), os.path.join(self.log_dir, name)))
        return sorted(out)

    def stderr_tail(self, n=30):
        try:
            with open(os.path.join(self.dir, "stderr.log"), "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


class Cluster:
    def __init__(self, root, net, n, skiffd, overrides, shim=None):
        self.root = root
        self.net = net
        self.skiffd = skiffd
        self.overrides = overrides
        self.shim = shim
        self.n = n
        self.nodes = {i: Node(self, i) for i in range(1, self.n + 1)}

    def start(self, timeout=40.0):
        for node in self.nodes.values():
            node.start()
        self.wait(lambda: all(n.ready() for n in self.nodes.values()), timeout, "every node ready")
        self.wait(self._formed, timeout, "every broker registered")

    def wait(self, cond, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            try:
                if cond():
                    return True
            except (OSError, kafkawire.ConnectionClosed, kafkawire.ShortRead, AssertionError):
                pass
            for node in self.nodes.values():
                if node.proc is not None and node.proc.poll() is not None and node.incarnation and \
                        node.proc.returncode not in (-signal.SIGKILL,):
                    raise RuntimeError("node %d exited with %s while waiting for %s:\n%s"
                                       % (node.id, node.proc.returncode, what, node.stderr_tail()))
            if time.monotonic() > deadline:
                raise TimeoutError("timed out after %.0fs waiting for %s" % (timeout, what))
            time.sleep(0.1)

    def _formed(self):
        md = self.metadata()
        return md is not None and len(md["brokers"]) == self.n and md.get("controller_id", -1) > 0

    def live_nodes(self):
        return [n for n in self.nodes.values() if n.alive() and not n.paused]

    def metadata(self, topics=None, via=None, timeout=2.0):
        """Metadata v4 from `via` or the first live node that answers."""
        order = [via] if via is not None else [n.id for n in self.live_nodes()]
        for nid in order:
            node = self.nodes[nid]
            try:
                with kafkawire.RawClient(node.host, node.port, timeout=timeout) as c:
                    return c.metadata(topics, version=4)
            except (OSError, kafkawire.ConnectionClosed, kafkawire.ShortRead):
                continue
        return None

    def controller(self):
        md = self.metadata()
        return md.get("controller_id", -1) if md else -1

    def partitions(self, topic, via=None):
        """{partition: dict(leader, replicas, isr, error_code)} or {}."""
        md = self.metadata([topic], via=via)
        if not md or topic not in md["topics"]:
            return {}
        return {p["partition"]: p for p in md["topics"][topic]["partitions"]}

    def create_topic(self, topic, partitions, rf, configs, timeout=30.0):
        cfg = list(configs.items())
        body = (array([topic], lambda t: string(t) + i32(partitions) + i16(rf) + array([]) +
                      array(cfg, lambda kv: string(kv[0]) + string(str(kv[1])))) +
                i32(10000) + i8(0))
        node = self.nodes[1]
        with kafkawire.RawClient(node.host, node.port, timeout=15.0) as c:
            r = Reader(c.call(19, 1, body, 15.0))
        res = r.array(lambda r: (r.string(), r.i16(), r.string()))
        if not res or res[0][1] not in (0, 36):
            raise RuntimeError("CreateTopics %s: %r" % (topic, res))

        def healthy():
            ps = self.partitions(topic)
            return len(ps) == partitions and all(p["leader"] > 0 and len(p["isr"]) == rf for p in ps.values())
        self.wait(healthy, timeout, "topic %s healthy" % topic)

    def state(self, topic):
        """One line: controller, and leader/isr per partition (for the timeline)."""
        ps = self.partitions(topic)
        parts = " ".join("p%d:L%d/isr%s" % (k, v["leader"], ",".join(map(str, v["isr"])))
                         for k, v in sorted(ps.items()))
        return "controller=%d %s" % (self.controller(), parts)

    def shutdown(self):
        """Stops every node; returns {node: exit code} for nodes that did not exit 0."""
        bad = {}
        for node in self.nodes.values():
            if node.alive():
                rc = node.stop()
                if rc != 0:
                    bad[node.id] = rc
        return bad

    def kill_all(self):
        for node in self.nodes.values():
            node.kill()

    def sanitizer_reports(self):
        out = []
        for node in self.nodes.values():
            try:
                with open(os.path.join(node.dir, "stderr.log"), "rb") as f:
                    text = f.read().decode(errors="replace")
            except OSError:
                continue
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                if marker in text:
                    out.append("node %d: %s" % (node.id, marker))
        return out


def dump_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
