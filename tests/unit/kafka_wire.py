"""Reference encoder for Kafka's non-flexible wire format, driven by Apache
Kafka's JSON message schemas (field order, per-version presence, nullability).

It exists to produce test vectors for Skiff's C codec from a source that shares
no code with it: the schemas are read at generation time (they are not part of
the repository; point KAFKA_SCHEMAS at Kafka's
clients/src/main/resources/common/message directory).

Values are dicts keyed by the schema's field names; a missing field takes the
schema default (or zero / empty); None is null (checked against
nullableVersions).  Only non-flexible versions are supported."""

import json
import os
import re
import struct

SCHEMAS = os.environ.get("KAFKA_SCHEMAS", os.path.join(os.path.dirname(__file__), "../../../shared/kafka-protocol/messages"))


def load(name):
    with open(os.path.join(SCHEMAS, name + ".json")) as f:
        text = re.sub(r"^\s*//.*$", "", f.read(), flags=re.M)
    return json.loads(text)


def in_range(spec, v):
    if spec in (None, "", "none"):
        return False
    m = re.fullmatch(r"(\d+)(\+|-(\d+))?", spec)
    lo = int(m.group(1))
    if m.group(2) == "+":
        return v >= lo
    hi = int(m.group(3)) if m.group(3) else lo
    return lo <= v <= hi


def default_of(f):
    d = f.get("default")
    t = f["type"]
    if t.startswith("[]"):
        return []
    if d == "null":
        return None
    if t in ("int8", "int16", "int32", "int64"):
        if d is None:
            return 0
        return d if isinstance(d, int) else int(d, 0)
    if t == "bool":
        return d == "true"
    if t == "string":
        return d if d is not None else ""
    if t in ("bytes", "records"):
        return b""
    return {}


PRIM = {"int8": ">b", "int16": ">h", "int32": ">i", "int64": ">q"}


def enc_value(t, val, f, v, structs):
    nullable = in_range(f.get("nullableVersions"), v)
    if val is None and not nullable:
        raise ValueError("null for non-nullable field %s v%d" % (f["name"], v))
    if t in PRIM:
        return struct.pack(PRIM[t], val)
    if t == "bool":
        return b"\x01" if val else b"\x00"
    if t == "string":
        if val is None:
            return struct.pack(">h", -1)
        b = val.encode() if isinstance(val, str) else val
        return struct.pack(">h", len(b)) + b
    if t in ("bytes", "records"):
        if val is None:
            return struct.pack(">i", -1)
        return struct.pack(">i", len(val)) + val
    if t.startswith("[]"):
        if val is None:
            return struct.pack(">i", -1)
        et = t[2:]
        out = struct.pack(">i", len(val))
        for e in val:
            if et in PRIM or et in ("bool", "string", "bytes"):
                out += enc_value(et, e, {"name": f["name"] + "[]"}, v, structs)
            else:
                out += enc_fields(f.get("fields") or structs[et], e, v, structs)
        return out
    # a struct-typed field (not an array)
    return enc_fields(f.get("fields") or structs[t], val, v, structs)


def enc_fields(fields, vals, v, structs):
    out = b""
    for f in fields:
        if "tag" in f or not in_range(f["versions"], v):
            continue
        val = vals[f["name"]] if vals is not None and f["name"] in vals else default_of(f)
        out += enc_value(f["type"], val, f, v, structs)
    return out


def encode(message, version, values):
    """Body bytes of `message` (e.g. "MetadataResponse") at `version`."""
    m = load(message)
    flex = m.get("flexibleVersions", "none")
    if in_range(flex, version):
        raise ValueError("%s v%d is flexible" % (message, version))
    if not in_range(m["validVersions"], version):
        raise ValueError("%s v%d is not a valid version" % (message, version))
    structs = {s["name"]: s["fields"] for s in m.get("commonStructs", [])}
    return enc_fields(m["fields"], values, version, structs)


def request_header(api_key, version, correlation_id, client_id):
    """Request header v1 (every non-flexible request)."""
    cid = struct.pack(">h", -1) if client_id is None else struct.pack(">h", len(client_id)) + client_id.encode()
    return struct.pack(">hhi", api_key, version, correlation_id) + cid
