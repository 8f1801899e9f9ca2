#include "arena.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"

#define CHUNK_BYTES 8192

struct sk_arena_chunk {
    struct sk_arena_chunk *next;
    size_t cap;
    size_t used;
    _Alignas(16) unsigned char data[];
};

void sk_arena_init(struct sk_arena *a)
{
    a->head = NULL;
    a->total = 0;
}

void *sk_arena_alloc(struct sk_arena *a, size_t n)
{
    if (n > SIZE_MAX - 64)
        return NULL;
    n = (n + 15) & ~(size_t)15;
    struct sk_arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
        c = sk_malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        /* Keep a partly used head in front when this chunk is one big block. */
        if (a->head && n > CHUNK_BYTES) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += n;
    a->total += n;
    memset(p, 0, n);
    return p;
}

void *sk_arena_calloc(struct sk_arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return sk_arena_alloc(a, count * size);
}

char *sk_arena_strndup(struct sk_arena *a, const char *s, size_t n)
{
    char *d = sk_arena_alloc(a, n + 1);
    if (d && n)
        memcpy(d, s, n);
    return d;
}

void sk_arena_free(struct sk_arena *a)
{
    struct sk_arena_chunk *c = a->head;
    while (c) {
        struct sk_arena_chunk *next = c->next;
        sk_free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}
