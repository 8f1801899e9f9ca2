/* Durable storage for one Raft member (a driver; the core never calls it).
 *
 * Directory layout:
 *   hardstate   term and vote, CRC-32C; replaced atomically (write
 *               hardstate.tmp, fsync, rename, fsync the directory)
 *   snapshot    index, term, CRC-32C and the application's image; replaced
 *               the same way
 *   log         append-only records, one per entry:
 *               len u32 | crc32c u32 | index u64 | term u64 | type u8 | data
 *               (big-endian; the CRC covers index..data)
 *
 * Recovery on open reads the log up to the first record that is short,
 * oversized, fails its CRC, or does not follow its predecessor (a torn or
 * stale tail) and truncates the file there.  A damaged hardstate or snapshot
 * file is not guessed at: open fails with SK_ECORRUPT.
 *
 * Durability order for a raft_update: save_hard_state (durable on return),
 * save_snapshot for a received snapshot (durable on return), append the
 * entries, then sync; only then may msgs_after_persist be sent.  Before
 * save_snapshot of a locally taken snapshot, sync the log (a durable
 * snapshot must never be followed by a stale tail whose truncation was not
 * yet synced). */
#ifndef RAFT_STORAGE_H
#define RAFT_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "raft/raft.h"

struct raft_storage;

/* Opens (creating if needed) the directory and recovers it.  `restore` is
 * filled with what was found; its pointers stay valid until
 * raft_storage_restore_done() or close.  `truncated_bytes` (may be NULL)
 * says how much of a torn tail was cut off. */
int raft_storage_open(const char *dir, struct raft_storage **out, struct raft_restore *restore,
                      uint64_t *truncated_bytes);
/* Frees the entry copies handed out by open (after raft_new has copied them). */
void raft_storage_restore_done(struct raft_storage *st);
void raft_storage_close(struct raft_storage *st);

int raft_storage_save_hard_state(struct raft_storage *st, const struct raft_hard_state *hs);
/* Writes entries (consecutive), first dropping any stored entry at index >=
 * entries[0].index.  Not synced. */
int raft_storage_append(struct raft_storage *st, const struct raft_entry *entries, size_t n);
/* fdatasync of the log: everything appended so far is durable. */
int raft_storage_sync(struct raft_storage *st);
/* Makes the snapshot durable, then rewrites the log without the entries it
 * covers (a received snapshot replaces the whole log). */
int raft_storage_save_snapshot(struct raft_storage *st, const struct raft_snapshot *s);

uint64_t raft_storage_last_index(const struct raft_storage *st);

#endif
