/* Internal transport (a driver): frames of a 4-byte big-endian length and
 * one protobuf Envelope (proto/raft.proto) over TCP with libevent.
 *
 * Framing → decode → handler: the length is checked against
 * SK_INTERNAL_FRAME_BYTES_MAX before anything is buffered or unpacked, the
 * Envelope is unpacked, and the handler registered for its body case gets the
 * decoded message.  Raft registers for the `raft` case; replication and
 * controller traffic can register their own cases on the same listener.
 *
 * Each node sends on its own outgoing connection to a peer and receives on
 * the connections peers opened to it, so a message and its reply travel on
 * different connections.  Sends never block: if a peer is unreachable or its
 * output queue is over SK_CONN_OUTPUT_BYTES_MAX the message is dropped,
 * which Raft tolerates (it retransmits). */
#ifndef RAFT_TRANSPORT_H
#define RAFT_TRANSPORT_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto/raft.pb-c.h"
#include "raft/raft.h"

struct raft_transport;

/* `env` is borrowed for the duration of the call. */
typedef void (*raft_transport_handler_cb)(void *arg, const Skiff__Raft__Envelope *env);

int raft_transport_new(struct event_base *base, uint64_t self_id, const char *host, uint16_t port,
                       struct raft_transport **out);
void raft_transport_free(struct raft_transport *t);
int raft_transport_add_peer(struct raft_transport *t, uint64_t id, const char *host, uint16_t port);
/* Adds peer `id`, or points an existing one at a new address (dropping its
 * connection); a no-op when the address is unchanged.  SK_ELIMIT when the
 * table is full. */
int raft_transport_set_peer(struct raft_transport *t, uint64_t id, const char *host, uint16_t port);
bool raft_transport_has_peer(const struct raft_transport *t, uint64_t id);
/* Registers the handler for one Envelope body case (SKIFF__RAFT__ENVELOPE__BODY_*). */
int raft_transport_handle(struct raft_transport *t, int body_case, raft_transport_handler_cb cb, void *arg);
/* Frames and queues an envelope to peer `to`; SK_EAGAIN if it was dropped. */
int raft_transport_send(struct raft_transport *t, uint64_t to, const Skiff__Raft__Envelope *env);
/* Encodes a Raft message and sends it to m->to. */
int raft_transport_send_raft(struct raft_transport *t, const struct raft_msg *m);

/* Codec (transport_codec.c).  Decoding validates every field against the
 * core's limits; entries point into `pm` and into `ents` (capacity
 * SK_RAFT_MSG_ENTRIES_MAX), both borrowed. */
int raft_msg_decode(const Skiff__Raft__RaftMessage *pm, struct raft_msg *m, struct raft_entry *ents);
/* Fills `pm` for `m`; entry storage comes from `ents`/`ent_ptrs` (m->n_entries each). */
void raft_msg_encode(const struct raft_msg *m, Skiff__Raft__RaftMessage *pm, Skiff__Raft__Entry *ents,
                     Skiff__Raft__Entry **ent_ptrs);

#endif
