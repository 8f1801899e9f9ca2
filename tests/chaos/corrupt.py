"""Storage corruption for the fault harness, applied to a STOPPED node's
partition directory before it restarts: one flipped bit inside a record
batch, or a segment tail cut mid-batch.

    desc = flip_bit(partition_dir, rng, region="crc")
    desc = truncate_tail(partition_dir, rng, max_bytes)

Both return a dict describing what was done (file, position, batch base
offset, field), or None when there is nothing to corrupt (no batch yet).

Regions for flip_bit (RecordBatch v2 layout, broker/batch.h):
- "crc": bytes 21..end of the batch, covered by its CRC-32C (attributes,
  offsets deltas, timestamps, producer fields, record count, records).  Skiff
  detects these: recovery re-validates every batch at or after the recovery
  point and cuts the log there; below it, reads CRC-check every batch and
  refuse to serve it.
- "header": bytes 0..20, outside the CRC: baseOffset, batchLength,
  partitionLeaderEpoch, magic, the CRC field itself.  A flip in batchLength,
  magic or the CRC is still caught (framing or CRC mismatch); a flip in
  baseOffset or partitionLeaderEpoch is not covered by any checksum.
- "any": anywhere in the batch.
- a header field name from FIELDS (e.g. "baseOffset"): only that field.
Which of these a harness may inject while still expecting no acknowledged
loss is discussed in tests/chaos/FAULTS.md.
"""

import os
import struct

HEADER_BYTES = 61
LOG_OVERHEAD = 12            # baseOffset + batchLength
CRC_START = 21               # the CRC covers attributes .. end

# (start, end, name) of the header fields, for descriptions.
FIELDS = [
    (0, 8, "baseOffset"), (8, 12, "batchLength"), (12, 16, "partitionLeaderEpoch"), (16, 17, "magic"),
    (17, 21, "crc"), (21, 23, "attributes"), (23, 27, "lastOffsetDelta"), (27, 35, "baseTimestamp"),
    (35, 43, "maxTimestamp"), (43, 51, "producerId"), (51, 53, "producerEpoch"), (53, 57, "baseSequence"),
    (57, 61, "recordsCount"),
]

FIELD_RANGE = {name: (lo, hi) for lo, hi, name in FIELDS}


def field_at(offset_in_batch):
    for lo, hi, name in FIELDS:
        if lo <= offset_in_batch < hi:
            return name
    return "records"


def segments(partition_dir):
    """Segment .log files, oldest first (20-digit base offset names)."""
    names = sorted(n for n in os.listdir(partition_dir)
                   if n.endswith(".log") and len(n) == 24 and n[:20].isdigit())
    return [os.path.join(partition_dir, n) for n in names]


def batches(path):
    """[(position, total_bytes, base_offset)] of the whole batches at the
    start of a segment file; stops at the first header that does not frame
    (torn tail, garbage)."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos + HEADER_BYTES <= len(data):
        base, length = struct.unpack_from(">qi", data, pos)
        magic = data[pos + 16]
        total = length + LOG_OVERHEAD
        if magic != 2 or length < HEADER_BYTES - LOG_OVERHEAD or pos + total > len(data):
            break
        out.append((pos, total, base))
        pos += total
    return out


def flip_at(path, pos, bit):
    """Flips bit `bit` of the byte at file position pos, durably."""
    with open(path, "r+b") as f:
        f.seek(pos)
        b = f.read(1)
        f.seek(pos)
        f.write(bytes([b[0] ^ (1 << bit)]))
        f.flush()
        os.fsync(f.fileno())


def flip_bit(partition_dir, rng, region="crc", segment="any"):
    """Flips one random bit inside one random batch of one random segment
    (segment: "any", "closed" = not the last, "active" = the last).  The byte
    is chosen uniformly over the region of that batch."""
    segs = segments(partition_dir)
    if segment == "closed":
        segs = segs[:-1]
    elif segment == "active":
        segs = segs[-1:]
    candidates = [(p, b) for p in segs for b in batches(p)]
    if not candidates:
        return None
    path, (pos, total, base) = rng.choice(candidates)
    if region == "crc":
        lo, hi = CRC_START, total
    elif region == "header":
        lo, hi = 0, CRC_START
    elif region == "any":
        lo, hi = 0, total
    elif region in FIELD_RANGE:
        lo, hi = FIELD_RANGE[region]
    else:
        raise ValueError("region must be crc, header, any or a header field name: %r" % region)
    k = rng.randrange(lo, hi)
    bit = rng.randrange(8)
    flip_at(path, pos + k, bit)
    return {"kind": "flip_bit", "file": path, "segment_closed": path != segments(partition_dir)[-1],
            "batch_base_offset": base, "batch_position": pos, "batch_bytes": total,
            "byte_in_batch": k, "field": field_at(k), "bit": bit, "file_position": pos + k}


def truncate_tail(partition_dir, rng, max_bytes):
    """Cuts the active (last) segment by 1..max_bytes bytes, so that it ends
    inside a batch, never exactly at a batch boundary."""
    segs = segments(partition_dir)
    if not segs:
        return None
    path = segs[-1]
    size = os.path.getsize(path)
    whole = batches(path)
    bounds = {pos for pos, _, _ in whole} | {size}
    cuts = [size - n for n in range(1, min(max_bytes, size) + 1) if size - n not in bounds]
    if not cuts:
        return None
    new_size = rng.choice(cuts)
    os.truncate(path, new_size)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    torn = [base for pos, total, base in whole if pos + total > new_size]
    return {"kind": "truncate_tail", "file": path, "size_before": size, "size_after": new_size,
            "bytes_cut": size - new_size, "first_cut_batch_base_offset": torn[0] if torn else None}
