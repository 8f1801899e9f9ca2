#!/usr/bin/env bash
# Runs a local Skiff cluster: one skiffd per node on the loopback interface.
# See `scripts/cluster.sh --help` and docs/operations.md.
#
# Progress goes to stderr; stdout carries only what a caller may want to
# capture (the bootstrap list, status lines, logs), so that
#     BOOTSTRAP=$(scripts/cluster.sh start)
# works.
set -euo pipefail

PROG=cluster.sh
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
    cat <<'EOF'
Usage: scripts/cluster.sh COMMAND [ARGS]

Runs a local Skiff cluster of SKIFF_NODES skiffd processes (controller-quorum
voters) plus SKIFF_BROKER_NODES broker-only nodes on 127.0.0.1.

Commands:
  start          start every node that is not running, wait until all are
                 ready, print the bootstrap list
  stop           stop every node (SIGTERM, then SIGKILL after the deadline)
  status         one line per node: id, pid, state, ready, ports
  bootstrap      print the bootstrap list (host:port,host:port,...)
  start-node I   start node I (same config and data) and wait until ready
  stop-node I    stop node I cleanly (SIGTERM, then SIGKILL after the deadline)
  kill I         kill node I with SIGKILL (a crash)
  pause I        freeze node I (SIGSTOP)
  resume I       unfreeze node I (SIGCONT)
  logs I [-f]    print node I's log (-f: follow it)

Environment:
  SKIFF_CLUSTER_DIR    cluster directory (default: data/cluster in the repo)
  SKIFF_BASE_PORT      node 1's client port (default 9092); node i uses
                       base+100*(i-1): +0 client, +1 internal, +2 http
  SKIFF_NODES          number of voters, process.roles=broker,controller
                       (default 3); they are nodes 1..SKIFF_NODES
  SKIFF_BROKER_NODES   number of broker-only nodes, process.roles=broker
                       (default 0); they follow the voters' ids
  SKIFF_BIN            skiffd binary (default: build/skiffd in the repo)
  SKIFF_OVERRIDES      extra key=value lines appended to each node's config
                       when it is first generated
  SKIFF_START_TIMEOUT  seconds to wait for readiness (default 30)
  SKIFF_STOP_TIMEOUT   seconds to wait for a clean exit (default 30)

Each node lives in $SKIFF_CLUSTER_DIR/node-I/: server.properties (generated
on first start, reused afterwards), data/, skiffd.log, pid.
EOF
}

die() {
    echo "$PROG: $*" >&2
    exit 1
}

say() {
    echo "$PROG: $*" >&2
}

# is_uint VALUE: true if VALUE is a decimal integer without sign or leading zero.
is_uint() {
    [[ $1 =~ ^(0|[1-9][0-9]{0,8})$ ]]
}

# in_range VALUE MIN MAX: true if VALUE is an integer from MIN to MAX.
in_range() {
    is_uint "$1" && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

load_env() {
    CLUSTER_DIR=${SKIFF_CLUSTER_DIR:-$REPO_ROOT/data/cluster}
    BASE_PORT=${SKIFF_BASE_PORT:-9092}
    VOTERS=${SKIFF_NODES:-3}
    BROKER_NODES=${SKIFF_BROKER_NODES:-0}
    BIN=${SKIFF_BIN:-$REPO_ROOT/build/skiffd}
    START_TIMEOUT=${SKIFF_START_TIMEOUT:-30}
    STOP_TIMEOUT=${SKIFF_STOP_TIMEOUT:-30}

    in_range "$VOTERS" 1 99 ||
        die "SKIFF_NODES must be an integer from 1 to 99, got '$VOTERS'"
    in_range "$BROKER_NODES" 0 98 ||
        die "SKIFF_BROKER_NODES must be an integer from 0 to 98, got '$BROKER_NODES'"
    NODES=$((VOTERS + BROKER_NODES))
    [ "$NODES" -le 99 ] ||
        die "SKIFF_NODES + SKIFF_BROKER_NODES must not exceed 99, got $NODES"
    in_range "$BASE_PORT" 1024 65535 ||
        die "SKIFF_BASE_PORT must be an integer from 1024 to 65535, got '$BASE_PORT'"
    [ $((BASE_PORT + 100 * (NODES - 1) + 2)) -le 65535 ] ||
        die "SKIFF_BASE_PORT $BASE_PORT leaves no room for $NODES nodes below port 65535"
    in_range "$START_TIMEOUT" 1 86400 ||
        die "SKIFF_START_TIMEOUT must be a positive number of seconds, got '$START_TIMEOUT'"
    in_range "$STOP_TIMEOUT" 1 86400 ||
        die "SKIFF_STOP_TIMEOUT must be a positive number of seconds, got '$STOP_TIMEOUT'"

    # Absolute paths: they are written into configs and matched against
    # /proc/PID/cmdline, so they must not depend on the caller's directory.
    case $CLUSTER_DIR in /*) ;; *) CLUSTER_DIR=$PWD/$CLUSTER_DIR ;; esac
    case $BIN in /*) ;; *) BIN=$REPO_ROOT/$BIN ;; esac
}

node_dir() { echo "$CLUSTER_DIR/node-$1"; }
node_conf() { echo "$CLUSTER_DIR/node-$1/server.properties"; }
node_log() { echo "$CLUSTER_DIR/node-$1/skiffd.log"; }
node_pidfile() { echo "$CLUSTER_DIR/node-$1/pid"; }

# Ports by convention; a node whose config already exists is read from it
# instead (see conf_port), so a changed SKIFF_BASE_PORT never mislabels it.
port_client() { echo $((BASE_PORT + 100 * ($1 - 1))); }
port_internal() { echo $((BASE_PORT + 100 * ($1 - 1) + 1)); }
port_http() { echo $((BASE_PORT + 100 * ($1 - 1) + 2)); }

# conf_get I KEY: the last value of KEY in node I's config (empty if absent).
conf_get() {
    local conf
    conf=$(node_conf "$1")
    [ -f "$conf" ] || return 0
    sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$conf" | tail -n 1 | tr -d '[:space:]'
}

# conf_port I KIND: node I's client|internal|http port, from its config if any.
conf_port() {
    local v=
    case $2 in
    client) v=$(conf_get "$1" listeners) ;;
    internal) v=$(conf_get "$1" internal.listener) ;;
    http) v=$(conf_get "$1" http.listener) ;;
    esac
    # listeners may list several; the first one is the client listener.
    v=${v%%,*}
    v=${v##*:}
    if is_uint "$v"; then echo "$v"; else "port_$2" "$1"; fi
}

check_node_arg() {
    [ $# -ge 1 ] || die "missing node number (1..$NODES)"
    in_range "$1" 1 "$NODES" ||
        die "node must be a number from 1 to $NODES, got '$1'"
}

# node_pid I: prints the PID of node I's skiffd if it is alive and really is
# the process this script started for node I (its command line names node
# I's config); otherwise prints nothing.  A stale pid file is removed.
node_pid() {
    local pidfile pid cmdline stat
    pidfile=$(node_pidfile "$1")
    [ -f "$pidfile" ] || return 0
    pid=$(head -c 32 "$pidfile" | tr -d '[:space:]')
    if is_uint "$pid" && [ "$pid" -gt 1 ] && [ -r "/proc/$pid/cmdline" ]; then
        cmdline=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null || true)
        stat=$(cut -d ' ' -f 3 "/proc/$pid/stat" 2>/dev/null || echo Z)
        # The config path follows --config on its own line; matching the whole
        # line keeps node-1 from matching node-10.
        if [ "$stat" != Z ] && grep -qxF -- "$(node_conf "$1")" <<<"$cmdline" &&
            grep -qxF -- "--config" <<<"$cmdline"; then
            echo "$pid"
            return 0
        fi
    fi
    rm -f "$pidfile"
}

# node_state I: running | paused | stopped
node_state() {
    local pid st
    pid=$(node_pid "$1")
    if [ -z "$pid" ]; then
        echo stopped
        return 0
    fi
    st=$(cut -d ' ' -f 3 "/proc/$pid/stat" 2>/dev/null || echo X)
    case $st in
    T | t) echo paused ;;
    *) echo running ;;
    esac
}

node_ready() {
    curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$(conf_port "$1" http)/readyz"
}

# port_busy PORT: true if something on 127.0.0.1 accepts connections on PORT.
port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

bootstrap_list() {
    local i list=
    for ((i = 1; i <= NODES; i++)); do
        list+="${list:+,}127.0.0.1:$(conf_port "$i" client)"
    done
    echo "$list"
}

write_config() {
    local i=$1 conf tmp voters='' j roles
    conf=$(node_conf "$i")
    tmp=$conf.tmp.$$
    for ((j = 1; j <= VOTERS; j++)); do
        voters+="${voters:+,}$j@127.0.0.1:$(port_internal "$j")"
    done
    # Nodes after the voters are broker-only: observers of the metadata log.
    roles=broker,controller
    [ "$i" -le "$VOTERS" ] || roles=broker
    {
        echo "# Node $i of a $NODES-node local cluster, generated by scripts/cluster.sh."
        echo "# Edit freely: it is reused on every start.  Delete it to regenerate."
        echo "node.id=$i"
        echo "process.roles=$roles"
        echo "listeners=PLAINTEXT://127.0.0.1:$(port_client "$i")"
        echo "advertised.listeners=PLAINTEXT://127.0.0.1:$(port_client "$i")"
        echo "internal.listener=127.0.0.1:$(port_internal "$i")"
        echo "http.listener=127.0.0.1:$(port_http "$i")"
        echo "controller.quorum.voters=$voters"
        echo "log.dirs=$(node_dir "$i")/data"
        if [ -n "${SKIFF_OVERRIDES:-}" ]; then
            echo "# SKIFF_OVERRIDES"
            printf '%s\n' "$SKIFF_OVERRIDES"
        fi
    } >"$tmp"
    mv "$tmp" "$conf"
}

# check_ports I: fails if a port of stopped node I is taken by another
# process (skiffd would fail to bind, less legibly).
check_ports() {
    local i=$1 kind port
    [ -z "$(node_pid "$i")" ] || return 0
    for kind in client internal http; do
        port=$(conf_port "$i" "$kind")
        if port_busy "$port"; then
            die "node $i: $kind port $port is already in use by another process"
        fi
    done
}

# launch_node I: starts node I's skiffd in the background if it is not
# running.  Does not wait for readiness.
launch_node() {
    local i=$1 pid log
    pid=$(node_pid "$i")
    if [ -n "$pid" ]; then
        say "node $i already running (pid $pid)"
        return 0
    fi
    mkdir -p "$(node_dir "$i")/data"
    [ -f "$(node_conf "$i")" ] || write_config "$i"
    log=$(node_log "$i")
    echo "--- $(date -u +%Y-%m-%dT%H:%M:%SZ) $PROG: starting node $i" >>"$log"
    # setsid puts the node in its own session, so a Ctrl-C meant for the
    # caller's terminal does not reach it; run from a script (no job control)
    # the background child is not a group leader, so setsid execs in place and
    # $! is skiffd's own PID.  fd 9 (the lock) is not inherited.
    setsid "$BIN" --config "$(node_conf "$i")" </dev/null >>"$log" 2>&1 9>&- &
    pid=$!
    # Until the forked shell execs (setsid, then skiffd), its command line is
    # the shell's and node_pid would take the node for dead (and show an
    # empty log); wait for the exec or the exit, bounded.
    local conf deadline=$((SECONDS + 5))
    conf=$(node_conf "$i")
    while [ -r "/proc/$pid/cmdline" ] && [ "$SECONDS" -lt "$deadline" ] &&
        [ "$(cut -d ' ' -f 3 "/proc/$pid/stat" 2>/dev/null || echo Z)" != Z ] &&
        ! tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$conf"; do
        sleep 0.01
    done
    echo "$pid" >"$(node_pidfile "$i")"
    say "node $i started (pid $pid, client port $(conf_port "$i" client), log $log)"
}

# fail_node I MSG: prints MSG and the tail of node I's log, exits non-zero.
fail_node() {
    local log
    log=$(node_log "$1")
    echo "$PROG: node $1: $2" >&2
    if [ -f "$log" ]; then
        echo "--- last 20 lines of $log:" >&2
        tail -n 20 "$log" >&2
    fi
    exit 1
}

# wait_ready I...: waits until every listed node answers /readyz, or fails
# as soon as one exits, or at the deadline.
wait_ready() {
    local deadline=$((SECONDS + START_TIMEOUT)) pending=("$@") left i
    while [ ${#pending[@]} -gt 0 ]; do
        left=()
        for i in "${pending[@]}"; do
            [ -n "$(node_pid "$i")" ] || fail_node "$i" "skiffd exited during startup"
            node_ready "$i" || left+=("$i")
        done
        pending=("${left[@]}")
        [ ${#pending[@]} -eq 0 ] && break
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail_node "${pending[0]}" "not ready after ${START_TIMEOUT}s (http port $(conf_port "${pending[0]}" http))"
        fi
        sleep 0.2
    done
}

# stop_nodes I...: sends SIGTERM to each listed running node and waits (up to
# the stop deadline) for all of them to exit; SIGKILLs any left over.
stop_nodes() {
    local i pid pids=() nodes=() deadline alive
    for i in "$@"; do
        pid=$(node_pid "$i")
        [ -n "$pid" ] || continue
        kill -TERM "$pid" 2>/dev/null || true
        # A paused node cannot act on SIGTERM until it runs again.
        kill -CONT "$pid" 2>/dev/null || true
        pids+=("$pid")
        nodes+=("$i")
        say "node $i: SIGTERM sent (pid $pid)"
    done
    [ ${#pids[@]} -gt 0 ] || return 0
    deadline=$((SECONDS + STOP_TIMEOUT))
    while :; do
        alive=0
        for i in "${nodes[@]}"; do
            [ -n "$(node_pid "$i")" ] && alive=1
        done
        [ "$alive" -eq 0 ] && break
        [ "$SECONDS" -ge "$deadline" ] && break
        sleep 0.1
    done
    for i in "${nodes[@]}"; do
        pid=$(node_pid "$i")
        if [ -n "$pid" ]; then
            say "node $i: still running after ${STOP_TIMEOUT}s, sending SIGKILL (pid $pid)"
            kill -KILL "$pid" 2>/dev/null || true
            wait_gone "$i" 10 || die "node $i: pid $pid survived SIGKILL"
        fi
        rm -f "$(node_pidfile "$i")"
        say "node $i stopped"
    done
}

# wait_gone I SECONDS: waits until node I's process has exited.
wait_gone() {
    local deadline=$((SECONDS + $2))
    while [ -n "$(node_pid "$1")" ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.05
    done
    return 0
}

# running_pid_or_die I: the PID of running node I, or a one-line error.
running_pid_or_die() {
    local pid
    pid=$(node_pid "$1")
    [ -n "$pid" ] || die "node $1 is not running"
    echo "$pid"
}

cmd_start() {
    local i started=()
    [ -x "$BIN" ] || die "skiffd binary not found or not executable: $BIN (run make)"
    # Check every node's ports first, so a conflict leaves nothing half-started.
    for ((i = 1; i <= NODES; i++)); do
        check_ports "$i"
    done
    for ((i = 1; i <= NODES; i++)); do
        launch_node "$i"
        started+=("$i")
    done
    say "waiting up to ${START_TIMEOUT}s for $NODES node(s) to become ready"
    wait_ready "${started[@]}"
    say "cluster ready"
    bootstrap_list
}

cmd_status() {
    local i pid state ready
    for ((i = 1; i <= NODES; i++)); do
        pid=$(node_pid "$i")
        state=$(node_state "$i")
        ready=-
        if [ "$state" = running ]; then
            if node_ready "$i"; then ready=ready; else ready=not-ready; fi
        fi
        printf 'node %d pid %s %s %s client %s internal %s http %s\n' \
            "$i" "${pid:--}" "$state" "$ready" "$(conf_port "$i" client)" \
            "$(conf_port "$i" internal)" "$(conf_port "$i" http)"
    done
}

cmd_logs() {
    local log
    log=$(node_log "$1")
    [ -f "$log" ] || die "node $1 has no log yet ($log)"
    if [ "${2:-}" = -f ]; then
        exec tail -n 50 -f "$log"
    fi
    cat "$log"
}

# take_lock: serialises commands that start or stop nodes, so two concurrent
# invocations cannot both launch node i.
take_lock() {
    mkdir -p "$CLUSTER_DIR"
    exec 9>"$CLUSTER_DIR/.lock"
    flock -w 120 9 || die "another cluster.sh holds $CLUSTER_DIR/.lock"
}

main() {
    local cmd=${1:-}
    [ $# -gt 0 ] && shift
    case $cmd in
    -h | --help | help)
        usage
        return 0
        ;;
    "") usage >&2; exit 2 ;;
    esac
    load_env
    case $cmd in
    start) [ $# -eq 0 ] || die "start takes no arguments"; take_lock; cmd_start ;;
    stop)
        [ $# -eq 0 ] || die "stop takes no arguments"
        take_lock
        local all=() i
        for ((i = 1; i <= NODES; i++)); do all+=("$i"); done
        stop_nodes "${all[@]}"
        ;;
    status) cmd_status ;;
    bootstrap) bootstrap_list ;;
    start-node)
        check_node_arg "$@"
        [ -x "$BIN" ] || die "skiffd binary not found or not executable: $BIN (run make)"
        take_lock
        check_ports "$1"
        launch_node "$1"
        wait_ready "$1"
        say "node $1 ready"
        ;;
    stop-node)
        check_node_arg "$@"
        take_lock
        running_pid_or_die "$1" >/dev/null
        stop_nodes "$1"
        ;;
    kill)
        check_node_arg "$@"
        take_lock
        local pid
        pid=$(running_pid_or_die "$1")
        kill -KILL "$pid"
        wait_gone "$1" 10 || die "node $1: pid $pid survived SIGKILL"
        rm -f "$(node_pidfile "$1")"
        say "node $1 killed (pid $pid)"
        ;;
    pause | resume)
        check_node_arg "$@"
        local pid
        pid=$(running_pid_or_die "$1")
        if [ "$cmd" = pause ]; then kill -STOP "$pid"; else kill -CONT "$pid"; fi
        say "node $1 ${cmd}d (pid $pid)"
        ;;
    logs) check_node_arg "$@"; cmd_logs "$@" ;;
    *) echo "$PROG: unknown command '$cmd' (see --help)" >&2; exit 2 ;;
    esac
}

main "$@"
