#!/bin/sh
# Container entrypoint: turns the environment into skiffd --override flags,
# then execs skiffd (which receives SIGTERM directly for a clean shutdown).
#
#   SKIFF_CONFIG           config file (default /etc/skiff/server.properties)
#   SKIFF_NODE_ID          node.id; if unset and SKIFF_NODE_ID_FROM_HOSTNAME=1,
#                          the ordinal suffix of the host name plus 1
#                          (StatefulSet pod skiff-0 is node 1)
#   SKIFF_ADVERTISED_HOST  host clients reach this node at; "HOSTNAME" is
#                          replaced by the host name (advertised.listeners
#                          becomes PLAINTEXT://HOST:9092)
#   SKIFF_VOTERS           controller.quorum.voters (id@host:port,...)
#   SKIFF_OVERRIDES        more key=value pairs, separated by spaces
# Extra arguments are passed to skiffd as they are.  SKIFF_BIN and
# SKIFF_HOSTNAME replace the binary's path and the host name (for tests of
# this script outside a container).
set -eu

config=${SKIFF_CONFIG:-/etc/skiff/server.properties}
host=${SKIFF_HOSTNAME:-$(hostname)}
set -- --config "$config" "$@"

node_id=${SKIFF_NODE_ID:-}
if [ -z "$node_id" ] && [ "${SKIFF_NODE_ID_FROM_HOSTNAME:-0}" = 1 ]; then
    ordinal=${host##*-}
    case $ordinal in
    '' | *[!0-9]*)
        echo "skiffd-entrypoint: host name '$host' does not end in -<ordinal>" >&2
        exit 2
        ;;
    esac
    node_id=$((ordinal + 1))
fi
[ -n "$node_id" ] && set -- "$@" --override "node.id=$node_id"

if [ -n "${SKIFF_ADVERTISED_HOST:-}" ]; then
    adv=$(printf '%s' "$SKIFF_ADVERTISED_HOST" | sed "s/HOSTNAME/$host/")
    set -- "$@" --override "advertised.listeners=PLAINTEXT://$adv:9092"
fi
[ -n "${SKIFF_VOTERS:-}" ] && set -- "$@" --override "controller.quorum.voters=$SKIFF_VOTERS"
for kv in ${SKIFF_OVERRIDES:-}; do
    set -- "$@" --override "$kv"
done
exec "${SKIFF_BIN:-/usr/local/bin/skiffd}" "$@"
