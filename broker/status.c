#include "status.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"

struct section {
    const char *name;
    status_section_fn fn;
    void *arg;
};

struct status_registry {
    struct section sections[STATUS_SECTIONS_MAX];
    int n;
};

static void put(struct json_out *j, const char *s, size_t n) { sk_write_raw(j->w, s, n); }
static void puts_(struct json_out *j, const char *s) { put(j, s, strlen(s)); }

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
static void member(struct json_out *j, const char *key)
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
    member(j, key);
    puts_(j, bracket);
    j->depth++;
    j->first[j->depth] = true;
}

void json_begin_object(struct json_out *j, const char *key) { open_(j, key, "{"); }
void json_begin_array(struct json_out *j, const char *key) { open_(j, key, "["); }

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
    member(j, key);
    if (v)
        put_string(j, v);
    else
        puts_(j, "null");
}

void json_i64(struct json_out *j, const char *key, int64_t v)
{
    char num[24];
    member(j, key);
    snprintf(num, sizeof(num), "%" PRId64, v);
    puts_(j, num);
}

void json_u64(struct json_out *j, const char *key, uint64_t v)
{
    char num[24];
    member(j, key);
    snprintf(num, sizeof(num), "%" PRIu64, v);
    puts_(j, num);
}

void json_bool(struct json_out *j, const char *key, bool v)
{
    member(j, key);
    puts_(j, v ? "true" : "false");
}

struct status_registry *status_registry_new(void) { return sk_calloc(1, sizeof(struct status_registry)); }

void status_registry_free(struct status_registry *s) { sk_free(s); }

int status_set_section(struct status_registry *s, const char *name, status_section_fn fn, void *arg)
{
    for (int i = 0; i < s->n; i++) {
        if (strcmp(s->sections[i].name, name) == 0) {
            s->sections[i].fn = fn;
            s->sections[i].arg = arg;
            return 0;
        }
    }
    if (s->n >= STATUS_SECTIONS_MAX)
        return SK_ELIMIT;
    s->sections[s->n++] = (struct section){name, fn, arg};
    return 0;
}

void status_remove_section(struct status_registry *s, const char *name)
{
    int j = 0;
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->sections[i].name, name) != 0)
            s->sections[j++] = s->sections[i];
    s->n = j;
}

int status_render(struct status_registry *s, struct sk_writer *out)
{
    struct json_out j = {.w = out};
    json_begin_object(&j, NULL);
    for (int i = 0; i < s->n; i++) {
        int depth = j.depth;
        member(&j, s->sections[i].name);
        /* The section's value follows its key directly: no second separator. */
        j.first[depth] = true;
        s->sections[i].fn(&j, s->sections[i].arg);
        j.first[depth] = false;
        assert(j.depth == depth);
    }
    json_end_object(&j);
    puts_(&j, "\n");
    return out->err ? SK_ENOMEM : 0;
}
