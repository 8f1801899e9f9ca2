/* Argument helpers shared by the skiff commands.  Pure (no librdkafka), so
 * they are unit-tested directly. */
#ifndef SK_CLIENT_OPTS_H
#define SK_CLIENT_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"

/* Exit codes of every skiff command. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1  /* the operation failed (broker error, timeout, ...) */
#define CLI_EXIT_USAGE 2 /* bad command line */

/* librdkafka properties as "key=value" strings borrowed from argv. */
struct cli_props {
    const char *kv[SK_CLI_PROPS_MAX];
    size_t count;
};

/* Parses a whole decimal integer in [min, max].  SK_EINVAL if `s` is not a
 * number (empty, trailing junk), SK_ERANGE if it is outside the range. */
int cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Accepts "0", "1", "all" or "-1"; *out is the librdkafka spelling ("0", "1",
 * "all"), a static string.  SK_EINVAL otherwise. */
int cli_parse_acks(const char *s, const char **out);

/* Appends a "key=value" property (non-empty key).  SK_EINVAL if malformed,
 * SK_ELIMIT if SK_CLI_PROPS_MAX are already held. */
int cli_props_add(struct cli_props *p, const char *kv);

/* Splits a property: key length into *key_len, value pointer into *value. */
void cli_props_split(const char *kv, size_t *key_len, const char **value);

/* "text" (*json = 0) or "json" (*json = 1); SK_EINVAL otherwise. */
int cli_parse_output(const char *s, int *json);

/* $SKIFF_BOOTSTRAP if set and non-empty, else 127.0.0.1:9092. */
const char *cli_default_bootstrap(void);

#endif
