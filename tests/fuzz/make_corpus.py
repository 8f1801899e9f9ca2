#!/usr/bin/python3
"""Writes the fuzz seed corpus tests/fuzz/corpus/: one file per sample request
(every API and parsed version, from tests/unit/gen_kafka_vectors.py) and per
captured real-client frame (tests/unit/kafka_captured.h), each laid out as the
fuzz target reads it: [api_key int16][version int16][body]."""

import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../unit"))

import gen_kafka_vectors as g  # noqa: E402
import kafka_wire as kw  # noqa: E402

OUT = os.path.join(HERE, "corpus")


def write(name, key, ver, body):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(struct.pack(">hh", key, ver) + body)


def captured():
    text = open(os.path.join(HERE, "../unit/kafka_captured.h")).read()
    for m in re.finditer(r"static const uint8_t cap_(\w+?)_(\d+)_v(\d+)\[\] = \{(.*?)\};", text, re.S):
        frame = bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", m.group(4)))
        key, ver = struct.unpack(">hh", frame[:4])
        n = struct.unpack(">h", frame[8:10])[0]
        yield "cap_%s_%d_v%d" % (m.group(1), key, ver), key, ver, frame[10 + max(n, 0):]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, key, lo, hi in g.APIS:
        for v in range(lo, hi + 1):
            write("%s_v%d" % (name, v), key, v, kw.encode(name + "Request", v, g.REQ[name]))
    for fname, key, ver, body in captured():
        write(fname, key, ver, body)


if __name__ == "__main__":
    main()
