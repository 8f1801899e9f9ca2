/* Leveled logging: one line per event to stderr, key=value fields.
 *   2026-11-21T13:40:00.123Z level=info node=1 event=segment_rolled topic=t partition=0
 * `fmt` carries the event's own fields and must itself be key=value pairs. */
#ifndef SK_LOG_H
#define SK_LOG_H

#include <stddef.h>

enum sk_log_level { SK_LOG_DEBUG = 0, SK_LOG_INFO, SK_LOG_WARN, SK_LOG_ERROR };

void sk_log_set_level(enum sk_log_level level);
/* Parses "debug", "info", "warn", "error"; returns SK_EINVAL otherwise. */
int sk_log_parse_level(const char *s, enum sk_log_level *out);
void sk_log_set_node(int node_id);
int sk_log_enabled(enum sk_log_level level);
void sk_log(enum sk_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes `s` (a string a client chose: a group id, a client id) into dst
 * as one log value: printable ASCII other than space, '"', '\\' and '='
 * is copied, every other byte becomes \xHH, and the result is cut (ending
 * in "...") to fit dst_size.  Returns dst.  Log lines stay one line of
 * key=value pairs whatever a client sends. */
char *sk_log_value(char *dst, size_t dst_size, const char *s);

#define SK_DEBUG(event, ...)                              \
    do {                                                  \
        if (sk_log_enabled(SK_LOG_DEBUG))                 \
            sk_log(SK_LOG_DEBUG, (event), __VA_ARGS__);   \
    } while (0)
#define SK_INFO(event, ...) sk_log(SK_LOG_INFO, (event), __VA_ARGS__)
#define SK_WARN(event, ...) sk_log(SK_LOG_WARN, (event), __VA_ARGS__)
#define SK_ERROR(event, ...) sk_log(SK_LOG_ERROR, (event), __VA_ARGS__)

#endif
