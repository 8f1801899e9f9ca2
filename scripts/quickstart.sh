#!/usr/bin/env bash
# Skiff quickstart: from a fresh clone to messages going through a running
# cluster.  Installs the packages, builds, starts a local cluster, creates a
# topic, produces 1,000 messages with acks=all and reads them back.  With
# three or more nodes that replicate, it also kills the leader of partition
# 0 with SIGKILL while a producer keeps writing, shows the new leader,
# restarts the node and waits until the ISR is whole again.  Safe to run
# again: a running cluster is reused, the topic is kept, and only this run's
# messages are counted.  The cluster is left running at the end.
#
# Environment: SKIFF_NODES (cluster size, default 3), and everything
# scripts/cluster.sh reads (SKIFF_CLUSTER_DIR, SKIFF_BASE_PORT, ...).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export SKIFF_NODES=${SKIFF_NODES:-3}
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
    sed -n '2,12p' "$0" | cut -c 3-
    exit 0
fi

SKIFF=$BUILD/skiff
FAILOVER_COUNT=2000

# leader_of P: partition P's leader as `skiff topic describe` shows it (-1 if none).
leader_of() {
    "$SKIFF" topic describe "$TOPIC" -b "$BOOTSTRAP" --timeout-ms 5000 2>/dev/null |
        awk -v p="$1" -F'\t' '$3 == "Partition: " p { sub("Leader: ", "", $4); print $4; exit }'
}

# isr_whole: true when every partition's ISR lists all its replicas.
isr_whole() {
    "$SKIFF" topic describe "$TOPIC" -b "$BOOTSTRAP" --timeout-ms 5000 2>/dev/null | awk -F'\t' '
        $3 ~ /^Partition: / { n++; r = $5; i = $6; sub("Replicas: ", "", r); sub("Isr: ", "", i);
                              if (split(r, a, ",") != split(i, b, ",")) bad++ }
        END { exit !(n > 0 && bad == 0) }'
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds.
wait_for() {
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || fail "gave up waiting: $what"
        sleep 0.2
    done
}

# describe: prints the topic as the cluster sees it.  A node applies a new
# topic a moment after the controller commits it, so a node that has not yet
# caught up is given a few seconds.
describe_once() {
    local out
    out=$("$SKIFF" topic describe "$TOPIC" -b "$BOOTSTRAP" 2>/dev/null) || return 1
    printf '%s\n' "$out" | sed 's/^/    /'
}

describe() {
    wait_for 10 "the cluster describing topic $TOPIC" describe_once
}

step "Step 1 of 7: installing the Debian packages Skiff needs (scripts/install-deps.sh)"
note "This needs root or sudo the first time; afterwards it only checks."
scripts/install-deps.sh || fail "installing packages failed (run as root, or install sudo)"

step "Step 2 of 7: building skiffd (the broker) and skiff (the command-line tool)"
note "Running make -j2; this takes a minute on a fresh clone."
make -j2 -s || fail "the build failed; see the compiler messages above"
note "Built $BUILD/skiffd and $SKIFF."

step "Step 3 of 7: starting a local cluster of $SKIFF_NODES node(s) (scripts/cluster.sh start)"
note "A node that is already running is reused; each node's files live under"
note "${SKIFF_CLUSTER_DIR:-data/cluster}/node-N/ (config, data, skiffd.log)."
BOOTSTRAP=$(scripts/cluster.sh start) || fail "the cluster did not start; see the log lines above"
note "The cluster is ready.  Clients connect to: $BOOTSTRAP"
note "What the cluster says about itself (skiff cluster status):"
"$SKIFF" cluster status -b "$BOOTSTRAP" | sed 's/^/    /' || fail "skiff cluster status failed"

# Replication needs the nodes to form one cluster: Metadata then lists every
# node as a broker.  Nodes that each run alone list only themselves.
BROKERS=$("$SKIFF" cluster status -b "$BOOTSTRAP" --output json |
    /usr/bin/python3 -c 'import json, sys; print(len(json.load(sys.stdin)["brokers"]))') ||
    fail "cannot read the broker list"
REPLICATED=0
if [ "$SKIFF_NODES" -ge 3 ] && [ "$BROKERS" -eq "$SKIFF_NODES" ]; then
    REPLICATED=1
elif [ "$SKIFF_NODES" -gt 1 ]; then
    note "Metadata lists $BROKERS broker(s) for $SKIFF_NODES nodes: the nodes do not form one"
    note "replicated cluster in this build, so the rest talks to node 1 alone and the"
    note "failover step is skipped."
    BOOTSTRAP=${BOOTSTRAP%%,*}
fi
RF=$((REPLICATED ? 3 : 1))
CONFIG=()
[ "$REPLICATED" -eq 1 ] && CONFIG=(--config min.insync.replicas=2)

step "Step 4 of 7: creating topic '$TOPIC' with 3 partitions, $RF replica(s) each"
[ "$REPLICATED" -eq 1 ] && note "min.insync.replicas=2: an acks=all write needs two copies before it is acknowledged."
"$SKIFF" topic create "$TOPIC" -b "$BOOTSTRAP" --partitions 3 --replication-factor "$RF" \
    "${CONFIG[@]+"${CONFIG[@]}"}" --if-not-exists | sed 's/^/    /' || fail "creating the topic failed"
note "Where its partitions live (leader = the node that takes the writes):"
describe

# Every message carries this run's id, so a second run counts only its own.
RUN=run-$(date +%s)-$$
step "Step 5 of 7: producing $COUNT messages with acks=all (skiff produce)"
note "Each message is 'N:$RUN message N': the part before ':' is the key, which"
note "picks the partition, so the messages spread over all three."
for ((i = 1; i <= COUNT; i++)); do
    printf '%d:%s message %d\n' "$i" "$RUN" "$i"
done | timeout 60 "$SKIFF" produce "$TOPIC" -b "$BOOTSTRAP" --key-separator : --acks all 2>&1 |
    sed 's/^/    /' || fail "not every message was acknowledged (see above)"
note "All $COUNT messages were acknowledged by the cluster."
EXPECTED=$COUNT

if [ "$REPLICATED" -eq 1 ]; then
    step "Step 6 of 7: failover: killing the leader of partition 0 while producing"
    VICTIM=$(leader_of 0)
    if ! [[ $VICTIM =~ ^[0-9]+$ ]] || [ "$VICTIM" -lt 1 ]; then
        fail "partition 0 has no leader"
    fi
    note "Partition 0 is led by node $VICTIM.  A producer now writes $FAILOVER_COUNT more messages"
    note "(acks=all) in the background; node $VICTIM gets SIGKILL while it runs."
    PRODUCER_LOG=$(mktemp)
    for ((i = 1; i <= FAILOVER_COUNT; i++)); do
        printf 'f%d:%s message f%d\n' "$i" "$RUN" "$i"
        ((i % 100)) || sleep 0.1 # spread the writes over about two seconds
    done | "$SKIFF" produce "$TOPIC" -b "$BOOTSTRAP" --key-separator : --acks all --timeout-ms 30000 \
        >"$PRODUCER_LOG" 2>&1 &
    PRODUCER=$!
    sleep 0.5
    scripts/cluster.sh kill "$VICTIM" || fail "could not kill node $VICTIM"
    note "Killed node $VICTIM.  Waiting for another replica to take over partition 0..."
    new_leader() {
        local l
        l=$(leader_of 0)
        [[ $l =~ ^[0-9]+$ ]] && [ "$l" != "$VICTIM" ]
    }
    wait_for 30 "a new leader for partition 0" new_leader
    note "Partition 0 is now led by node $(leader_of 0); the ISR no longer lists node $VICTIM:"
    describe
    wait "$PRODUCER" || fail "the producer lost messages during the failover: $(cat "$PRODUCER_LOG")"
    sed 's/^/    /' "$PRODUCER_LOG"
    rm -f "$PRODUCER_LOG"
    note "Production continued: every one of the $FAILOVER_COUNT messages was acknowledged."
    EXPECTED=$((COUNT + FAILOVER_COUNT))
    note "Restarting node $VICTIM with its data (scripts/cluster.sh start-node $VICTIM)..."
    scripts/cluster.sh start-node "$VICTIM" >/dev/null || fail "node $VICTIM did not come back"
    wait_for 30 "node $VICTIM back in every ISR" isr_whole
    note "Node $VICTIM caught up and every partition's ISR is whole again:"
    describe
else
    step "Step 6 of 7: failover (skipped: needs three nodes that replicate; see above)"
fi

step "Step 7 of 7: reading the topic back from the beginning with kcat"
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
if [ "${#seen[@]}" -ne "$EXPECTED" ]; then
    fail "read back ${#seen[@]} distinct messages of this run, expected $EXPECTED"
fi
copies=0
for p in "${!per_partition[@]}"; do
    copies=$((copies + per_partition[$p]))
done
# librdkafka's producer may resend a batch whose acknowledgement was lost in
# the failover; Kafka calls that at-least-once.  Count such copies honestly.
if [ "$copies" -ne "$EXPECTED" ]; then
    [ "$REPLICATED" -eq 1 ] || fail "read $copies copies of $EXPECTED messages: some came back twice"
    note "$((copies - EXPECTED)) message(s) came back twice: resent after the leader died (at-least-once)."
fi
note "All $EXPECTED messages of this run came back."

echo
echo "Done.  The cluster is still running:"
echo "    scripts/cluster.sh status      # its nodes and ports"
echo "    scripts/cluster.sh stop        # stop it"
echo "and to talk to it:"
echo "    $SKIFF cluster status -b $BOOTSTRAP"
echo "    $SKIFF topic describe $TOPIC -b $BOOTSTRAP"
echo "    $SKIFF consume $TOPIC -b $BOOTSTRAP --from-beginning --format '%p %o %k %v'"
echo "    curl -s http://127.0.0.1:$((${SKIFF_BASE_PORT:-9092} + 2))/metrics"
