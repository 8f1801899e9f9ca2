/* raft-node: one Raft member as a real process (raft/host.h over the real
 * storage and transport) with a tiny replicated state machine, the list of
 * applied entries, that clients reach over a line protocol. */
#ifndef TOOLS_RAFT_NODE_NODE_H
#define TOOLS_RAFT_NODE_NODE_H

#include <event2/event.h>
#include <event2/listener.h>
#include <stdint.h>

#include "raft/host.h"

#define NODE_TEXT_MAX 1024 /* one proposed entry's payload */

struct sm_entry {
    uint64_t index;
    uint64_t term;
    char *text;
};

/* The replicated state machine: every applied normal entry, in order. */
struct sm {
    uint64_t applied_index;
    struct sm_entry *v;
    size_t n;
    size_t cap;
};

struct node {
    uint64_t id;
    struct event_base *base;
    struct raft_transport *tr;
    struct raft_host *host;
    struct evconnlistener *client_listener;
    struct sm sm;
};

/* sm.c */
int sm_apply(struct sm *sm, const struct raft_entry *e);
/* Serializes the state machine (snapshot image); caller frees *out. */
int sm_encode(const struct sm *sm, uint8_t **out, size_t *len);
/* Replaces the state machine with a snapshot image (untrusted bytes). */
int sm_restore(struct sm *sm, uint64_t index, const uint8_t *p, size_t len);
void sm_free(struct sm *sm);
/* The raft_host callbacks for a struct sm. */
void sm_host_callbacks(struct sm *sm, struct raft_host_cb *cb);

/* client.c */
int client_listen(struct node *n, uint16_t port);

#endif
