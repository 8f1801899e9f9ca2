"""A small raw Kafka wire client for tests that need exact bytes on the wire:
request header v1 framing, RecordBatch v2 with CRC-32C, and the few request
and response bodies the system tests use (non-flexible versions only)."""

import socket
import struct
import time

# ---------------------------------------------------------------- CRC-32C

def _crc32c_table():
    poly = 0x82F63B78  # Castagnoli, reflected
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283

# ------------------------------------------------------------- primitives

def i8(v): return struct.pack(">b", v)
def i16(v): return struct.pack(">h", v)
def i32(v): return struct.pack(">i", v)
def i64(v): return struct.pack(">q", v)
def u32(v): return struct.pack(">I", v)


def string(s):
    if s is None:
        return i16(-1)
    b = s.encode() if isinstance(s, str) else s
    return i16(len(b)) + b


def nbytes(b):
    if b is None:
        return i32(-1)
    return i32(len(b)) + b


def array(items, enc=lambda x: x):
    if items is None:
        return i32(-1)
    return i32(len(items)) + b"".join(enc(x) for x in items)


def varint(n):
    """Signed zigzag varint (record fields)."""
    z = (n << 1) ^ (n >> 63)
    z &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


class ShortRead(Exception):
    pass


class Reader:
    """Bounds-checked big-endian reader; raises ShortRead past the end."""

    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise ShortRead("need %d bytes at %d of %d" % (n, self.pos, len(self.data)))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def left(self):
        return len(self.data) - self.pos

    def i8(self): return struct.unpack(">b", self.take(1))[0]
    def i16(self): return struct.unpack(">h", self.take(2))[0]
    def i32(self): return struct.unpack(">i", self.take(4))[0]
    def i64(self): return struct.unpack(">q", self.take(8))[0]
    def u32(self): return struct.unpack(">I", self.take(4))[0]

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def nbytes(self):
        n = self.i32()
        return None if n < 0 else self.take(n)

    def array(self, fn):
        n = self.i32()
        if n < 0:
            return None
        if n > self.left():
            raise ShortRead("array count %d exceeds %d bytes left" % (n, self.left()))
        return [fn(self) for _ in range(n)]

    def varint(self):
        shift = 0
        z = 0
        for _ in range(10):
            b = self.take(1)[0]
            z |= (b & 0x7F) << shift
            if not b & 0x80:
                return (z >> 1) ^ -(z & 1)
            shift += 7
        raise ShortRead("varint too long")

# ------------------------------------------------------------ RecordBatch

BATCH_HEADER_BYTES = 61


def encode_record(offset_delta, ts_delta, key, value, headers=()):
    body = bytearray(i8(0))
    body += varint(ts_delta) + varint(offset_delta)
    body += varint(-1) if key is None else varint(len(key)) + key
    body += varint(-1) if value is None else varint(len(value)) + value
    body += varint(len(headers))
    for hk, hv in headers:
        hkb = hk.encode() if isinstance(hk, str) else hk
        body += varint(len(hkb)) + hkb
        body += varint(-1) if hv is None else varint(len(hv)) + hv
    return varint(len(body)) + bytes(body)


def build_batch(records, base_timestamp=None, timestamps=None, base_offset=0, attributes=0,
                leader_epoch=-1, corrupt_crc=False):
    """records: list of (key, value) or (key, value, headers).  Returns the
    bytes of one uncompressed RecordBatch v2 with a correct CRC-32C (or a
    deliberately wrong one with corrupt_crc)."""
    if base_timestamp is None:
        base_timestamp = int(time.time() * 1000)
    if timestamps is None:
        timestamps = [base_timestamp] * len(records)
    base_timestamp = min(timestamps) if timestamps else base_timestamp
    recs = bytearray()
    for i, r in enumerate(records):
        key, value = r[0], r[1]
        headers = r[2] if len(r) > 2 else ()
        recs += encode_record(i, timestamps[i] - base_timestamp, key, value, headers)
    after_crc = (i16(attributes) + i32(len(records) - 1) + i64(base_timestamp) +
                 i64(max(timestamps) if timestamps else base_timestamp) +
                 i64(-1) + i16(-1) + i32(-1) + i32(len(records)) + bytes(recs))
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc ^= 0x5A5A5A5A
    tail = i32(leader_epoch) + i8(2) + u32(crc) + after_crc
    return i64(base_offset) + i32(len(tail)) + tail


def walk_batches(data):
    """Yields (position, total_length, base_offset, last_offset_delta) for each
    complete batch in data; stops at a partial trailing batch."""
    pos = 0
    while pos + 12 <= len(data):
        base_offset, length = struct.unpack(">qi", data[pos:pos + 12])
        if length < BATCH_HEADER_BYTES - 12 or pos + 12 + length > len(data):
            return
        last_delta = struct.unpack(">i", data[pos + 23:pos + 27])[0]
        yield pos, 12 + length, base_offset, last_delta
        pos += 12 + length


def parse_batches(data):
    """Parses every complete batch in data.  Each batch is a dict; records are
    decoded for uncompressed batches.  crc_ok says whether CRC-32C matches."""
    out = []
    for pos, total, base_offset, last_delta in walk_batches(data):
        b = data[pos:pos + total]
        r = Reader(b, 12)
        leader_epoch = r.i32()
        magic = r.i8()
        crc = r.u32()
        crc_ok = crc32c(b[21:]) == crc
        attributes = r.i16()
        r.i32()
        base_ts = r.i64()
        max_ts = r.i64()
        r.take(8 + 2 + 4)
        count = r.i32()
        batch = dict(base_offset=base_offset, last_offset=base_offset + last_delta, magic=magic,
                     crc_ok=crc_ok, attributes=attributes, count=count, base_timestamp=base_ts,
                     max_timestamp=max_ts, leader_epoch=leader_epoch, records=None, raw=b)
        if attributes & 0x7 == 0 and magic == 2:
            recs = []
            for _ in range(count):
                length = r.varint()
                rr = Reader(r.take(length))
                rr.i8()
                ts_delta = rr.varint()
                off_delta = rr.varint()
                kl = rr.varint()
                key = None if kl < 0 else rr.take(kl)
                vl = rr.varint()
                value = None if vl < 0 else rr.take(vl)
                headers = []
                for _ in range(rr.varint()):
                    hk = rr.take(rr.varint())
                    hl = rr.varint()
                    headers.append((hk, None if hl < 0 else rr.take(hl)))
                recs.append(dict(offset=base_offset + off_delta, timestamp=base_ts + ts_delta,
                                 key=key, value=value, headers=headers))
            batch["records"] = recs
        out.append(batch)
    return out

# ----------------------------------------------------------------- client

class ConnectionClosed(Exception):
    pass


class RawClient:
    """One TCP connection speaking request header v1 / response header v0."""

    def __init__(self, host, port, timeout=10.0, client_id="skiff-systest"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.client_id = client_id
        self.next_corr = 1

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_raw(self, data):
        self.sock.sendall(data)

    def header(self, api_key, version, corr):
        return i16(api_key) + i16(version) + i32(corr) + string(self.client_id)

    def send(self, api_key, version, body):
        """Sends one framed request; returns its correlation id."""
        corr = self.next_corr
        self.next_corr += 1
        payload = self.header(api_key, version, corr) + body
        self.send_raw(i32(len(payload)) + payload)
        return corr

    def _recv_exact(self, n, deadline):
        buf = bytearray()
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no complete response within deadline")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(n - len(buf))
            except ConnectionResetError:
                raise ConnectionClosed("connection reset by broker")
            if not chunk:
                raise ConnectionClosed("connection closed by broker after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return bytes(buf)

    def recv(self, timeout=None):
        """Reads one framed response; returns (correlation_id, body bytes)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        n = struct.unpack(">i", self._recv_exact(4, deadline))[0]
        if n < 4 or n > 256 * 1024 * 1024:
            raise AssertionError("bad response frame length %d" % n)
        data = self._recv_exact(n, deadline)
        return struct.unpack(">i", data[:4])[0], data[4:]

    def call(self, api_key, version, body, timeout=None):
        corr = self.send(api_key, version, body)
        got, resp = self.recv(timeout)
        if got != corr:
            raise AssertionError("correlation id %d, expected %d" % (got, corr))
        return resp

    def wait_closed(self, timeout=5.0):
        """True if the broker closes the connection within timeout (any bytes
        it sends first are discarded); False if it is still open."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True

    # ------------------------------------------------------------ APIs

    def api_versions(self, version=0):
        r = Reader(self.call(18, version, b""))
        return parse_api_versions(r, version)

    def metadata(self, topics=None, allow_auto_create=False, version=4):
        body = array(topics, string) if topics is not None else (i32(-1) if version >= 1 else i32(0))
        if version >= 4:
            body += i8(1 if allow_auto_create else 0)
        return parse_metadata(Reader(self.call(3, version, body)), version)

    def produce_request(self, topic, partition, records_bytes, acks=-1, timeout_ms=10000):
        return (string(None) + i16(acks) + i32(timeout_ms) +
                array([topic], lambda t: string(t) + array([partition], lambda p: i32(p) + nbytes(records_bytes))))

    def produce(self, topic, partition, records_bytes, acks=-1, timeout_ms=10000, timeout=None):
        """Produce v7 of one batch; returns the partition response dict
        (error_code, base_offset, log_append_time, log_start_offset)."""
        body = self.produce_request(topic, partition, records_bytes, acks, timeout_ms)
        r = Reader(self.call(0, 7, body, timeout))
        topics = r.array(lambda r: (r.string(), r.array(lambda r: dict(
            partition=r.i32(), error_code=r.i16(), base_offset=r.i64(),
            log_append_time=r.i64(), log_start_offset=r.i64()))))
        r.i32()
        if len(topics) != 1 or topics[0][0] != topic or len(topics[0][1]) != 1:
            raise AssertionError("produce response does not echo exactly %s/%d: %r" % (topic, partition, topics))
        resp = topics[0][1][0]
        if resp["partition"] != partition:
            raise AssertionError("produce response for partition %d, sent %d" % (resp["partition"], partition))
        return resp

    def fetch_request(self, topic, partition, offset, max_wait_ms=0, min_bytes=1,
                      max_bytes=64 * 1024 * 1024, partition_max_bytes=16 * 1024 * 1024):
        """Fetch v4 body."""
        return (i32(-1) + i32(max_wait_ms) + i32(min_bytes) + i32(max_bytes) + i8(0) +
                array([topic], lambda t: string(t) + array([partition], lambda p: i32(p) + i64(offset) +
                                                            i32(partition_max_bytes))))

    def fetch(self, topic, partition, offset, max_wait_ms=0, min_bytes=1, timeout=None, **kw):
        body = self.fetch_request(topic, partition, offset, max_wait_ms, min_bytes, **kw)
        return parse_fetch_v4(Reader(self.call(1, 4, body, timeout)), topic, partition)

    def list_offsets(self, topic, partition, timestamp):
        """ListOffsets v1; timestamp -1 = latest, -2 = earliest.
        Returns (error_code, timestamp, offset)."""
        body = i32(-1) + array([topic], lambda t: string(t) + array([partition], lambda p: i32(p) + i64(timestamp)))
        r = Reader(self.call(2, 1, body))
        topics = r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16(), r.i64(), r.i64()))))
        p = topics[0][1][0]
        return p[1], p[2], p[3]


def parse_api_versions(r, version):
    out = dict(error_code=r.i16())
    out["apis"] = {k: (lo, hi) for k, lo, hi in r.array(lambda r: (r.i16(), r.i16(), r.i16()))}
    return out


def parse_metadata(r, version):
    out = {}
    if version >= 3:
        out["throttle_time_ms"] = r.i32()

    def broker(r):
        b = dict(node_id=r.i32(), host=r.string(), port=r.i32())
        if version >= 1:
            b["rack"] = r.string()
        return b
    out["brokers"] = r.array(broker)
    if version >= 2:
        out["cluster_id"] = r.string()
    if version >= 1:
        out["controller_id"] = r.i32()

    def partition(r):
        p = dict(error_code=r.i16(), partition=r.i32(), leader=r.i32(),
                 replicas=r.array(Reader.i32), isr=r.array(Reader.i32))
        if version >= 5:
            p["offline"] = r.array(Reader.i32)
        return p

    def topic(r):
        t = dict(error_code=r.i16(), name=r.string())
        if version >= 1:
            t["internal"] = r.i8()
        t["partitions"] = r.array(partition)
        return t
    out["topics"] = {t["name"]: t for t in r.array(topic)}
    return out


def parse_fetch_v4(r, topic, partition):
    r.i32()  # throttle_time_ms

    def part(r):
        p = dict(partition=r.i32(), error_code=r.i16(), high_watermark=r.i64(), last_stable_offset=r.i64())
        p["aborted"] = r.array(lambda r: (r.i64(), r.i64()))
        p["records"] = r.nbytes() or b""
        return p
    topics = r.array(lambda r: (r.string(), r.array(part)))
    if len(topics) != 1 or topics[0][0] != topic or len(topics[0][1]) != 1 or topics[0][1][0]["partition"] != partition:
        raise AssertionError("fetch response does not echo exactly %s/%d" % (topic, partition))
    return topics[0][1][0]


def fetch_all(client, topic, partition, start=0, deadline_s=20.0):
    """Fetches every record from start to the high watermark; returns
    (records, high_watermark).  Fails on any error, bad CRC or offset gap."""
    deadline = time.monotonic() + deadline_s
    offset = start
    records = []
    while True:
        p = client.fetch(topic, partition, offset)
        if p["error_code"] != 0:
            raise AssertionError("fetch %s/%d at %d: error %d" % (topic, partition, offset, p["error_code"]))
        hw = p["high_watermark"]
        for b in parse_batches(p["records"]):
            if not b["crc_ok"]:
                raise AssertionError("batch at offset %d served with a bad CRC" % b["base_offset"])
            for rec in b["records"] or []:
                if rec["offset"] < offset:
                    continue
                if rec["offset"] != offset:
                    raise AssertionError("offset gap: expected %d, got %d" % (offset, rec["offset"]))
                records.append(rec)
                offset += 1
        if offset >= hw:
            return records, hw
        if time.monotonic() > deadline:
            raise AssertionError("fetch_all stuck at offset %d < high watermark %d" % (offset, hw))


def roundtrip_check(broker, topic):
    """Creates topic (through the admin API) if needed, produces one batch
    with acks=-1 over a fresh connection, and reads it back."""
    import clients
    clients.create_topic(broker, topic, 1, if_missing=True)
    value = ("alive-%d" % time.monotonic_ns()).encode()
    with broker.raw() as c:
        resp = c.produce(topic, 0, build_batch([(b"k", value)]), acks=-1)
        if resp["error_code"] != 0:
            raise AssertionError("round-trip produce to %s: error %d" % (topic, resp["error_code"]))
        p = c.fetch(topic, 0, resp["base_offset"])
        if p["error_code"] != 0:
            raise AssertionError("round-trip fetch: error %d" % p["error_code"])
        recs = [rec for b in parse_batches(p["records"]) for rec in b["records"] or []
                if rec["offset"] == resp["base_offset"]]
        if not recs or recs[0]["value"] != value:
            raise AssertionError("round-trip value not read back at offset %d" % resp["base_offset"])
