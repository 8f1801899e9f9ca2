#include "common/json.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void put(struct json_out *j, const char *s, size_t n)
{
    sk_write_raw(j->w, s, n);
}
static void puts_(struct json_out *j, const char *s)
{
    put(j, s, strlen(s));
}

static void put_string(struct json_out *j, const char *s)
{
    puts_(j, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(j, esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", *p);
            puts_(j, esc);
        } else {
            put(j, (const char *)p, 1);
        }
    }
    puts_(j, "\"");
}

/* The separator and key before a value. */
void json_member(struct json_out *j, const char *key)
{
    if (j->depth > 0) {
        if (!j->first[j->depth])
            puts_(j, ",");
        j->first[j->depth] = false;
    }
    if (key) {
        put_string(j, key);
        puts_(j, ":");
    }
}

static void open_(struct json_out *j, const char *key, const char *bracket)
{
    assert(j->depth + 1 < JSON_DEPTH_MAX);
    json_member(j, key);
    puts_(j, bracket);
    j->depth++;
    j->first[j->depth] = true;
}

void json_begin_object(struct json_out *j, const char *key)
{
    open_(j, key, "{");
}
void json_begin_array(struct json_out *j, const char *key)
{
    open_(j, key, "[");
}

void json_end_object(struct json_out *j)
{
    assert(j->depth > 0);
    j->depth--;
    puts_(j, "}");
}

void json_end_array(struct json_out *j)
{
    assert(j->depth > 0);
    j->depth--;
    puts_(j, "]");
}

void json_str(struct json_out *j, const char *key, const char *v)
{
    json_member(j, key);
    if (v)
        put_string(j, v);
    else
        puts_(j, "null");
}

void json_i64(struct json_out *j, const char *key, int64_t v)
{
    char num[24];
    json_member(j, key);
    snprintf(num, sizeof(num), "%" PRId64, v);
    puts_(j, num);
}

void json_u64(struct json_out *j, const char *key, uint64_t v)
{
    char num[24];
    json_member(j, key);
    snprintf(num, sizeof(num), "%" PRIu64, v);
    puts_(j, num);
}

void json_bool(struct json_out *j, const char *key, bool v)
{
    json_member(j, key);
    puts_(j, v ? "true" : "false");
}

void json_double(struct json_out *j, const char *key, double v)
{
    char num[40];
    json_member(j, key);
    snprintf(num, sizeof(num), "%.17g", v);
    puts_(j, num);
}
