#!/usr/bin/python3
"""Proves net.py's faults in every mode that runs on this machine.

Small echo servers stand in for nodes (started with cmd_prefix, so in netns
mode they run inside the namespaces) and probes stand in for the nodes' peer
connections (dialling the addresses voters_for() gives each node). Checks:
every pair connects; cut, one-way cut, isolate, partition stop exactly the
links they name while the harness still reaches every node; heal restores;
loss loses some but not all; delay adds at least the delay or raises
Unsupported; close() leaves no namespaces, links, threads or processes.

With --skiffd build/skiffd it also runs three real nodes in each mode and
checks that isolating the Raft leader gets another one elected.

Prints "N passed, M failed" and exits non-zero on failure.
"""

import argparse
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import net  # noqa: E402

N = 3
PING_TIMEOUT_S = 0.8
SLOW_PING_TIMEOUT_S = 5.0
READY_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 15.0
SERVER_LIFETIME_S = 120

# A stand-in node: TCP "PING x" -> "PONG x", "TOKEN x" records x, "SEEN" lists
# the recorded tokens; with "udp", datagrams "TOKEN x" are recorded too. It
# exits on its own after SERVER_LIFETIME_S so nothing outlives a broken run.
SERVER = r"""
import os, socket, sys, threading
host, port, udp, life = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "udp", float(sys.argv[4])
threading.Timer(life, os._exit, (0,)).start()
seen, lock = [], threading.Lock()
def serve(c):
    try:
        for line in c.makefile("rb"):
            w = line.split()
            if len(w) == 2 and w[0] == b"PING":
                c.sendall(b"PONG " + w[1] + b"\n")
            elif len(w) == 2 and w[0] == b"TOKEN":
                with lock:
                    seen.append(w[1].decode())
            elif w == [b"SEEN"]:
                with lock:
                    c.sendall(("SEEN " + ",".join(seen) + "\n").encode())
    except OSError:
        pass
    finally:
        c.close()
def serve_udp(u):
    while True:
        w = u.recvfrom(2048)[0].split()
        if len(w) == 2 and w[0] == b"TOKEN":
            with lock:
                seen.append(w[1].decode())
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((host, port))
ls.listen(64)
if udp:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((host, port))
    threading.Thread(target=serve_udp, args=(u,), daemon=True).start()
print("READY", flush=True)
while True:
    c = ls.accept()[0]
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""

# A stand-in node's outgoing side: runs the JSON task list in parallel and
# prints one JSON result per task.
PROBE = r"""
import json, socket, sys, threading, time
tasks = json.loads(sys.argv[1])
out = [None] * len(tasks)
def ping(t):
    t0 = time.monotonic()
    try:
        s = socket.create_connection(tuple(t["addr"]), timeout=t["timeout"])
        try:
            s.sendall(b"PING p\n")
            buf = b""
            while not buf.endswith(b"\n"):
                s.settimeout(max(0.01, t["timeout"] - (time.monotonic() - t0)))
                d = s.recv(100)
                if not d:
                    return {"ok": False, "err": "eof"}
                buf += d
            return {"ok": buf.startswith(b"PONG"), "rtt": time.monotonic() - t0}
        finally:
            s.close()
    except OSError as e:
        return {"ok": False, "err": str(e)}
def syn(t):
    s = socket.socket()
    s.settimeout(t["timeout"])
    try:
        s.connect(tuple(t["addr"]))
        return {"ok": True}
    except ConnectionRefusedError:
        return {"ok": True}
    except OSError as e:
        return {"ok": False, "err": str(e)}
    finally:
        s.close()
def udp(t):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.sendto(("TOKEN " + t["token"]).encode(), tuple(t["addr"]))
        return {"ok": True}
    except OSError as e:
        return {"ok": False, "err": str(e)}
    finally:
        u.close()
def run(k, t):
    out[k] = {"ping": ping, "syn": syn, "udp": udp}[t["op"]](t)
ths = [threading.Thread(target=run, args=(k, t)) for k, t in enumerate(tasks)]
for th in ths:
    th.start()
for th in ths:
    th.join()
print(json.dumps(out))
"""


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok    %s" % name)
        else:
            self.failed += 1
            print("FAIL  %s %s" % (name, detail))


def peers_of(nw, i):
    """{j: (host, port)} as node i must dial them, from voters_for(i)."""
    out = {}
    for part in nw.voters_for(i).split(","):
        vid, hp = part.split("@")
        host, port = hp.rsplit(":", 1)
        out[int(vid)] = (host, int(port))
    return out


def start_servers(nw):
    procs = {}
    udp = "udp" if nw.mode == "netns" else "tcp"
    for i in range(1, N + 1):
        argv = nw.cmd_prefix(i) + [sys.executable, "-c", SERVER, nw.node_host(i),
                                   str(nw.internal_port(i)), udp, str(SERVER_LIFETIME_S)]
        procs[i] = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + READY_TIMEOUT_S
    for i, p in procs.items():
        r, _, _ = select.select([p.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not r or p.stdout.readline().strip() != "READY":
            raise RuntimeError("stand-in node %d did not start" % i)
    return procs


def stop_servers(procs):
    for p in procs.values():
        if p.poll() is None:
            p.kill()
        p.wait(timeout=5)
        p.stdout.close()


def run_probes(nw, tasks_by_node):
    """Runs each node's task list inside that node's namespace, all at once."""
    procs = {}
    for i, tasks in tasks_by_node.items():
        argv = nw.cmd_prefix(i) + [sys.executable, "-c", PROBE, json.dumps(tasks)]
        procs[i] = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = {}
    for i, p in procs.items():
        try:
            so, se = p.communicate(timeout=PROBE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise RuntimeError("probe of node %d timed out" % i)
        if p.returncode != 0:
            raise RuntimeError("probe of node %d failed: %s" % (i, se.strip()[-300:]))
        out[i] = json.loads(so)
    return out


def matrix(nw, pairs=None, timeout_s=PING_TIMEOUT_S):
    """{(i, j): reached} for every ordered pair (or those given), each node
    dialling its peers."""
    tasks, order = {}, {}
    for i in range(1, N + 1):
        peers = peers_of(nw, i)
        order[i] = [j for j in range(1, N + 1) if j != i and (pairs is None or (i, j) in pairs)]
        if order[i]:
            tasks[i] = [{"op": "ping", "addr": peers[j], "timeout": timeout_s} for j in order[i]]
    res = run_probes(nw, tasks)
    return {(i, j): r["ok"] for i in res for j, r in zip(order[i], res[i])}


def harness_ping(host, port, timeout=PING_TIMEOUT_S * 3):
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b"PING h\n")
            return s.makefile("rb").readline().startswith(b"PONG")
    except OSError:
        return False


def harness_reaches_all(nw):
    return all(harness_ping(nw.node_host(j), nw.internal_port(j)) for j in range(1, N + 1))


def seen_tokens(nw, j):
    with socket.create_connection((nw.node_host(j), nw.internal_port(j)), timeout=3) as s:
        s.sendall(b"SEEN\n")
        line = s.makefile("rb").readline().decode().split(" ", 1)
    return set(t for t in (line[1].strip() if len(line) > 1 else "").split(",") if t)


def expect_matrix(res, nw, name, blocked):
    """The matrix must show exactly the pairs in `blocked` unreachable, and the
    harness must still reach every node."""
    got = matrix(nw)
    want = {p: p not in blocked for p in got}
    # A short timeout keeps the blocked pairs cheap; pairs that should connect
    # but did not get a second, patient try so a loaded machine is no failure.
    slow = {p for p, v in got.items() if want[p] and not v}
    if slow:
        got.update(matrix(nw, slow, SLOW_PING_TIMEOUT_S))
    res.check("%s: %s" % (nw.mode, name), got == want,
              "unexpected: %s" % {p: v for p, v in got.items() if want[p] != v})
    res.check("%s: %s: harness reaches every node" % (nw.mode, name), harness_reaches_all(nw))


def wait_until(fn, timeout_s):
    deadline = time.monotonic() + timeout_s
    while True:
        if fn():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def both_ways(*pairs):
    return {p for a, b in pairs for p in ((a, b), (b, a))}


def test_faults(res, nw):
    expect_matrix(res, nw, "all pairs connect", set())
    nw.cut(1, 2)
    res.check("%s: describe names the cut" % nw.mode, "1->2" in nw.describe(), nw.describe())
    # TCP needs both directions, so a one-way cut stalls pings both ways.
    expect_matrix(res, nw, "cut(1,2) stops 1<->2 TCP", both_ways((1, 2)))
    nw.heal()
    expect_matrix(res, nw, "heal after cut", set())
    res.check("%s: describe after heal" % nw.mode, "no faults" in nw.describe(), nw.describe())
    nw.isolate(3)
    expect_matrix(res, nw, "isolate(3)", both_ways((1, 3), (2, 3)))
    nw.heal()
    nw.partition([[1], [2, 3]])
    expect_matrix(res, nw, "partition([[1],[2,3]])", both_ways((1, 2), (1, 3)))
    nw.heal()
    expect_matrix(res, nw, "heal after partition", set())


def test_one_way_netns(res, nw):
    """At the IP level a cut is one way: datagrams 2->1 arrive, 1->2 do not."""
    nw.cut(1, 2)
    run_probes(nw, {1: [{"op": "udp", "addr": [nw.node_host(2), nw.internal_port(2)], "token": "from1"}],
                    2: [{"op": "udp", "addr": [nw.node_host(1), nw.internal_port(1)], "token": "from2"}]})
    res.check("netns: one-way cut(1,2): 2->1 datagram arrives",
              wait_until(lambda: "from2" in seen_tokens(nw, 1), 3.0))
    res.check("netns: one-way cut(1,2): 1->2 datagram is dropped",
              not wait_until(lambda: "from1" in seen_tokens(nw, 2), 0.5))
    nw.heal()


def test_one_way_proxy(res, nw):
    """On connections made before the cut, bytes 2->1 flow and bytes 1->2 are
    held, then delivered (not lost) by heal()."""
    c12 = socket.create_connection(("127.0.0.1", nw.proxy_port(1, 2)), timeout=3)
    c21 = socket.create_connection(("127.0.0.1", nw.proxy_port(2, 1)), timeout=3)
    try:
        for c in (c12, c21):  # make sure both are connected through to the node
            c.sendall(b"PING w\n")
            c.recv(100)
        nw.cut(1, 2)
        c12.sendall(b"TOKEN up12\n")
        c21.sendall(b"TOKEN up21\n")
        res.check("proxy: one-way cut(1,2): 2->1 bytes arrive",
                  wait_until(lambda: "up21" in seen_tokens(nw, 1), 3.0))
        res.check("proxy: one-way cut(1,2): 1->2 bytes are held",
                  not wait_until(lambda: "up12" in seen_tokens(nw, 2), 0.5))
        c21.sendall(b"PING r\n")
        c21.settimeout(0.5)
        try:
            reply = c21.recv(100)
        except socket.timeout:
            reply = b""
        res.check("proxy: one-way cut(1,2): 1's reply to 2 is held", reply == b"", repr(reply))
        nw.heal()
        res.check("proxy: heal delivers the held 1->2 bytes",
                  wait_until(lambda: "up12" in seen_tokens(nw, 2), 3.0))
        c21.settimeout(3)
        res.check("proxy: heal delivers the held reply", c21.recv(100).startswith(b"PONG"))
    finally:
        c12.close()
        c21.close()


def test_loss(res, nw):
    if nw.mode == "netns":
        nw.loss(1, 2, 50)
        addr = [nw.node_host(2), 1]  # a closed port: an RST answers every SYN that arrives
        out = run_probes(nw, {1: [{"op": "syn", "addr": addr, "timeout": 0.4} for _ in range(30)]})[1]
        through = sum(1 for r in out if r["ok"])
    else:
        nw.loss(1, 2, 30)
        through = 0
        for _ in range(30):
            through += harness_ping("127.0.0.1", nw.proxy_port(1, 2))
    res.check("%s: loss(1,2) loses some but not all (%d/30 through)" % (nw.mode, through),
              0 < through < 30)
    res.check("%s: loss(1,2) leaves 1->3 alone" % nw.mode,
              all(r["ok"] for r in run_probes(nw, {1: [{"op": "ping", "addr": peers_of(nw, 1)[3],
                                                        "timeout": PING_TIMEOUT_S}] * 5})[1]))
    nw.heal()


def test_delay(res, nw):
    try:
        nw.delay(1, 2, 300)
    except net.Unsupported as e:
        res.check("%s: delay raises Unsupported: %s" % (nw.mode, e),
                  nw.mode == "netns" and "netem" in str(e))
        return
    tasks = [{"op": "ping", "addr": peers_of(nw, 1)[j], "timeout": 3.0} for j in (2, 3)]
    slow, other = run_probes(nw, {1: tasks})[1]
    res.check("%s: delay(1,2,300) adds >= 300 ms (rtt %.3f s)" % (nw.mode, slow.get("rtt", -1)),
              slow["ok"] and slow["rtt"] >= 0.3, slow)
    if nw.mode == "proxy":  # netem delays everything node 1 sends
        res.check("proxy: delay(1,2) leaves 1->3 fast (rtt %.3f s)" % other.get("rtt", -1),
                  other["ok"] and other["rtt"] < 0.3, other)
    nw.heal()


def leftovers(prefix):
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return [w for w in (ns + links).replace(":", " ").replace("@", " ").split() if w.startswith(prefix)]


def run_mode(res, prefer):
    nw = net.make_net(N, prefer=prefer, tag="selftest")
    if nw.mode != prefer:
        print("note: %s mode cannot run here: %s" % (prefer, nw.mode_reason))
        nw.close()
        return
    print("-- %s mode (%s)" % (nw.mode, nw.mode_reason))
    procs = {}
    try:
        procs = start_servers(nw)
        test_faults(res, nw)
        (test_one_way_netns if nw.mode == "netns" else test_one_way_proxy)(res, nw)
        test_loss(res, nw)
        test_delay(res, nw)
    except Exception as e:
        res.check("%s: ran to the end" % nw.mode, False, "%s: %s" % (type(e).__name__, e))
    finally:
        if nw.mode == "proxy":
            stop_servers(procs)
        nw.close()
        nw.close()  # idempotent
    if nw.mode == "netns":
        res.check("netns: close() stopped the processes inside the namespaces",
                  wait_until(lambda: all(p.poll() is not None for p in procs.values()), 5.0))
        stop_servers(procs)
        left = leftovers(nw.prefix)
        res.check("netns: close() leaves no namespaces, veths or bridge", not left, left)
    else:
        res.check("proxy: close() stops the proxy thread",
                  wait_until(lambda: threading.active_count() == 1, 5.0),
                  [t.name for t in threading.enumerate()])


def test_stale_and_fallback(res):
    # A dead pid: a child that has already been reaped.
    p = subprocess.Popen(["/bin/true"])
    p.wait()
    dead, alive = "%s%dz" % (net.NAME_PREFIX, p.pid), "%s%dz" % (net.NAME_PREFIX, os.getpid())
    subprocess.run(["ip", "netns", "add", dead + "n1"], check=True)
    subprocess.run(["ip", "link", "add", dead + "b", "type", "bridge"], check=True)
    subprocess.run(["ip", "netns", "add", alive + "n1"], check=True)
    try:
        nw = net.make_net(2, tag="stale")
        nw.close()
        res.check("netns: start removes leftovers of dead runs", not leftovers(dead), leftovers(dead))
        res.check("netns: start keeps names of live runs", leftovers(alive) == [alive + "n1"])
    finally:
        subprocess.run(["ip", "netns", "del", alive + "n1"], capture_output=True)
        subprocess.run(["ip", "netns", "del", dead + "n1"], capture_output=True)
        subprocess.run(["ip", "link", "del", dead + "b"], capture_output=True)
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = "/nonexistent"
    try:
        nw = net.make_net(2, tag="fallback")
    finally:
        os.environ["PATH"] = path
    res.check("fallback to proxy when netns setup fails (%s)" % nw.mode_reason,
              nw.mode == "proxy" and "not found" in nw.mode_reason)
    nw.close()


# A harness that gets a signal while a netns net is up; prints the prefix first.
SIGNALLED = r"""
import os, signal, sys, time
sys.path.insert(0, sys.argv[1])
import net
nw = net.make_net(2, tag="signal")
print(nw.prefix, flush=True)
try:
    os.kill(os.getpid(), int(sys.argv[2]))
    time.sleep(10)
    print("not interrupted", flush=True)
except KeyboardInterrupt:
    print("KeyboardInterrupt", flush=True)
"""


def test_signals(res):
    """SIGTERM tears down and still kills the process; SIGINT tears down and
    still raises KeyboardInterrupt."""
    here = os.path.dirname(os.path.abspath(__file__))
    for sig, want_rc, want_out in ((signal.SIGTERM, -signal.SIGTERM, ""),
                                   (signal.SIGINT, 0, "KeyboardInterrupt")):
        cp = subprocess.run([sys.executable, "-c", SIGNALLED, here, str(int(sig))],
                            capture_output=True, text=True, timeout=30)
        lines = cp.stdout.split()
        prefix = lines[0] if lines else None
        res.check("netns: %s tears down and keeps its meaning (rc %d, out %r)"
                  % (sig.name, cp.returncode, lines[1:]),
                  prefix is not None and cp.returncode == want_rc
                  and lines[1:] == ([want_out] if want_out else []), cp.stderr[-300:])
        if prefix is not None:
            res.check("netns: %s leaves nothing behind" % sig.name, not leftovers(prefix),
                      leftovers(prefix))


def quorum_leader(nw, i):
    url = "http://%s:%d/v1/status" % (nw.node_host(i), nw.http_port(i))
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return json.loads(r.read())["quorum"]["leader"]
    except (OSError, ValueError, KeyError):
        return None


def agreed_leader(nw, nodes, not_leader=None):
    """The leader every node in `nodes` names, if they agree on one."""
    got = {quorum_leader(nw, i) for i in nodes}
    return got.pop() if len(got) == 1 and None not in got and got != {not_leader} else None


def test_skiffd(res, prefer, skiffd):
    """Three real skiffd nodes: they elect a leader through the layer; isolating
    the leader gets the other two to elect another; heal reunites them."""
    nw = net.make_net(N, prefer=prefer, tag="skiffd")
    procs, logs = {}, []
    with tempfile.TemporaryDirectory(prefix="chaosnet-selftest-") as d:
        try:
            for i in range(1, N + 1):
                h, conf = nw.node_host(i), os.path.join(d, "n%d.properties" % i)
                with open(conf, "w") as f:
                    f.write("node.id=%d\nlisteners=PLAINTEXT://%s:%d\ninternal.listener=%s:%d\n"
                            "http.listener=%s:%d\ncontroller.quorum.voters=%s\nlog.dirs=%s/data%d\n"
                            % (i, h, nw.client_port(i), h, nw.internal_port(i), h, nw.http_port(i),
                               nw.voters_for(i), d, i))
                logs.append(open(os.path.join(d, "n%d.log" % i), "w"))
                procs[i] = subprocess.Popen(nw.cmd_prefix(i) + [skiffd, "--config", conf], stderr=logs[-1])
            nodes = list(range(1, N + 1))
            leader = [None]
            res.check("%s skiffd: a leader is elected" % nw.mode,
                      wait_until(lambda: leader.__setitem__(0, agreed_leader(nw, nodes)) or leader[0], 20))
            if leader[0] is not None:
                old = leader[0]
                nw.isolate(old)
                rest = [i for i in nodes if i != old]
                res.check("%s skiffd: isolating leader %d elects another" % (nw.mode, old),
                          wait_until(lambda: agreed_leader(nw, rest, not_leader=old), 20))
                nw.heal()
                res.check("%s skiffd: after heal all nodes agree on a leader" % nw.mode,
                          wait_until(lambda: agreed_leader(nw, nodes), 20))
        finally:
            for p in procs.values():
                p.terminate()
            for p in procs.values():
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=5)
            for f in logs:
                f.close()
            nw.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skiffd", help="also run a three-node cluster of this skiffd binary in each mode")
    args = ap.parse_args()
    t0 = time.monotonic()
    res = Results()
    for mode in ("netns", "proxy"):
        run_mode(res, mode)
        if args.skiffd:
            test_skiffd(res, mode, os.path.abspath(args.skiffd))
    if os.geteuid() == 0:
        test_stale_and_fallback(res)
        test_signals(res)
    print("selftest took %.1f s" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed or res.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
