/* Helpers shared by the files of the group state machine (group.c,
 * group_join.c); not for use outside it. */
#ifndef SK_GROUP_INTERNAL_H
#define SK_GROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "group.h"

bool group_slice_is(struct sk_slice s, const char *c); /* c NULL matches a null slice */
bool group_slice_empty(struct sk_slice s);
char *group_slice_dup(struct sk_slice s); /* NULL for null or on allocation failure */
/* Copies bytes; *out NULL for an empty value.  0 or SK_ENOMEM. */
int group_bytes_dup(struct sk_slice s, uint8_t **out, int32_t *len);
void group_set_state(struct group *g, enum group_state s, int64_t now_ms);

void group_free_protocols(struct group_protocol *p, int32_t n);
void group_free_member(struct group_member *m);
int group_add_member(struct group *g, struct group_member *m);
struct group_member *group_find_instance(const struct group *g, struct sk_slice instance_id);

/* Answers m's parked JoinGroup with the current generation (or error). */
void group_answer_join(struct group *g, struct group_member *m, int16_t error);
/* Enters PreparingRebalance (with the initial delay from Empty). */
void group_prepare_rebalance(struct group *g, int64_t now_ms);
void group_maybe_complete_join(struct group *g, int64_t now_ms);
void group_extend_initial_delay(struct group *g, int64_t now_ms);

#endif
