#!/usr/bin/python3
"""Real-process Raft cluster test.

Starts three build/raft-node processes on free loopback ports, waits for a
leader, proposes entries, checks that every node applied the same entries in
the same order, SIGKILLs the leader, checks re-election and further commits,
restarts the killed node and checks that it catches up (from the log or a
snapshot).  Waits on conditions with deadlines, kills only the processes it
started, and prints "N passed, M failed".

usage: raft_cluster_test.py [--build DIR]
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DEADLINE_S = 20.0


def free_ports(n):
    """Ports the kernel hands out for port 0, released just before use."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def ask(port, line, timeout=2.0):
    """Sends one command and returns the reply text, or None if unreachable."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall((line + "\n").encode())
            buf = b""
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                if line == "APPLIED":
                    if buf.endswith(b"END\n"):
                        break
                elif buf.endswith(b"\n"):
                    break
            return buf.decode()
    except OSError:
        return None


def status(port):
    reply = ask(port, "STATUS")
    if not reply:
        return None
    return dict(kv.split("=", 1) for kv in reply.split())


def applied(port):
    reply = ask(port, "APPLIED")
    if not reply or not reply.endswith("END\n"):
        return None
    return [line for line in reply.splitlines() if line != "END"]


def wait_for(what, cond, deadline_s=DEADLINE_S):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Cluster:
    def __init__(self, build, base):
        self.build = build
        self.base = base
        ports = free_ports(6)
        self.peer_ports = ports[:3]
        self.client_ports = ports[3:]
        self.procs = {}

    def peers(self):
        return ",".join("%d@127.0.0.1:%d" % (i + 1, p) for i, p in enumerate(self.peer_ports))

    def start(self, node_id):
        log = open(os.path.join(self.base, "node%d.log" % node_id), "ab")
        self.procs[node_id] = subprocess.Popen(
            [os.path.join(self.build, "raft-node"), "--id", str(node_id), "--peers", self.peers(),
             "--client-port", str(self.client_ports[node_id - 1]),
             "--dir", os.path.join(self.base, "n%d" % node_id),
             "--election-timeout-ms", "300", "--heartbeat-ms", "50", "--snapshot-every", "16"],
            stdout=log, stderr=log)

    def kill(self, node_id):
        proc = self.procs.pop(node_id)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self):
        for node_id in list(self.procs):
            proc = self.procs.pop(node_id)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=5)

    def port(self, node_id):
        return self.client_ports[node_id - 1]

    def leader(self, among):
        """The node that says it leads, if all live nodes agree on it."""
        seen = [status(self.port(i)) for i in among]
        if any(s is None for s in seen):
            return None
        leaders = [s for s in seen if s["role"] == "leader"]
        if len(leaders) != 1:
            return None
        lid = int(leaders[0]["id"])
        if all(int(s["leader"]) == lid for s in seen):
            return lid, int(leaders[0]["term"])
        return None

    def propose(self, among, texts):
        """Proposes each text to whoever leads, retrying across elections."""
        for text in texts:
            def once():
                found = self.leader(among)
                if not found:
                    return None
                reply = ask(self.port(found[0]), "PROPOSE " + text)
                return reply if reply and reply.startswith("OK") else None
            wait_for("proposal " + text, once)

    def converged(self, among, want_texts):
        """All nodes in `among` applied identical lists containing want_texts."""
        lists = [applied(self.port(i)) for i in among]
        if any(lst is None for lst in lists) or any(lst != lists[0] for lst in lists):
            return None
        texts = [line.split(" ", 2)[2] for line in lists[0]]
        return lists[0] if all(t in texts for t in want_texts) else None


def run(build):
    results = []
    base = tempfile.mkdtemp(prefix="skiff-raft-cluster-")
    cluster = Cluster(build, base)

    def check(name, fn):
        try:
            fn()
            results.append((name, True, ""))
            print("ok   " + name)
        except Exception as e:  # a failed check must not stop the others
            results.append((name, False, str(e)))
            print("FAIL %s: %s" % (name, e))

    state = {}
    try:
        for i in (1, 2, 3):
            cluster.start(i)

        def elect():
            state["leader"], state["term"] = wait_for("a leader", lambda: cluster.leader([1, 2, 3]))
        check("leader elected", elect)

        first = ["a%d" % k for k in range(20)]

        def replicate():
            cluster.propose([1, 2, 3], first)
            lst = wait_for("all nodes applying the first batch", lambda: cluster.converged([1, 2, 3], first))
            texts = [line.split(" ", 2)[2] for line in lst]
            assert texts == first, "applied order differs from proposal order: %r" % texts
        check("same entries in the same order on every node", replicate)

        def failover():
            old = state["leader"]
            cluster.kill(old)
            rest = [i for i in (1, 2, 3) if i != old]
            lid, term = wait_for("a new leader", lambda: cluster.leader(rest))
            assert lid != old and term > state["term"], "leader %d term %d after %d" % (lid, term, state["term"])
            state["rest"], state["old"] = rest, old
        check("re-election after SIGKILL of the leader", failover)

        second = ["b%d" % k for k in range(20)]

        def more_commits():
            cluster.propose(state["rest"], second)
            wait_for("the survivors applying the second batch",
                     lambda: cluster.converged(state["rest"], first + second))
        check("commits continue with two of three nodes", more_commits)

        def catch_up():
            cluster.start(state["old"])
            lst = wait_for("the restarted node catching up",
                           lambda: cluster.converged([1, 2, 3], first + second))
            texts = [line.split(" ", 2)[2] for line in lst]
            assert texts == first + second, "order after restart: %r" % texts
        check("restarted node catches up", catch_up)
    finally:
        cluster.stop_all()
        failed = sum(1 for _, ok, _ in results if not ok)
        if failed:
            for i in (1, 2, 3):
                path = os.path.join(base, "node%d.log" % i)
                if os.path.exists(path):
                    print("--- node%d.log (tail)" % i)
                    with open(path, "rb") as f:
                        print(b"".join(f.readlines()[-15:]).decode(errors="replace"))
        if not os.environ.get("RAFT_CLUSTER_KEEP"):
            shutil.rmtree(base, ignore_errors=True)
        else:
            print("kept " + base)
    passed = sum(1 for _, ok, _ in results if ok)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) and results else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    sys.exit(run(args.build))


if __name__ == "__main__":
    main()
