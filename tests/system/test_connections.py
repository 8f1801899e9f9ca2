"""Many clients at once, pipelined requests, and no file descriptors leaked
when clients come and go."""

import os
import socket
import unittest

import kafkawire
from harness import SkiffTestCase, wait_until

CONNECTIONS = 300
SLACK = 3


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


class ConnectionsTest(SkiffTestCase):

    def test_many_connections_are_served_and_released(self):
        b = self.start_broker()
        # A few descriptors may be opened lazily (files, timers): allow SLACK.
        base = open_fds(b.pid) + SLACK
        conns = [b.raw(timeout=10) for _ in range(CONNECTIONS)]
        try:
            for c in conns:
                c.send(18, 0, b"")
            for c in conns:
                corr, body = c.recv(10)
                self.assertEqual(corr, 1)
                self.assertEqual(kafkawire.parse_api_versions(kafkawire.Reader(body), 0)["error_code"], 0)
            self.assertGreaterEqual(open_fds(b.pid), base - SLACK + CONNECTIONS - SLACK)
        finally:
            for c in conns:
                c.close()
        wait_until(lambda: open_fds(b.pid) <= base, 10, 0.05,
                   "broker to close the descriptors of %d departed clients" % CONNECTIONS)
        # Clients that vanish mid-request (reset, half a frame) are released too.
        for i in range(50):
            s = socket.create_connection(("127.0.0.1", b.port), timeout=5)
            s.sendall(kafkawire.i32(100) + b"\x00\x12")
            if i % 2:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
        wait_until(lambda: open_fds(b.pid) <= base, 10, 0.05, "descriptors of aborted clients released")
        self.assert_broker_serves(b)

    def test_pipelined_requests_answered_in_order(self):
        b = self.start_broker()
        with b.raw() as c:
            sent = []
            burst = b""
            for i in range(200):
                corr = c.next_corr
                c.next_corr += 1
                api, ver, body = (18, 0, b"") if i % 2 == 0 else (3, 1, kafkawire.i32(-1))
                payload = c.header(api, ver, corr) + body
                burst += kafkawire.i32(len(payload)) + payload
                sent.append(corr)
            c.send_raw(burst)          # all 200 frames in one write
            got = [c.recv(10)[0] for _ in sent]
        self.assertEqual(got, sent)


if __name__ == "__main__":
    unittest.main()
