/* Every allocation in Skiff goes through these so that tests can inject failure
 * (SQLite's test_malloc idea).  sk_alloc_fail_after(n) makes the (n+1)-th and later
 * allocations fail until reset with -1. */
#ifndef SK_ALLOC_H
#define SK_ALLOC_H

#include <stddef.h>

void *sk_malloc(size_t n);
void *sk_calloc(size_t count, size_t size);
void *sk_realloc(void *p, size_t n);
void sk_free(void *p);
char *sk_strdup(const char *s);
char *sk_strndup(const char *s, size_t n);

/* Test hook: fail every allocation after `n` more succeed; -1 disables. */
void sk_alloc_fail_after(long n);

#endif
