#include "client/format.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/sk_err.h"

int cli_format_parse(const char *s, struct cli_format *out, char *err, size_t err_len)
{
    size_t n = strlen(s);
    if (n > CLI_FORMAT_BYTES_MAX) {
        snprintf(err, err_len, "format longer than %d bytes", CLI_FORMAT_BYTES_MAX);
        return SK_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%' && s[i] != '\\')
            continue;
        char c = s[i + 1];
        const char *ok = s[i] == '%' ? "kvtpoT%" : "nt\\";
        if (c == '\0' || !strchr(ok, c)) {
            snprintf(err, err_len,
                     "format: unknown %s '%c%c' (tokens: %%k %%v %%t %%p %%o %%T %%%%; \\n \\t \\\\)",
                     s[i] == '%' ? "token" : "escape", s[i], c ? c : ' ');
            return SK_EINVAL;
        }
        i++;
    }
    memcpy(out->tmpl, s, n + 1);
    return SK_OK;
}

static void put_num(struct sk_writer *w, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%" PRId64, v);
    sk_write_raw(w, num, (size_t)n);
}

void cli_format_record(const struct cli_format *f, const struct cli_record *rec, struct sk_writer *w)
{
    for (const char *p = f->tmpl; *p; p++) {
        if (*p == '\\') {
            p++;
            sk_write_raw(w, *p == 'n' ? "\n" : *p == 't' ? "\t" : "\\", 1);
            continue;
        }
        if (*p != '%') {
            sk_write_raw(w, p, 1);
            continue;
        }
        switch (*++p) {
        case 'k':
            sk_write_raw(w, rec->key, rec->key ? rec->key_len : 0);
            break;
        case 'v':
            sk_write_raw(w, rec->value, rec->value ? rec->value_len : 0);
            break;
        case 't':
            sk_write_raw(w, rec->topic, strlen(rec->topic));
            break;
        case 'p':
            put_num(w, rec->partition);
            break;
        case 'o':
            put_num(w, rec->offset);
            break;
        case 'T':
            put_num(w, rec->timestamp_ms);
            break;
        default: /* '%': the parser admitted nothing else */
            sk_write_raw(w, "%", 1);
            break;
        }
    }
    sk_write_raw(w, "\n", 1);
}
