"""Network layer of the chaos harness: where nodes listen, how they reach each
other, and faults (cut, loss, delay) on the links between them.

    net = make_net(3, prefer="netns", tag="run1")
    argv = net.cmd_prefix(1) + ["build/skiffd", "--config", ...]
    net.cut(1, 2); net.isolate(3); net.partition([[1], [2, 3]]); net.heal()
    net.close()

Two modes:

netns  Every node gets its own network namespace with a veth into a bridge in
       the root namespace, so every node binds the same ports on its own
       address and the harness (in the root namespace) reaches all of them
       through the bridge. Faults are nftables rules in the sending node's
       namespace that match only other nodes' addresses, never the bridge's,
       so the harness's clients always get through. Needs root, iproute2 and
       nft. delay() needs the kernel's sch_netem.

proxy  Every node listens on 127.0.0.1 with its own ports. Node i dials peer j
       at a proxy port P_ij that forwards to j's internal listener, so every
       ordered pair of nodes has its own link the proxy thread can hold, delay
       or reset. Only traffic dialled through voters_for() addresses passes the
       proxies; clients reach the nodes directly.

make_net() tries netns first (unless prefer="proxy") and falls back to proxy
mode when anything in the netns setup fails; mode_reason says why.
"""

import atexit
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
import net_proxy  # noqa: E402  (the proxy engine; kept in its own file)

# Ports every node uses in netns mode (each node has its own address).
NETNS_CLIENT_PORT = 9092
NETNS_INTERNAL_PORT = 9093
NETNS_HTTP_PORT = 9094

# Node ids are 1..MAX_NODES: interface names are at most 15 characters
# ("skc" + pid + instance letter + kind + id) and node i gets host .(10+i).
MAX_NODES = 50

# Namespaces and links this module creates are named skc<pid><letter><kind><id>:
# the pid lets a later run tell leftovers of dead runs from live ones.
NAME_PREFIX = "skc"
_NAME_RE = re.compile(r"^%s(\d+)[a-z]([nvpb])(\d*)$" % NAME_PREFIX)

# Bounds on setup commands and checks, so a wedged tool cannot hang a run.
CMD_TIMEOUT_S = 10.0
CONNECT_CHECK_TIMEOUT_S = 3.0

NFT_TABLE = "skiffchaos"


class Unsupported(Exception):
    """The fault cannot be injected in this mode on this machine."""


class NetSetupError(Exception):
    """Setting up the network layer failed (the message says which step)."""


def make_net(n_nodes, prefer="netns", tag=""):
    """A network layer for n_nodes nodes (ids 1..n_nodes). prefer="netns" tries
    namespaces first and falls back to proxy mode on any setup failure;
    prefer="proxy" goes straight to proxy mode."""
    if not 1 <= n_nodes <= MAX_NODES:
        raise ValueError("n_nodes must be in 1..%d, got %r" % (MAX_NODES, n_nodes))
    if prefer not in ("netns", "proxy"):
        raise ValueError("prefer must be 'netns' or 'proxy', got %r" % (prefer,))
    if prefer == "proxy":
        return ProxyNet(n_nodes, tag, "proxy mode requested")
    try:
        return NetnsNet(n_nodes, tag)
    except NetSetupError as e:
        return ProxyNet(n_nodes, tag, "netns setup failed: %s" % e)
    except Exception as e:  # anything else in the setup: still fall back, say what
        return ProxyNet(n_nodes, tag, "netns setup failed: %s: %s" % (type(e).__name__, e))


# ---------------------------------------------------------------------------
# Teardown on exit and on SIGINT/SIGTERM, shared by every live net.

_live_nets = []
_prev_handlers = {}
_hooks_installed = False


def _close_all():
    for net in list(_live_nets):
        try:
            net.close()
        except Exception as e:  # teardown must go on for the other nets
            print("net: close failed: %s" % e, file=sys.stderr)


def _on_signal(signum, frame):
    _close_all()
    prev = _prev_handlers.get(signum)
    if callable(prev):
        # For SIGINT this is normally default_int_handler: KeyboardInterrupt
        # still propagates as it would have without us.
        prev(signum, frame)
        return
    if prev == signal.SIG_IGN:
        return
    # SIG_DFL (or a handler installed outside Python): die of the signal the
    # way the process would have without us.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _register(net):
    global _hooks_installed
    _live_nets.append(net)
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_close_all)
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    for sig in (signal.SIGINT, signal.SIGTERM):
        _prev_handlers[sig] = signal.getsignal(sig)
        signal.signal(sig, _on_signal)


def _unregister(net):
    if net in _live_nets:
        _live_nets.remove(net)


# ---------------------------------------------------------------------------
# Fault bookkeeping common to both modes.

class _BaseNet:
    mode = None

    def __init__(self, n_nodes, tag):
        self.n = n_nodes
        self.tag = tag
        self.mode_reason = ""
        self._cuts = set()     # (src, dst)
        self._loss = {}        # (src, dst) -> percent
        self._delay = {}       # (src, dst) -> ms
        self._lock = threading.RLock()
        self._closed = False
        self._closing = False

    # Subclasses: push the current faults of these source nodes into effect.
    def _apply(self, srcs):
        raise NotImplementedError

    def _check_node(self, i):
        if not isinstance(i, int) or not 1 <= i <= self.n:
            raise ValueError("node id must be in 1..%d, got %r" % (self.n, i))

    def _check_pair(self, src, dst):
        self._check_node(src)
        self._check_node(dst)
        if src == dst:
            raise ValueError("a link needs two different nodes, got %d->%d" % (src, dst))

    def _check_open(self):
        if self._closed:
            raise RuntimeError("net is closed")

    def cut(self, src, dst):
        """Stop traffic src->dst (one way; cut both ways with cut(a,b)+cut(b,a))."""
        self._check_pair(src, dst)
        with self._lock:
            self._check_open()
            self._cuts.add((src, dst))
            self._apply({src, dst})

    def isolate(self, i):
        """Cut node i from every other node, both ways."""
        self._check_node(i)
        with self._lock:
            self._check_open()
            for j in range(1, self.n + 1):
                if j != i:
                    self._cuts.add((i, j))
                    self._cuts.add((j, i))
            self._apply(set(range(1, self.n + 1)))

    def partition(self, groups):
        """Nodes in different groups cannot talk (both ways). Each id may appear
        in at most one group; a node in no group keeps all its links. Adds to the
        faults already in place; heal() first for a fresh partition."""
        seen = {}
        for gi, group in enumerate(groups):
            for i in group:
                self._check_node(i)
                if i in seen:
                    raise ValueError("node %d is in two groups" % i)
                seen[i] = gi
        with self._lock:
            self._check_open()
            for a, ga in seen.items():
                for b, gb in seen.items():
                    if ga != gb:
                        self._cuts.add((a, b))
            self._apply(set(range(1, self.n + 1)))

    def loss(self, src, dst, pct):
        """Lose pct percent (0..100) of what src sends to dst; 0 removes it."""
        self._check_pair(src, dst)
        if not 0 <= pct <= 100:
            raise ValueError("loss percent must be in 0..100, got %r" % (pct,))
        with self._lock:
            self._check_open()
            self._loss_supported()
            if pct == 0:
                self._loss.pop((src, dst), None)
            else:
                self._loss[(src, dst)] = pct
            self._apply({src, dst})

    def delay(self, src, dst, ms):
        """Delay what src sends to dst by ms milliseconds; 0 removes it."""
        self._check_pair(src, dst)
        if not 0 <= ms <= 600000:
            raise ValueError("delay must be in 0..600000 ms, got %r" % (ms,))
        with self._lock:
            self._check_open()
            self._delay_supported()
            if ms == 0:
                self._delay.pop((src, dst), None)
            else:
                self._delay[(src, dst)] = ms
            self._apply({src, dst})

    def _loss_supported(self):
        pass

    def _delay_supported(self):
        pass

    def heal(self):
        """Remove every fault; in proxy mode held bytes are released."""
        with self._lock:
            self._check_open()
            self._cuts.clear()
            self._loss.clear()
            self._delay.clear()
            self._apply(set(range(1, self.n + 1)))

    def describe(self):
        """The current faults on one line."""
        with self._lock:
            parts = []
            if self._cuts:
                parts.append("cut " + " ".join("%d->%d" % p for p in sorted(self._cuts)))
            if self._loss:
                parts.append("loss " + " ".join("%d->%d %g%%" % (s, d, p)
                                                for (s, d), p in sorted(self._loss.items())))
            if self._delay:
                parts.append("delay " + " ".join("%d->%d %gms" % (s, d, m)
                                                 for (s, d), m in sorted(self._delay.items())))
            return "%s: %s" % (self.mode, "; ".join(parts) if parts else "no faults")

    def close(self):
        """Tear everything down. Idempotent; an interrupted close runs again
        (from atexit) because _closed is only set once teardown finished."""
        with self._lock:
            if self._closed or self._closing:
                return
            self._closing = True
        # Outside the lock: the proxy thread takes it and close() joins that thread.
        try:
            self._teardown()
            with self._lock:
                self._closed = True
            _unregister(self)
        finally:
            self._closing = False

    def _teardown(self):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------------------
# netns mode.

def _run(argv, input_text=None, check=True, timeout=CMD_TIMEOUT_S):
    """Runs a setup command; raises NetSetupError with its stderr on failure."""
    try:
        cp = subprocess.run(argv, input=input_text, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise NetSetupError("%s: %s" % (" ".join(argv), e))
    if check and cp.returncode != 0:
        raise NetSetupError("%s: %s" % (" ".join(argv), cp.stderr.strip() or "exit %d" % cp.returncode))
    return cp


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_pids_in_netns(ns):
    """SIGKILLs what still runs in one of our namespaces: only processes started
    through its cmd_prefix can be there, and a namespace with live processes is
    never freed."""
    cp = _run(["ip", "netns", "pids", ns], check=False)
    for tok in cp.stdout.split():
        if tok.isdigit() and int(tok) != os.getpid():
            try:
                os.kill(int(tok), signal.SIGKILL)
            except ProcessLookupError:
                pass


def _link_names():
    """Names of every link in this namespace, from `ip -o link show`."""
    names = set()
    for line in _run(["ip", "-o", "link", "show"], check=False).stdout.splitlines():
        fields = line.split(":")
        if len(fields) >= 2:
            names.add(fields[1].strip().split("@", 1)[0])
    return names


def remove_stale():
    """Removes namespaces and links of earlier runs whose pid is no longer alive.
    Names that do not match our pattern are never touched."""
    removed = []
    cp = _run(["ip", "netns", "list"], check=False)
    for line in cp.stdout.splitlines():
        name = line.split(" ", 1)[0].strip()
        m = _NAME_RE.match(name)
        if m and m.group(2) == "n" and not _pid_alive(int(m.group(1))):
            _kill_pids_in_netns(name)
            _run(["ip", "netns", "del", name], check=False)
            removed.append(name)
    cp = _run(["ip", "-o", "link", "show"], check=False)
    for line in cp.stdout.splitlines():
        fields = line.split(":")
        if len(fields) < 2:
            continue
        name = fields[1].strip().split("@", 1)[0]
        m = _NAME_RE.match(name)
        if m and m.group(2) in ("v", "b") and not _pid_alive(int(m.group(1))):
            _run(["ip", "link", "del", name], check=False)
            removed.append(name)
    return removed


# The instance letter tells this process's live netns nets apart; a closed
# net's letter is free again (its names are gone), so a run may create any
# number of nets one after another, and up to 26 at once.
_letters_in_use = set()


def _claim_letter():
    for letter in "abcdefghijklmnopqrstuvwxyz":
        if letter not in _letters_in_use:
            _letters_in_use.add(letter)
            return letter
    raise NetSetupError("26 netns nets are open in this process already")


def _used_ipv4_networks():
    nets = []
    for argv in (["ip", "-4", "route", "show", "table", "all"], ["ip", "-4", "-o", "addr", "show"]):
        out = _run(argv, check=False).stdout
        for addr, plen in re.findall(r"\b(\d+\.\d+\.\d+\.\d+)(/\d+)?", out):
            try:
                nets.append(ipaddress.ip_network(addr + (plen or "/32"), strict=False))
            except ValueError:
                continue
    return nets


def _pick_subnet():
    """A 10.a.b.0/24 derived from the pid that overlaps no route or address."""
    used = _used_ipv4_networks()
    pid = os.getpid()
    start = (pid * 7919) % (128 * 256)
    for k in range(512):
        idx = (start + k) % (128 * 256)
        cand = ipaddress.ip_network("10.%d.%d.0/24" % (64 + idx // 256, idx % 256))
        if not any(cand.overlaps(u) for u in used):
            return cand
    raise NetSetupError("no free 10.x.y.0/24 subnet found")


_CONNECT_CHECK = r"""
import socket, sys
bad = []
for addr in sys.argv[2:]:
    s = socket.socket()
    s.settimeout(float(sys.argv[1]))
    try:
        s.connect((addr, 1))
        ok = True
    except ConnectionRefusedError:
        ok = True   # the RST came back: packets flow both ways
    except OSError:
        ok = False
    finally:
        s.close()
    if not ok:
        bad.append(addr)
print(" ".join(bad))
"""


class NetnsNet(_BaseNet):
    mode = "netns"

    def __init__(self, n_nodes, tag):
        super().__init__(n_nodes, tag)
        self.mode_reason = "network namespaces with nftables"
        self._letter = _claim_letter()
        self.prefix = "%s%d%s" % (NAME_PREFIX, os.getpid(), self._letter)
        self._made_ns = []
        self._made_links = []
        self._bridge = None
        self._netem_error = None
        self._netem_ms = {}
        _register(self)
        try:
            self._setup()
        except BaseException:
            self.close()
            raise

    def ns_name(self, i):
        self._check_node(i)
        return "%sn%d" % (self.prefix, i)

    def _veth(self, i):
        return "%sv%d" % (self.prefix, i)

    def _peer(self, i):
        return "%sp%d" % (self.prefix, i)

    def _setup(self):
        if os.geteuid() != 0:
            raise NetSetupError("not root (euid %d)" % os.geteuid())
        for tool in ("ip", "nft"):
            if shutil.which(tool) is None:
                raise NetSetupError("%s not found (install %s)" % (tool, "nftables" if tool == "nft" else "iproute2"))
        remove_stale()
        self.subnet = _pick_subnet()
        hosts = list(self.subnet.hosts())
        self.bridge_addr = str(hosts[0])
        self._addrs = {i: str(hosts[9 + i]) for i in range(1, self.n + 1)}
        bridge = self.prefix + "b"
        _run(["ip", "link", "add", bridge, "type", "bridge"])
        self._bridge = bridge
        _run(["ip", "addr", "add", "%s/24" % self.bridge_addr, "dev", bridge])
        _run(["ip", "link", "set", bridge, "up"])
        for i in range(1, self.n + 1):
            self._setup_node(i, bridge)
        self._probe_netem()
        self._check_connectivity()

    def _setup_node(self, i, bridge):
        ns, veth, peer = self.ns_name(i), self._veth(i), self._peer(i)
        _run(["ip", "netns", "add", ns])
        self._made_ns.append(ns)
        _run(["ip", "link", "add", veth, "type", "veth", "peer", "name", peer, "netns", ns])
        self._made_links.append(veth)
        _run(["ip", "link", "set", veth, "master", bridge])
        _run(["ip", "link", "set", veth, "up"])
        _run(["ip", "-n", ns, "addr", "add", "%s/24" % self._addrs[i], "dev", peer])
        _run(["ip", "-n", ns, "link", "set", peer, "up"])
        _run(["ip", "-n", ns, "link", "set", "lo", "up"])
        _run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input_text=(
            "table inet %s {\n"
            "  chain out { type filter hook output priority 0; policy accept; }\n"
            "}\n" % NFT_TABLE))

    def _probe_netem(self):
        ns, peer = self.ns_name(1), self._peer(1)
        cp = _run(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", peer,
                   "root", "netem", "delay", "0ms"], check=False)
        if cp.returncode == 0:
            _run(["ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", peer, "root"], check=False)
        else:
            self._netem_error = cp.stderr.strip() or "tc exit %d" % cp.returncode

    def _check_connectivity(self):
        """TCP to a closed port must be refused (an RST came back), from the root
        namespace to every node and from every node to every other node. A
        timeout means the bridge filters traffic (br_netfilter, host rules)."""
        for i in range(1, self.n + 1):
            s = socket.socket()
            s.settimeout(CONNECT_CHECK_TIMEOUT_S)
            try:
                s.connect((self._addrs[i], 1))
            except ConnectionRefusedError:
                pass
            except OSError as e:
                raise NetSetupError("root namespace cannot reach node %d at %s: %s%s"
                                    % (i, self._addrs[i], e, _bridge_nf_hint()))
            finally:
                s.close()
        if self.n < 2:
            return
        procs = []
        for i in range(1, self.n + 1):
            others = [self._addrs[j] for j in range(1, self.n + 1) if j != i]
            argv = self.cmd_prefix(i) + [sys.executable, "-c", _CONNECT_CHECK,
                                         str(CONNECT_CHECK_TIMEOUT_S)] + others
            procs.append((i, subprocess.Popen(argv, stdout=subprocess.PIPE,
                                              stderr=subprocess.PIPE, text=True)))
        failures = []
        for i, p in procs:
            try:
                out, err = p.communicate(timeout=CMD_TIMEOUT_S + CONNECT_CHECK_TIMEOUT_S * self.n)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
                out, err = "", "timed out"
            if p.returncode != 0 or out.strip():
                failures.append("node %d -> [%s] %s" % (i, out.strip(), err.strip()[-200:]))
        if failures:
            raise NetSetupError("node-to-node TCP does not flow: %s%s"
                                % ("; ".join(failures), _bridge_nf_hint()))

    # -- interface -----------------------------------------------------------

    def node_host(self, i):
        self._check_node(i)
        return self._addrs[i]

    def client_port(self, i):
        self._check_node(i)
        return NETNS_CLIENT_PORT

    def internal_port(self, i):
        self._check_node(i)
        return NETNS_INTERNAL_PORT

    def http_port(self, i):
        self._check_node(i)
        return NETNS_HTTP_PORT

    def voters_for(self, i):
        self._check_node(i)
        return ",".join("%d@%s:%d" % (j, self._addrs[j], NETNS_INTERNAL_PORT)
                        for j in range(1, self.n + 1))

    def cmd_prefix(self, i):
        return ["ip", "netns", "exec", self.ns_name(i)]

    def _delay_supported(self):
        if self._netem_error is not None:
            raise Unsupported("delay needs netem, but the kernel lacks sch_netem (tc: %s)"
                              % self._netem_error)

    def delay(self, src, dst, ms):
        """Delay src->dst by ms. In netns mode this is a netem qdisc on src's
        veth, so it delays EVERYTHING src sends (to every node and to the
        harness), by the largest delay set from src; dst is only recorded."""
        super().delay(src, dst, ms)

    def loss(self, src, dst, pct):
        """Drop pct percent of src's IP packets to dst (nft numgen). TCP
        retransmits, so this slows links down rather than losing bytes."""
        super().loss(src, dst, pct)

    def cut(self, src, dst):
        """Drop every IP packet src sends to dst. A TCP connection needs both
        directions (data one way, ACKs the other), so a one-way cut stalls TCP
        connections in BOTH directions; only datagrams show the asymmetry."""
        super().cut(src, dst)

    def _apply(self, srcs):
        for src in sorted(srcs):
            lines = ["flush chain inet %s out" % NFT_TABLE]
            for dst in range(1, self.n + 1):
                daddr = self._addrs[dst]
                if (src, dst) in self._cuts:
                    lines.append("add rule inet %s out ip daddr %s drop" % (NFT_TABLE, daddr))
                elif (src, dst) in self._loss:
                    lines.append("add rule inet %s out ip daddr %s numgen random mod 100 < %d drop"
                                 % (NFT_TABLE, daddr, int(round(self._loss[(src, dst)]))))
            _run(["ip", "netns", "exec", self.ns_name(src), "nft", "-f", "-"],
                 input_text="\n".join(lines) + "\n")
            self._apply_netem(src)

    def _apply_netem(self, src):
        ms = max([m for (s, _), m in self._delay.items() if s == src] or [0])
        if ms == self._netem_ms.get(src, 0):
            return
        base = ["ip", "netns", "exec", self.ns_name(src), "tc", "qdisc"]
        if ms:
            _run(base + ["replace", "dev", self._peer(src), "root", "netem", "delay", "%dms" % ms])
        else:
            _run(base + ["del", "dev", self._peer(src), "root"], check=False)
        self._netem_ms[src] = ms

    def _teardown(self):
        for ns in self._made_ns:
            _kill_pids_in_netns(ns)
            _run(["ip", "netns", "del", ns], check=False)
        # Links are deleted by name whatever /sys shows (a chroot may have no
        # /sys, or one of another namespace).  A veth whose peer's namespace
        # is being destroyed vanishes on its own, asynchronously: wait for
        # that, bounded, deleting what is left.
        ours = set(self._made_links + ([self._bridge] if self._bridge else []))
        deadline = time.monotonic() + 5.0
        while ours:
            for link in sorted(ours):
                _run(["ip", "link", "del", link], check=False)
            ours &= _link_names()
            if not ours or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self._made_ns, self._made_links, self._bridge = [], [], None
        _letters_in_use.discard(self._letter)


def _bridge_nf_hint():
    try:
        with open("/proc/sys/net/bridge/bridge-nf-call-iptables") as f:
            v = f.read().strip()
    except OSError:
        return ""
    return " (net.bridge.bridge-nf-call-iptables=%s: host firewall rules see bridged traffic)" % v if v == "1" else ""


# ---------------------------------------------------------------------------
# proxy mode.

def free_ports(n):
    """n distinct free loopback TCP ports (bound to port 0, then released).
    Not harness.free_ports: importing harness installs its own signal handlers."""
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


class ProxyNet(_BaseNet):
    mode = "proxy"

    def __init__(self, n_nodes, tag, reason):
        super().__init__(n_nodes, tag)
        self.mode_reason = reason
        self._engine = None
        _register(self)
        try:
            links = [(i, j) for i in range(1, n_nodes + 1) for j in range(1, n_nodes + 1) if i != j]
            ports = free_ports(3 * n_nodes)
            self._ports = {i: ports[3 * (i - 1):3 * i] for i in range(1, n_nodes + 1)}
            targets = {(i, j): ("127.0.0.1", self._ports[j][1]) for i, j in links}
            self._engine = net_proxy.ProxyEngine(targets, self._lock, self._link_state,
                                                 name="chaosnet-proxy-%s" % (tag or os.getpid()))
        except BaseException:
            self.close()
            raise

    def _link_state(self, src, dst):
        """(held, delay_ms, loss_pct) of bytes src->dst; called with _lock held."""
        return ((src, dst) in self._cuts, self._delay.get((src, dst), 0),
                self._loss.get((src, dst), 0))

    def node_host(self, i):
        self._check_node(i)
        return "127.0.0.1"

    def client_port(self, i):
        self._check_node(i)
        return self._ports[i][0]

    def internal_port(self, i):
        self._check_node(i)
        return self._ports[i][1]

    def http_port(self, i):
        self._check_node(i)
        return self._ports[i][2]

    def proxy_port(self, src, dst):
        """The port src dials to reach dst (P_src,dst)."""
        self._check_pair(src, dst)
        return self._engine.port((src, dst))

    def voters_for(self, i):
        self._check_node(i)
        parts = []
        for j in range(1, self.n + 1):
            port = self._ports[i][1] if j == i else self._engine.port((i, j))
            parts.append("%d@127.0.0.1:%d" % (j, port))
        return ",".join(parts)

    def cmd_prefix(self, i):
        self._check_node(i)
        return []

    def cut(self, src, dst):
        """Hold every byte src sends to dst: upstream bytes of link (src,dst)
        and downstream bytes of link (dst,src) wait in the proxy (a TCP stream
        cannot lose bytes in the middle; holding models retransmission until
        the link heals). New connections on a cut link are accepted, but the
        proxy dials the target only once neither direction is cut. Over
        HELD_MAX_BYTES held on one connection, the connection is reset."""
        super().cut(src, dst)

    def loss(self, src, dst, pct):
        """With probability pct per chunk read from src towards dst, reset that
        connection (RST to both ends). A proxy cannot drop bytes inside a TCP
        stream, so loss shows up to the peers as connection resets."""
        super().loss(src, dst, pct)

    def delay(self, src, dst, ms):
        """Forward every byte src sends to dst ms after the proxy read it (also
        bytes already waiting). Only bytes are delayed, not connection setup."""
        super().delay(src, dst, ms)

    def _apply(self, srcs):
        self._engine.wake()

    def _teardown(self):
        if self._engine is not None:
            self._engine.close()
