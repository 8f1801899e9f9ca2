#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Atomic long fail_after = -1;

static int should_fail(void)
{
    long n = atomic_load_explicit(&fail_after, memory_order_relaxed);
    if (n < 0)
        return 0;
    if (n == 0)
        return 1;
    atomic_fetch_sub_explicit(&fail_after, 1, memory_order_relaxed);
    return 0;
}

void sk_alloc_fail_after(long n) { atomic_store(&fail_after, n); }

void *sk_malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }

void *sk_calloc(size_t count, size_t size)
{
    return should_fail() ? NULL : calloc(count ? count : 1, size ? size : 1);
}

void *sk_realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }

void sk_free(void *p) { free(p); }

char *sk_strndup(const char *s, size_t n)
{
    char *d = sk_malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *sk_strdup(const char *s) { return sk_strndup(s, strlen(s)); }
