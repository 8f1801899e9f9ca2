"""The TCP proxy engine behind net.py's proxy mode: one listening socket per
directed link (src, dst), every accepted connection forwarded to the link's
target, all in one background thread driven by selectors.

A connection on link (src, dst) has two pipes: upstream carries src->dst bytes,
downstream dst->src bytes. Each pipe asks link_state(from, to) for
(held, delay_ms, loss_pct) whenever it moves bytes, so faults set by net.py
take effect on bytes already queued too.
"""

import collections
import errno
import random
import selectors
import socket
import struct
import threading
import time

# Bytes held for one connection while its direction is cut (or waiting for its
# delay) before the connection is reset: bounds the harness's memory.
HELD_MAX_BYTES = 64 * 1024 * 1024
# Bytes queued while the link is up but the receiver is slow: above this the
# proxy stops reading from the sender, so TCP backpressure reaches it.
BACKPRESSURE_BYTES = 4 * 1024 * 1024
RECV_CHUNK_BYTES = 65536
ACCEPT_BURST = 64
# The loop wakes at least this often even when nothing happens, to notice
# a close() whose wake-up byte was lost.
MAX_SELECT_S = 0.5
JOIN_TIMEOUT_S = 5.0


class _Pipe:
    """One direction of a proxied connection."""

    def __init__(self, conn, frm, to):
        self.conn = conn
        self.frm, self.to = frm, to
        self.in_sock = None
        self.out_sock = None
        self.queue = collections.deque()   # [read_time_s, bytes]
        self.queued = 0
        self.eof_in = False
        self.eof_sent = False
        self.blocked = False               # the last send was partial

    def wants_read(self, held):
        if self.eof_in or self.in_sock is None:
            return False
        if held or self.out_sock is None:
            return True   # read and hold; the connection is reset past HELD_MAX_BYTES
        return self.queued < BACKPRESSURE_BYTES


class _Conn:
    def __init__(self, link, client_sock):
        src, dst = link
        self.link = link
        self.client = client_sock
        self.server = None
        self.connecting = False
        self.up = _Pipe(self, src, dst)
        self.down = _Pipe(self, dst, src)
        self.up.in_sock = client_sock
        self.down.out_sock = client_sock
        self.dead = False

    def socks(self):
        return [s for s in (self.client, self.server) if s is not None]


class ProxyEngine:
    def __init__(self, targets, lock, link_state, name="chaosnet-proxy"):
        """targets: {(src, dst): (host, port)}; lock guards the fault state that
        link_state(src, dst) -> (held, delay_ms, loss_pct) reads."""
        self._lock = lock
        self._link_state = link_state
        self._targets = dict(targets)
        self._sel = selectors.DefaultSelector()
        self._listeners = {}
        self._conns = set()
        self._masks = {}
        self._stop = False
        self.error = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, ("wake", None))
        try:
            for link in self._targets:
                ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                self._listeners[link] = ls
                ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                ls.bind(("127.0.0.1", 0))
                ls.listen(64)
                ls.setblocking(False)
                self._sel.register(ls, selectors.EVENT_READ, ("listen", link))
        except BaseException:
            self._close_sockets()
            raise
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def port(self, link):
        return self._listeners[link].getsockname()[1]

    def wake(self):
        """Makes the loop re-read the fault state now."""
        if not self._thread.is_alive():
            raise RuntimeError("proxy thread is not running: %s" % (self.error or "stopped"))
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass  # a wake-up is already pending

    def close(self):
        self._stop = True
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(JOIN_TIMEOUT_S)
        if self._thread.is_alive():
            raise RuntimeError("proxy thread did not stop within %.0fs" % JOIN_TIMEOUT_S)
        self._close_sockets()

    def connection_count(self):
        with self._lock:
            return len(self._conns)

    # -- the loop --------------------------------------------------------------

    def _run(self):
        try:
            while not self._stop:
                events = self._sel.select(self._next_timeout())
                with self._lock:
                    if self._stop:
                        break
                    for key, mask in events:
                        self._dispatch(key, mask)
                    self._pump_all()
        except Exception as e:  # recorded; wake() reports it to the caller
            self.error = "%s: %s" % (type(e).__name__, e)

    def _next_timeout(self):
        with self._lock:
            now = time.monotonic()
            best = MAX_SELECT_S
            for c in self._conns:
                for p in (c.up, c.down):
                    if not p.queue or p.out_sock is None or p.blocked:
                        continue
                    held, delay_ms, _ = self._link_state(p.frm, p.to)
                    if not held:
                        best = min(best, max(0.0, p.queue[0][0] + delay_ms / 1000.0 - now))
            return best

    def _dispatch(self, key, mask):
        kind, obj = key.data
        if kind == "wake":
            try:
                while self._wake_r.recv(4096):
                    pass
            except (BlockingIOError, OSError):
                pass
        elif kind == "listen":
            self._accept(obj)
        elif not obj.dead:
            self._on_conn_event(obj, key.fileobj, mask)

    def _accept(self, link):
        ls = self._listeners[link]
        for _ in range(ACCEPT_BURST):
            try:
                s, _ = ls.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conns.add(_Conn(link, s))

    def _on_conn_event(self, c, sock, mask):
        if c.connecting and sock is c.server and mask & selectors.EVENT_WRITE:
            err = c.server.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self._abort(c)
                return
            c.connecting = False
            c.up.out_sock = c.server
            c.down.in_sock = c.server
        for p in (c.up, c.down):
            if c.dead:
                return
            if p.in_sock is sock and mask & selectors.EVENT_READ:
                self._read(p)
            if p.out_sock is sock and mask & selectors.EVENT_WRITE:
                p.blocked = False

    def _read(self, p):
        try:
            data = p.in_sock.recv(RECV_CHUNK_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._abort(p.conn)
            return
        if not data:
            p.eof_in = True
            return
        _, _, loss_pct = self._link_state(p.frm, p.to)
        if loss_pct and random.random() * 100.0 < loss_pct:
            self._abort(p.conn)
            return
        p.queue.append([time.monotonic(), data])
        p.queued += len(data)
        if p.queued > HELD_MAX_BYTES:
            self._abort(p.conn)

    def _pump_all(self):
        for c in list(self._conns):
            if c.dead:
                continue
            if c.server is None:
                self._maybe_connect(c)
            for p in (c.up, c.down):
                if not c.dead:
                    self._pump(p)
            if not c.dead and c.up.eof_sent and c.down.eof_sent:
                self._finish(c)
        for c in list(self._conns):
            if not c.dead:
                self._update_interest(c)

    def _maybe_connect(self, c):
        src, dst = c.link
        if self._link_state(src, dst)[0] or self._link_state(dst, src)[0]:
            return  # neither a SYN nor its answer would get through yet
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.server = s
        err = s.connect_ex(self._targets[c.link])
        if err == 0:
            c.up.out_sock = s
            c.down.in_sock = s
        elif err in (errno.EINPROGRESS, errno.EALREADY, errno.EAGAIN):
            c.connecting = True
        else:
            self._abort(c)

    def _pump(self, p):
        if p.out_sock is None or p.blocked:
            return
        held, delay_ms, _ = self._link_state(p.frm, p.to)
        if held:
            return
        deadline = time.monotonic() - delay_ms / 1000.0
        while p.queue and p.queue[0][0] <= deadline:
            data = p.queue[0][1]
            try:
                sent = p.out_sock.send(data)
            except (BlockingIOError, InterruptedError):
                p.blocked = True
                return
            except OSError:
                self._abort(p.conn)
                return
            p.queued -= sent
            if sent < len(data):
                p.queue[0][1] = data[sent:]
                p.blocked = True
                return
            p.queue.popleft()
        if not p.queue and p.eof_in and not p.eof_sent:
            try:
                p.out_sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            p.eof_sent = True

    def _update_interest(self, c):
        for s in c.socks():
            mask = 0
            for p in (c.up, c.down):
                if p.in_sock is s and p.wants_read(self._link_state(p.frm, p.to)[0]):
                    mask |= selectors.EVENT_READ
                if p.out_sock is s and p.blocked:
                    mask |= selectors.EVENT_WRITE
            if s is c.server and c.connecting:
                mask |= selectors.EVENT_WRITE
            self._set_mask(s, mask, c)

    def _set_mask(self, s, mask, c):
        old = self._masks.get(s, 0)
        if mask == old:
            return
        if old == 0:
            self._sel.register(s, mask, ("conn", c))
        elif mask == 0:
            self._sel.unregister(s)
        else:
            self._sel.modify(s, mask, ("conn", c))
        if mask:
            self._masks[s] = mask
        else:
            self._masks.pop(s, None)

    def _drop(self, c, reset):
        c.dead = True
        self._conns.discard(c)
        for s in c.socks():
            if self._masks.pop(s, 0):
                self._sel.unregister(s)
            if reset:
                try:
                    # Linger 0: close() sends an RST, as a peer sees a lost link.
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
            s.close()

    def _abort(self, c):
        self._drop(c, reset=True)

    def _finish(self, c):
        self._drop(c, reset=False)

    def _close_sockets(self):
        for c in list(self._conns):
            self._drop(c, reset=True)
        for ls in self._listeners.values():
            ls.close()
        self._listeners = {}
        for s in (self._wake_r, self._wake_w):
            s.close()
        self._sel.close()
