#!/usr/bin/python3
"""Captures real request frames from real Kafka clients (kcat/librdkafka,
kafka-python) and writes them as C arrays: tests/unit/kafka_captured.h.

A throwaway listener on a free loopback port answers just enough (ApiVersions,
Metadata, Produce, ListOffsets, Fetch; responses encoded by kafka_wire.py from
Kafka's schemas) for each client to send the requests we want, and records the
first frame of each (api_key, version).  Every client runs with a deadline and
is stopped by its own PID.

Usage: tests/unit/capture_kafka_frames.py > tests/unit/kafka_captured.h"""

import os
import socket
import struct
import subprocess
import sys
import threading
import time

import kafka_wire as kw

ADVERTISED = [(0, 0, 7), (1, 0, 11), (2, 0, 3), (3, 0, 6), (8, 0, 7), (9, 0, 5), (10, 0, 2), (11, 0, 5),
              (12, 0, 3), (13, 0, 3), (14, 0, 3), (15, 0, 4), (16, 0, 2), (17, 0, 1), (18, 0, 2), (19, 0, 4),
              (20, 0, 3), (21, 0, 1), (22, 0, 1), (32, 0, 2), (33, 0, 1), (36, 0, 1), (37, 0, 1)]
NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 18: "ApiVersions"}


class Listener:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.frames = []  # (client, api_key, version, frame bytes after the size)
        self.client = ""
        self.lock = threading.Lock()
        self.stop = False
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def recv_exact(self, c, n):
        buf = b""
        while len(buf) < n:
            chunk = c.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def serve(self, c):
        c.settimeout(10)
        try:
            while not self.stop:
                size = struct.unpack(">i", self.recv_exact(c, 4))[0]
                frame = self.recv_exact(c, size)
                key, ver, corr = struct.unpack(">hhi", frame[:8])
                with self.lock:
                    if not any(f[0] == self.client and f[1] == key and f[2] == ver for f in self.frames):
                        self.frames.append((self.client, key, ver, frame))
                body = self.answer(key, ver, frame)
                if body is not None:
                    c.sendall(struct.pack(">ii", len(body) + 4, corr) + body)
        except (EOFError, OSError, socket.timeout):
            pass
        finally:
            c.close()

    def answer(self, key, ver, frame):
        apis = [{"ApiKey": k, "MinVersion": a, "MaxVersion": b} for k, a, b in ADVERTISED]
        if key == 18:
            if ver >= 3:
                return kw.encode("ApiVersionsResponse", 0, {"ErrorCode": 35, "ApiKeys": apis})
            return kw.encode("ApiVersionsResponse", ver, {"ErrorCode": 0, "ApiKeys": apis})
        if key == 3:
            part = {"ErrorCode": 0, "PartitionIndex": 0, "LeaderId": 1, "ReplicaNodes": [1], "IsrNodes": [1],
                    "OfflineReplicas": []}
            return kw.encode("MetadataResponse", ver, {
                "Brokers": [{"NodeId": 1, "Host": "127.0.0.1", "Port": self.port, "Rack": None}],
                "ClusterId": "capture", "ControllerId": 1,
                "Topics": [{"ErrorCode": 0, "Name": "t", "IsInternal": False, "Partitions": [part]}]})
        if key == 0:
            acks = struct.unpack(">h", frame[frame_body_start(frame) + 2:][:2])[0] if ver >= 3 else 1
            if acks == 0:
                return None
            return kw.encode("ProduceResponse", ver, {"Responses": [{"Name": "t", "PartitionResponses": [
                {"Index": 0, "ErrorCode": 0, "BaseOffset": 0, "LogAppendTimeMs": -1, "LogStartOffset": 0}]}]})
        if key == 2:
            return kw.encode("ListOffsetsResponse", ver, {"Topics": [{"Name": "t", "Partitions": [
                {"PartitionIndex": 0, "ErrorCode": 0, "Timestamp": -1, "Offset": 0, "OldStyleOffsets": [0]}]}]})
        if key == 1:
            time.sleep(0.2)  # behave like a long poll with nothing to return
            return kw.encode("FetchResponse", ver, {"Responses": [{"Topic": "t", "Partitions": [
                {"PartitionIndex": 0, "ErrorCode": 0, "HighWatermark": 0, "LastStableOffset": 0,
                 "LogStartOffset": 0, "AbortedTransactions": [], "PreferredReadReplica": -1, "Records": b""}]}]})
        return None

    def wait_for(self, client, key, ver, deadline_s):
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            with self.lock:
                if any(f[0] == client and f[1] == key and f[2] == ver for f in self.frames):
                    return True
            time.sleep(0.05)
        return False


def frame_body_start(frame):
    n = struct.unpack(">h", frame[8:10])[0]
    return 10 + max(n, 0)


def run_client(lst, name, argv, want, stdin=None, env=None):
    lst.client = name
    p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    if stdin is not None:
        p.stdin.write(stdin)
        p.stdin.close()
    try:
        for key, ver in want:
            if not lst.wait_for(name, key, ver, 15):
                sys.stderr.write("%s: no %s v%d seen\n" % (name, NAMES.get(key, key), ver))
    finally:
        p.kill()
        p.wait(timeout=10)


def c_array(name, data):
    lines = ["    " + ", ".join("0x%02x" % b for b in data[i:i + 16]) + "," for i in range(0, len(data), 16)]
    return "static const uint8_t %s[] = {\n%s\n};\n" % (name, "\n".join(lines))


def main():
    lst = Listener()
    b = "127.0.0.1:%d" % lst.port
    run_client(lst, "kcat_L", ["kcat", "-b", b, "-L", "-m", "5"], [(18, 3), (18, 0), (3, 4)])
    run_client(lst, "kcat_P", ["kcat", "-b", b, "-P", "-t", "t", "-p", "0", "-k", "key"],
               [(0, 7)], stdin=b"hello\n")
    run_client(lst, "kcat_C", ["kcat", "-b", b, "-C", "-t", "t", "-p", "0", "-o", "beginning"],
               [(2, 2), (1, 11)])
    py = ("import kafka,sys\n"
          "c=kafka.KafkaConsumer(bootstrap_servers=sys.argv[1])\n"
          "c.assign([kafka.TopicPartition('t',0)])\n"
          "c.seek_to_beginning()\n"
          "c.poll(timeout_ms=3000)\n")
    run_client(lst, "kafka_python", ["/usr/bin/python3", "-c", py, b], [(18, 0), (3, 0), (2, 1), (1, 4)])
    lst.stop = True
    out = ["/* Real request frames (header v1 + body, without the 4-byte size) captured",
           " * from real clients by tests/unit/capture_kafka_frames.py; do not edit. */",
           "#ifndef KAFKA_CAPTURED_H", "#define KAFKA_CAPTURED_H", "", "#include <stddef.h>",
           "#include <stdint.h>", "", "struct kafka_captured {", "    const char *client;",
           "    int16_t api_key;", "    int16_t version;", "    const uint8_t *bytes;", "    size_t len;", "};", ""]
    rows = []
    for client, key, ver, frame in sorted(lst.frames, key=lambda f: (f[0], f[1], f[2])):
        cname = "cap_%s_%d_v%d" % (client, key, ver)
        out.append(c_array(cname, frame))
        rows.append('    {"%s", %d, %d, %s, %d},' % (client, key, ver, cname, len(frame)))
    out.append("static const struct kafka_captured kafka_captured_frames[] = {")
    out += rows
    out.append("};\n")
    out.append("#endif")
    sys.stdout.write("\n".join(out) + "\n")
    sys.stderr.write("captured: %s\n" % ", ".join("%s %s v%d" % (c, NAMES.get(k, k), v)
                                                 for c, k, v, _ in lst.frames))


if __name__ == "__main__":
    main()
