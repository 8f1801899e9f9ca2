/* Forwarding metadata-changing admin requests to the active controller. */
#ifndef SK_H_FORWARD_H
#define SK_H_FORWARD_H

#include <stdint.h>

#include "controller.h"

struct broker;
struct kreq;
struct fwd_state;

/* Builds the response body from the slots once every answer is in. */
typedef void (*fwd_encode_cb)(struct kreq *r, void *arg);

int fwd_begin(struct broker *b, struct kreq *r, int32_t n_slots, int32_t timeout_ms, fwd_encode_cb encode,
              void *arg, struct fwd_state **out);
/* Sends req for the slot (copied); the slot's result arrives later. */
void fwd_call(struct fwd_state *st, int32_t slot, const struct ctrl_req *req);
/* A slot answered locally (validation before forwarding). */
void fwd_set(struct fwd_state *st, int32_t slot, int16_t code, const char *msg);
/* 0 when the response is already encoded, SK_EAGAIN when parked. */
int fwd_end(struct fwd_state *st);
int16_t fwd_code(const struct fwd_state *st, int32_t slot);
const char *fwd_message(const struct fwd_state *st, int32_t slot); /* NULL if none */

#endif
