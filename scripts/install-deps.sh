#!/usr/bin/env bash
# Installs every Debian package that building, testing and running Skiff needs.
# Non-interactive and idempotent: when everything is present it only runs dpkg-query.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

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
    # network fault injection for the chaos harness (namespaces + nft rules)
    nftables
    # operations checks: promtool (from prometheus; Debian ships no smaller
    # package with it) for /metrics, systemd-analyze for the unit file,
    # PyYAML for the compose and Kubernetes manifest checks
    prometheus systemd python3-yaml
    # kafkajs (from npm) runs on node
    nodejs
)
# Debian's npm, unless npm already came with the installed node.
command -v npm >/dev/null 2>&1 || PKGS+=(npm)

missing=()
for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = "installed" ] || missing+=("$p")
done

# kafkajs for the system tests, pinned by tests/system/js/package-lock.json.
# Best effort: the build and every other test work without it, and where the
# npm registry cannot be reached the kafkajs test reports itself skipped.
install_kafkajs() {
    if [ ! -f tests/system/js/node_modules/kafkajs/package.json ]; then
        echo "install-deps: installing kafkajs from npm"
        if ! (cd tests/system/js && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); then
            echo "install-deps: WARNING: could not install kafkajs from npm; its system test will be skipped" >&2
        fi
    fi
}

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#PKGS[@]} packages present"
    install_kafkajs
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
install_kafkajs
echo "install-deps: done"
