#!/usr/bin/env bash
# Installs every Debian package that building, testing and running Skiff needs.
# Non-interactive and idempotent: when everything is present it only runs dpkg-query.
set -euo pipefail

PKGS=(
    # build
    gcc make pkg-config git ca-certificates procps
    libevent-dev libprotobuf-c-dev protobuf-c-compiler libssl-dev
    check libsubunit-dev
    # fuzzing and sanitizers (clang's libFuzzer and runtimes)
    clang libclang-rt-14-dev libfuzzer-14-dev
    # clients used by the skiff tool, benchmarks and system tests
    librdkafka-dev kcat python3 python3-kafka python3-confluent-kafka
    # system-test utilities
    iproute2 curl
    # operations checks: promtool (from prometheus; Debian ships no smaller
    # package with it) for /metrics, systemd-analyze for the unit file,
    # PyYAML for the compose and Kubernetes manifest checks
    prometheus systemd python3-yaml
)

missing=()
for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#PKGS[@]} packages present"
    exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
