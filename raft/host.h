/* A Raft member hosted on a libevent loop (a driver): it owns the core and
 * the storage, drives both from the loop's timer and the transport, follows
 * the raft_update durability order, and hands committed entries and
 * snapshots to the application through callbacks.  Persistence is
 * synchronous (append, fdatasync, then send).
 *
 * The transport is borrowed, so one internal listener can carry Raft next to
 * other traffic: the host registers itself for the Envelope's `raft` case. */
#ifndef RAFT_HOST_H
#define RAFT_HOST_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"
#include "raft/storage.h"
#include "raft/transport.h"

struct raft_host_cb {
    void *arg;
    /* A committed entry, in log order (noops included). */
    void (*apply_cb)(void *arg, const struct raft_entry *e);
    /* Replace the state machine with a snapshot image (untrusted bytes). */
    int (*restore_cb)(void *arg, const struct raft_snapshot *s);
    /* Serialize the state machine as of the last applied entry; the image is
     * allocated with sk_malloc and freed by the host. */
    int (*snapshot_cb)(void *arg, uint8_t **image, size_t *len);
};

struct raft_host_config {
    struct raft_config raft;
    const char *dir;
    /* Take a snapshot every this many applied entries (0: never). */
    uint64_t snapshot_every;
};

struct raft_host;

/* Opens storage, restores the core and the state machine, and starts the
 * timer.  errbuf gets a one-line reason on failure. */
int raft_host_new(struct event_base *base, struct raft_transport *tr, const struct raft_host_config *cfg,
                  const struct raft_host_cb *cb, struct raft_host **out, char *errbuf, size_t errlen);
void raft_host_free(struct raft_host *h);

/* Proposes an entry; *index_out is where it will commit if it does. */
int raft_host_propose(struct raft_host *h, const void *data, uint32_t len, uint64_t *index_out);
int raft_host_transfer(struct raft_host *h, uint64_t to);
/* Single-server membership change (enum raft_change_op); *index_out is the
 * config entry's index. */
int raft_host_change(struct raft_host *h, uint8_t op, uint64_t id, uint64_t *index_out);
/* The core, for read-only accessors (role, term, leader, commit...). */
const struct raft *raft_host_raft(const struct raft_host *h);
uint64_t raft_host_applied(const struct raft_host *h);

#endif
