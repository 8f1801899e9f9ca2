#!/usr/bin/python3
"""Checks the deployment files in deploy/ as far as this machine allows:

- systemd: `systemd-analyze verify` on the unit (its ExecStart pointed at the
  built skiffd, since verify insists the binary exists), the sandboxing
  options required, and a deliberately broken copy must fail verify.
- container: the Containerfile's stages, base image, non-root user, exposed
  ports and copied paths; the entrypoint run for real against the built
  skiffd (node.id from a StatefulSet-style host name, advertised address).
- compose and Kubernetes: YAML parses; required fields; labels and
  selectors agree; ports, probes, voters and mounts agree with the skiffd
  configuration they carry; every configuration key is one skiffd knows.

Prints one line per check and `N passed, M failed`; exits 1 on any failure.
Usage: check_deploy.py [--build DIR]
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")
results = []


def check(name, fn):
    try:
        fn()
        results.append((name, None))
        print("ok    %s" % name)
    except Exception as e:  # noqa: BLE001 - every failure is reported the same way
        results.append((name, e))
        print("FAIL  %s: %s" % (name, e))


def need(cond, msg):
    if not cond:
        raise AssertionError(msg)


def props(text):
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")):
            k, _, v = line.partition("=")
            out[k.strip()] = v.strip()
    return out


def hostport_port(v):
    return int(v.rsplit(":", 1)[1])


def config_ports(p):
    return {"kafka": hostport_port(p["listeners"]), "internal": hostport_port(p["internal.listener"]),
            "http": hostport_port(p["http.listener"])}


def known_keys(build):
    out = subprocess.run([os.path.join(build, "skiffd"), "--config-reference"], capture_output=True, text=True,
                         timeout=10, check=True).stdout
    return set(re.findall(r"^\|\s*`([a-z0-9.]+)`", out, re.M))


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


# ------------------------------------------------------------------ systemd

UNIT = os.path.join(DEPLOY, "systemd", "skiffd@.service")


def unit_text(build):
    with open(UNIT) as f:
        return f.read().replace("/usr/local/bin/skiffd", os.path.join(os.path.abspath(build), "skiffd"))


def verify_unit(text):
    d = tempfile.mkdtemp(prefix="skiff-unit-")
    try:
        path = os.path.join(d, "skiffd@1.service")
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run(["systemd-analyze", "verify", "--man=no", path], capture_output=True, text=True,
                           timeout=60)
        return r.returncode, (r.stdout + r.stderr).strip()
    finally:
        shutil.rmtree(d)


def systemd_verify(build):
    need(shutil.which("systemd-analyze"), "systemd-analyze not installed (scripts/install-deps.sh)")
    rc, out = verify_unit(unit_text(build))
    need(rc == 0 and not out, "systemd-analyze verify: rc=%d %s" % (rc, out))
    # The check itself must be able to fail.
    rc, out = verify_unit(unit_text(build).replace("ProtectSystem=strict", "ProtectSystem=sideways"))
    need(rc != 0 or out, "a unit with ProtectSystem=sideways passed verify")


def systemd_sandbox():
    with open(UNIT) as f:
        text = f.read()
    for line in ("ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectHome=yes",
                 "ReadWritePaths=/var/lib/skiff/%i", "ExecStart=/usr/local/bin/skiffd --config /etc/skiff/%i.properties",
                 "KillSignal=SIGTERM", "RestartPreventExitStatus=2"):
        need(re.search("^" + re.escape(line) + "$", text, re.M), "missing %s" % line)
    user = re.search(r"^User=(\S+)$", text, re.M)
    need(user and user.group(1) not in ("root", "0"), "must run as an unprivileged User=")


# ---------------------------------------------------------------- container

CONTAINERFILE = os.path.join(DEPLOY, "container", "Containerfile")
IMAGE_CONFIG = os.path.join(DEPLOY, "container", "server.properties")
ENTRYPOINT = os.path.join(DEPLOY, "container", "skiffd-entrypoint.sh")


def containerfile():
    with open(CONTAINERFILE) as f:
        lines = [l.strip() for l in f.read().replace("\\\n", " ").splitlines() if l.strip() and not l.startswith("#")]
    froms = [l.split()[1] for l in lines if l.startswith("FROM ")]
    need(len(froms) >= 2, "not multi-stage")
    need(all(f == "debian:bookworm-slim" for f in froms), "base images: %s" % froms)
    last = max(i for i, l in enumerate(lines) if l.startswith("FROM "))
    users = [l.split()[1] for l in lines[last:] if l.startswith("USER ")]
    need(users and users[-1].split(":")[0] not in ("root", "0"), "final stage must run as a non-root USER")
    exposed = {int(p) for l in lines if l.startswith("EXPOSE ") for p in l.split()[1:]}
    with open(IMAGE_CONFIG) as f:
        need(exposed == set(config_ports(props(f.read())).values()), "EXPOSE %s vs config ports" % sorted(exposed))
    for l in lines:
        if l.startswith("COPY ") and "--from=" not in l:
            for src in l.split()[1:-1]:
                need(os.path.exists(os.path.join(ROOT, src)), "COPY source %s missing" % src)
    need(any(l.startswith("HEALTHCHECK ") and "/healthz" in l for l in lines), "no HEALTHCHECK on /healthz")
    need(os.access(ENTRYPOINT, os.X_OK), "entrypoint not executable")


def wait_http(port, path, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=1) as r:
                return r.read()
        except OSError:
            time.sleep(0.05)
    raise AssertionError("GET %s on port %d did not answer" % (path, port))


def entrypoint_runs(build):
    import json
    kafka, internal, http = free_ports(3)
    d = tempfile.mkdtemp(prefix="skiff-entry-")
    proc = None
    try:
        cfg = os.path.join(d, "server.properties")
        with open(IMAGE_CONFIG) as f:
            text = f.read()
        text = (text.replace("0.0.0.0:9092", "127.0.0.1:%d" % kafka).replace("0.0.0.0:9093", "127.0.0.1:%d" % internal)
                .replace("0.0.0.0:9094", "127.0.0.1:%d" % http).replace("/var/lib/skiff/data", d + "/data"))
        with open(cfg, "w") as f:
            f.write(text)
        env = dict(os.environ, SKIFF_BIN=os.path.join(os.path.abspath(build), "skiffd"), SKIFF_CONFIG=cfg,
                   SKIFF_HOSTNAME="skiff-2", SKIFF_NODE_ID_FROM_HOSTNAME="1",
                   SKIFF_ADVERTISED_HOST="HOSTNAME.skiff-headless", SKIFF_OVERRIDES="num.partitions=2 log.level=warn")
        proc = subprocess.Popen([ENTRYPOINT], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_http(http, "/readyz")
        st = json.loads(wait_http(http, "/v1/status"))
        need(st["node"]["node_id"] == 3, "node id %s from host skiff-2, expected 3" % st["node"]["node_id"])
        need(st["node"]["listeners"]["advertised"] == "skiff-2.skiff-headless:9092",
             "advertised %s" % st["node"]["listeners"]["advertised"])
        proc.send_signal(signal.SIGTERM)  # the entrypoint exec'd skiffd: the signal reaches it
        need(proc.wait(timeout=20) == 0, "skiffd did not exit 0 on SIGTERM")
        bad = subprocess.run([ENTRYPOINT], env=dict(env, SKIFF_HOSTNAME="skiff"), capture_output=True, timeout=10)
        need(bad.returncode == 2 and b"ordinal" in bad.stderr, "a host name without an ordinal must exit 2")
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(d)


# ------------------------------------------------------------------ compose

COMPOSE = os.path.join(DEPLOY, "compose", "compose.yaml")


def compose(build):
    with open(COMPOSE) as f:
        doc = yaml.safe_load(f)
    with open(IMAGE_CONFIG) as f:
        cfg = props(f.read())
    ports = config_ports(cfg)
    services = doc.get("services") or {}
    names = sorted(services)
    need(names == ["skiff-1", "skiff-2", "skiff-3"], "services %s" % names)
    declared_volumes = set((doc.get("volumes") or {}).keys())
    data_parent = os.path.dirname(cfg["log.dirs"])
    ids, published = set(), set()
    for name in names:
        s = services[name]
        env = s.get("environment") or {}
        need("build" in s and os.path.exists(os.path.join(os.path.dirname(COMPOSE), s["build"]["context"],
                                                          s["build"]["dockerfile"])), "%s: build file" % name)
        need(s.get("hostname") == name and env.get("SKIFF_ADVERTISED_HOST") == name, "%s: host names" % name)
        ids.add(int(env["SKIFF_NODE_ID"]))
        voters = dict(v.split("@") for v in env["SKIFF_VOTERS"].split(","))
        need(voters == {str(i): "skiff-%d:%d" % (i, ports["internal"]) for i in (1, 2, 3)}, "%s: voters" % name)
        for p in s.get("ports", []):
            host_ip, host_port, container = str(p).rsplit(":", 2) if str(p).count(":") == 2 else ("",) + tuple(
                str(p).split(":"))
            need(int(container) in (ports["kafka"], ports["http"]), "%s: publishes port %s" % (name, container))
            need(host_port not in published, "%s: host port %s published twice" % (name, host_port))
            published.add(host_port)
        test = " ".join(s["healthcheck"]["test"])
        need("http://127.0.0.1:%d/readyz" % ports["http"] in test, "%s: healthcheck %s" % (name, test))
        mounts = [v.split(":") for v in s.get("volumes", [])]
        need(any(src in declared_volumes and dst == data_parent for src, dst in mounts),
             "%s: no declared volume mounted at %s" % (name, data_parent))
        keys = {kv.split("=")[0] for kv in (env.get("SKIFF_OVERRIDES") or "").split()}
        need(keys <= known_keys(build), "%s: unknown keys %s" % (name, keys - known_keys(build)))
    need(ids == {1, 2, 3}, "node ids %s" % ids)


# --------------------------------------------------------------- kubernetes

K8S = os.path.join(DEPLOY, "kubernetes", "skiff.yaml")


def subset(a, b):
    return all(b.get(k) == v for k, v in (a or {}).items()) and bool(a)


def k8s_docs():
    with open(K8S) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    for d in docs:
        for field in ("apiVersion", "kind"):
            need(field in d, "a document lacks %s" % field)
        need(d.get("metadata", {}).get("name"), "%s without metadata.name" % d["kind"])
    return docs


def one(docs, kind, pred=lambda d: True):
    found = [d for d in docs if d["kind"] == kind and pred(d)]
    need(len(found) == 1, "expected one %s, found %d" % (kind, len(found)))
    return found[0]


def k8s_structure():
    docs = k8s_docs()
    sts = one(docs, "StatefulSet")
    spec = sts["spec"]
    pod_labels = spec["template"]["metadata"]["labels"]
    need(subset(spec["selector"]["matchLabels"], pod_labels), "StatefulSet selector does not match its pods")
    headless = one(docs, "Service", lambda d: d["spec"].get("clusterIP") == "None")
    need(spec["serviceName"] == headless["metadata"]["name"], "serviceName is not the headless Service")
    need(headless["spec"].get("publishNotReadyAddresses") is True, "peers must resolve before they are ready")
    for svc in (d for d in docs if d["kind"] == "Service"):
        need(subset(svc["spec"]["selector"], pod_labels), "Service %s selects no pod" % svc["metadata"]["name"])
    pdb = one(docs, "PodDisruptionBudget")
    need(pdb["apiVersion"] == "policy/v1", "PodDisruptionBudget apiVersion")
    need(subset(pdb["spec"]["selector"]["matchLabels"], pod_labels), "PDB selects no pod")
    need(pdb["spec"].get("minAvailable") == spec["replicas"] // 2 + 1, "PDB must keep a quorum available")
    need(spec["replicas"] == 3, "replicas %s" % spec["replicas"])


def k8s_consistency(build):
    docs = k8s_docs()
    sts = one(docs, "StatefulSet")
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    cm = one(docs, "ConfigMap")
    cfg = props(cm["data"]["server.properties"])
    unknown = set(cfg) - known_keys(build)
    need(not unknown, "ConfigMap keys skiffd does not know: %s" % unknown)
    ports = config_ports(cfg)
    c = pod["containers"][0]
    cports = {p["name"]: p["containerPort"] for p in c["ports"]}
    need(cports == ports, "containerPorts %s vs config %s" % (cports, ports))
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    need(env.get("SKIFF_NODE_ID_FROM_HOSTNAME") == "1", "node.id must come from the pod ordinal")
    for svc in (d for d in docs if d["kind"] == "Service"):
        for p in svc["spec"]["ports"]:
            need(p["targetPort"] in cports and cports[p["targetPort"]] == p["port"],
                 "Service %s port %s" % (svc["metadata"]["name"], p["name"]))
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        g = c[probe]["httpGet"]
        port = cports.get(g["port"], g["port"])
        need(g["path"] == path and port == ports["http"], "%s must GET %s on the http listener" % (probe, path))
    headless = one(docs, "Service", lambda d: d["spec"].get("clusterIP") == "None")["metadata"]["name"]
    voters = [v.split("@") for v in cfg["controller.quorum.voters"].split(",")]
    want = [[str(i + 1), "%s-%d.%s:%d" % (sts["metadata"]["name"], i, headless, ports["internal"])]
            for i in range(spec["replicas"])]
    need(voters == want, "voters %s, expected %s" % (voters, want))
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    claims = {t["metadata"]["name"] for t in spec["volumeClaimTemplates"]}
    need(any(n in claims and cfg["log.dirs"].startswith(p + "/") for n, p in mounts.items()),
         "log.dirs %s is not on a PersistentVolumeClaim" % cfg["log.dirs"])
    vols = {v["name"]: v for v in pod["volumes"]}
    need(mounts.get("config") == "/etc/skiff" and vols["config"]["configMap"]["name"] == cm["metadata"]["name"],
         "the ConfigMap must be mounted at /etc/skiff (the entrypoint's default config)")
    need(pod["securityContext"].get("runAsNonRoot") is True, "pods must run as non-root")
    need(spec["template"]["metadata"]["annotations"]["prometheus.io/port"] == str(ports["http"]),
         "scrape annotation must name the http port")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    check("systemd: systemd-analyze verify", lambda: systemd_verify(args.build))
    check("systemd: sandboxing and service options", systemd_sandbox)
    check("container: Containerfile stages, user, ports", containerfile)
    check("container: entrypoint runs skiffd (node.id from ordinal)", lambda: entrypoint_runs(args.build))
    check("compose: three nodes consistent with the config", lambda: compose(args.build))
    check("kubernetes: fields, selectors, quorum budget", k8s_structure)
    check("kubernetes: ports, probes, voters, volumes vs config", lambda: k8s_consistency(args.build))
    failed = sum(1 for _, e in results if e)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
