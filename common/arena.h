/* A bump allocator whose memory is released all at once (nginx's pool idea).
 * Every decoded Kafka request gets one: its arrays live there and die with the
 * request, so decoders need no per-field frees. */
#ifndef SK_ARENA_H
#define SK_ARENA_H

#include <stddef.h>

struct sk_arena_chunk;

struct sk_arena {
    struct sk_arena_chunk *head; /* owned */
    size_t total;                /* bytes handed out, for limits and metrics */
};

void sk_arena_init(struct sk_arena *a);
/* Zeroed, 16-byte aligned memory valid until sk_arena_free; NULL when out of
 * memory. */
void *sk_arena_alloc(struct sk_arena *a, size_t n);
/* Zeroed array of count elements; NULL on overflow or out of memory. */
void *sk_arena_calloc(struct sk_arena *a, size_t count, size_t size);
char *sk_arena_strndup(struct sk_arena *a, const char *s, size_t n);
void sk_arena_free(struct sk_arena *a);

#endif
