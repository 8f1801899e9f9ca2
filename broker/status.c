#include "status.h"

#include <assert.h>
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

struct status_registry *status_registry_new(void)
{
    return sk_calloc(1, sizeof(struct status_registry));
}

void status_registry_free(struct status_registry *s)
{
    sk_free(s);
}

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
        json_member(&j, s->sections[i].name);
        /* The section's value follows its key directly: no second separator. */
        j.first[depth] = true;
        s->sections[i].fn(&j, s->sections[i].arg);
        j.first[depth] = false;
        assert(j.depth == depth);
    }
    json_end_object(&j);
    sk_write_raw(out, "\n", 1);
    return out->err ? SK_ENOMEM : 0;
}
