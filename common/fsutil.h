/* Small durable-file helpers shared by the broker's metadata files. */
#ifndef SK_FSUTIL_H
#define SK_FSUTIL_H

#include <stddef.h>

/* Writes `len` bytes to dir/name atomically: a temp file is written and
 * fsynced, renamed over the target, then the directory is fsynced. */
int sk_write_file_atomic(const char *dir, const char *name, const void *data, size_t len);
/* fsync a directory so a create, rename or unlink in it is durable. */
int sk_fsync_dir(const char *dir);
/* mkdir -p; 0 if it exists. */
int sk_mkdirs(const char *path);
/* Reads a whole small file (at most max_len bytes, else SK_ELIMIT) into a
 * NUL-terminated buffer the caller frees with sk_free. */
int sk_read_small_file(const char *path, size_t max_len, char **out, size_t *len_out);

#endif
