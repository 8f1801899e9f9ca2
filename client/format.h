/* `skiff consume --format`: a record template such as '%k %v'.  Tokens:
 * %k key, %v value, %t topic, %p partition, %o offset, %T timestamp (ms),
 * %% a percent sign; escapes \n \t \\.  Each record is printed as the
 * template followed by a newline.  Pure (no librdkafka), unit-tested. */
#ifndef SK_CLIENT_FORMAT_H
#define SK_CLIENT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Longest template accepted (a command-line argument). */
#define CLI_FORMAT_BYTES_MAX 1024

struct cli_format {
    char tmpl[CLI_FORMAT_BYTES_MAX + 1]; /* validated copy */
};

struct cli_record {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* -1 if none */
    const void *key;      /* NULL: no key (printed as empty) */
    size_t key_len;
    const void *value; /* NULL: tombstone (printed as empty) */
    size_t value_len;
};

/* SK_EINVAL with a reason in err for an unknown %x or \x, a trailing % or \,
 * or an over-long template. */
int cli_format_parse(const char *s, struct cli_format *out, char *err, size_t err_len);
/* Appends one record (and a newline) to w. */
void cli_format_record(const struct cli_format *f, const struct cli_record *rec, struct sk_writer *w);

#endif
