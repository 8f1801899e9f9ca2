/* Controller RPC codec: struct ctrl_req / ctrl_resp <-> protobuf. */
#ifndef SK_CTRL_CODEC_H
#define SK_CTRL_CODEC_H

#include <stdio.h>

#include "common/arena.h"
#include "controller.h"
#include "proto/metadata.pb-c.h"

/* Builds *o from r; the message's arrays come from the arena, its strings
 * are borrowed from r. */
int ctrl_req_to_pb(const struct ctrl_req *r, struct sk_arena *a, Skiff__Metadata__ControllerRequest *o);
/* Validates m and fills *o; strings stay borrowed from m, arrays come from
 * the arena.  SK_EINVAL / SK_ELIMIT for a bad request. */
int ctrl_req_from_pb(const Skiff__Metadata__ControllerRequest *m, struct sk_arena *a, struct ctrl_req *o);
/* The message borrows r's strings. */
void ctrl_resp_to_pb(const struct ctrl_resp *r, Skiff__Metadata__ControllerResponse *o);
void ctrl_resp_from_pb(const Skiff__Metadata__ControllerResponse *m, struct ctrl_resp *o);

/* Deep copy of a request into the arena (strings, arrays and configs). */
int ctrl_req_copy(const struct ctrl_req *in, struct sk_arena *a, struct ctrl_req *out);

#endif
