#!/usr/bin/env bash
# Skiff quickstart: from a fresh clone to messages going through a running
# cluster.  Installs the packages, builds, starts a local cluster, creates a
# topic, produces 1,000 messages with kcat and reads them back.  Safe to run
# again: a running cluster is reused, the topic is kept, and only this run's
# messages are counted.  The cluster is left running at the end.
#
# Environment: SKIFF_NODES (cluster size, default 1), and everything
# scripts/cluster.sh reads (SKIFF_CLUSTER_DIR, SKIFF_BASE_PORT, ...).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export SKIFF_NODES=${SKIFF_NODES:-1}
TOPIC=quickstart
COUNT=1000
BUILD=build

step() {
    echo
    echo "==> $*"
}

note() {
    echo "    $*"
}

fail() {
    echo
    echo "quickstart: $*" >&2
    exit 1
}

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
    sed -n '2,9p' "$0" | cut -c 3-
    exit 0
fi

step "Step 1 of 6: installing the Debian packages Skiff needs (scripts/install-deps.sh)"
note "This needs root or sudo the first time; afterwards it only checks."
scripts/install-deps.sh || fail "installing packages failed (run as root, or install sudo)"

step "Step 2 of 6: building skiffd (the broker) and skiff (the command-line tool)"
note "Running make -j2; this takes a minute on a fresh clone."
make -j2 -s || fail "the build failed; see the compiler messages above"
note "Built $BUILD/skiffd and $BUILD/skiff."

step "Step 3 of 6: starting a local cluster of $SKIFF_NODES node(s) (scripts/cluster.sh start)"
note "A node that is already running is reused; each node's files live under"
note "${SKIFF_CLUSTER_DIR:-data/cluster}/node-N/ (config, data, skiffd.log)."
BOOTSTRAP=$(scripts/cluster.sh start) || fail "the cluster did not start; see the log lines above"
note "The cluster is ready.  Clients connect to: $BOOTSTRAP"

RF=$((SKIFF_NODES < 3 ? SKIFF_NODES : 3))
step "Step 4 of 6: creating topic '$TOPIC' with 3 partitions, $RF replica(s) each"
"$BUILD/skiff" topic create "$TOPIC" -b "$BOOTSTRAP" --partitions 3 --replication-factor "$RF" \
    --if-not-exists | sed 's/^/    /' || fail "creating the topic failed"
note "Where its partitions live (leader = the node that takes the writes):"
"$BUILD/skiff" topic describe "$TOPIC" -b "$BOOTSTRAP" | sed 's/^/    /' ||
    fail "describing the topic failed"

# Every message carries this run's id, so a second run counts only its own.
RUN=run-$(date +%s)-$$
step "Step 5 of 6: producing $COUNT messages with kcat"
note "Each message is 'N:$RUN message N': the part before ':' is the key, which"
note "picks the partition, so the messages spread over all three."
for ((i = 1; i <= COUNT; i++)); do
    printf '%d:%s message %d\n' "$i" "$RUN" "$i"
done | timeout 60 kcat -P -b "$BOOTSTRAP" -t "$TOPIC" -K: -X acks=all ||
    fail "kcat could not deliver every message (exit status $?)"
note "kcat delivered all $COUNT messages; each was acknowledged by the cluster."

step "Step 6 of 6: reading the topic back from the beginning with kcat"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
timeout 60 kcat -C -b "$BOOTSTRAP" -t "$TOPIC" -o beginning -e -q -f '%p %s\n' >"$OUT" ||
    fail "kcat could not read the topic back (exit status $?)"
declare -A seen=()
declare -A per_partition=()
total=0
while read -r partition run _ n; do
    total=$((total + 1))
    [ "$run" = "$RUN" ] || continue
    seen[$n]=1
    per_partition[$partition]=$((${per_partition[$partition]:-0} + 1))
done <"$OUT"
for p in $(printf '%s\n' "${!per_partition[@]}" | sort -n); do
    note "partition $p: ${per_partition[$p]} of this run's messages"
done
note "The topic holds $total message(s) in all (earlier runs included)."
if [ "${#seen[@]}" -ne "$COUNT" ]; then
    fail "read back ${#seen[@]} distinct messages of this run, expected $COUNT"
fi
copies=0
for p in "${!per_partition[@]}"; do
    copies=$((copies + per_partition[$p]))
done
[ "$copies" -eq "$COUNT" ] || fail "read $copies copies of $COUNT messages: some came back twice"
note "All $COUNT messages of this run came back, each exactly once."

echo
echo "Done.  The cluster is still running:"
echo "    scripts/cluster.sh status      # its nodes and ports"
echo "    scripts/cluster.sh stop        # stop it"
echo "and to talk to it:"
echo "    $BUILD/skiff topic describe -b $BOOTSTRAP"
echo "    kcat -C -b $BOOTSTRAP -t $TOPIC -e"
