/* Argument helpers shared by the skiff commands. */
#include "client/opts.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/sk_err.h"

int cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    /* strtoll alone would also take leading blanks and a '+'. */
    if (s == NULL || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
        return SK_EINVAL;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0')
        return SK_EINVAL;
    if (errno == ERANGE || v < min || v > max)
        return SK_ERANGE;
    *out = (int64_t)v;
    return SK_OK;
}

int cli_parse_acks(const char *s, const char **out)
{
    if (strcmp(s, "0") == 0)
        *out = "0";
    else if (strcmp(s, "1") == 0)
        *out = "1";
    else if (strcmp(s, "all") == 0 || strcmp(s, "-1") == 0)
        *out = "all";
    else
        return SK_EINVAL;
    return SK_OK;
}

int cli_props_add(struct cli_props *p, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (eq == NULL || eq == kv)
        return SK_EINVAL;
    if (p->count >= SK_CLI_PROPS_MAX)
        return SK_ELIMIT;
    p->kv[p->count++] = kv;
    return SK_OK;
}

void cli_props_split(const char *kv, size_t *key_len, const char **value)
{
    const char *eq = strchr(kv, '=');
    /* cli_props_add admitted only strings with '='. */
    *key_len = eq ? (size_t)(eq - kv) : strlen(kv);
    *value = eq ? eq + 1 : "";
}

const char *cli_default_bootstrap(void)
{
    const char *b = getenv("SKIFF_BOOTSTRAP");
    return (b && *b) ? b : "127.0.0.1:9092";
}

int cli_parse_output(const char *s, int *json)
{
    if (strcmp(s, "text") == 0)
        *json = 0;
    else if (strcmp(s, "json") == 0)
        *json = 1;
    else
        return SK_EINVAL;
    return SK_OK;
}
