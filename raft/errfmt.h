/* Error messages for the core without stdio: `%u` takes a uint64_t and `%s`
 * a string; nothing else is interpreted.  Always NUL-terminates. */
#ifndef RAFT_ERRFMT_H
#define RAFT_ERRFMT_H

#include <stddef.h>

void raft_errf(char *buf, size_t len, const char *fmt, ...);

#endif
