/* The in-memory Raft log: entries offset+1..last, and the index and term of
 * the entry just before them (the compaction point, i.e. the latest snapshot
 * or 0/0).  Each entry owns a copy of its payload. */
#ifndef RAFT_LOG_H
#define RAFT_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"

struct raft_log {
    uint64_t offset;
    uint64_t offset_term;
    struct raft_entry *ents;
    size_t n;
    size_t cap;
};

void raft_log_init(struct raft_log *l, uint64_t offset, uint64_t offset_term);
void raft_log_free(struct raft_log *l);
static inline uint64_t raft_log_last(const struct raft_log *l) { return l->offset + l->n; }
/* Term at `index`; 0 when below the compaction point or beyond the last. */
uint64_t raft_log_term(const struct raft_log *l, uint64_t index);
/* Entry at `index`, or NULL when not held. */
const struct raft_entry *raft_log_get(const struct raft_log *l, uint64_t index);
/* Appends a copy of (term, type, data) at last+1. */
int raft_log_append(struct raft_log *l, uint64_t term, uint8_t type, const uint8_t *data, uint32_t len);
/* Drops every entry at index >= from (from > offset). */
void raft_log_truncate(struct raft_log *l, uint64_t from);
/* Drops every entry at index <= upto (offset < upto <= last). */
void raft_log_compact(struct raft_log *l, uint64_t upto);
/* Drops everything; the log restarts after (index, term). */
void raft_log_reset(struct raft_log *l, uint64_t index, uint64_t term);
/* Largest index <= `index` whose term is <= `term` (thesis §5.3 fast backup);
 * the compaction point if none is held. */
uint64_t raft_log_find_conflict_by_term(const struct raft_log *l, uint64_t index, uint64_t term);

#endif
