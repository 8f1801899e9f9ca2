/* LD_PRELOAD shim for the fault harness: records, for every file the process
 * makes durable, how much of it is durable, so that tests/chaos/powerloss.py
 * can later cut a SIGKILLed node's data directory back to what a power loss
 * would have left.
 *
 * The journal (path in SKIFF_SYNC_JOURNAL; no journal, no records) gets one
 * line per event, each written with a single write(2) on an O_APPEND
 * descriptor, so lines from the loop and the flusher thread never interleave:
 *
 *   P <pid>                   the process started (an incarnation marker)
 *   S <size> <path>           fsync/fdatasync of a regular file succeeded; every
 *                             byte below <size> (its size before the call) is durable
 *   D <path>                  fsync of a directory succeeded: its entries are durable
 *   C <path>                  open with O_CREAT created the file
 *   T <size> <path>           ftruncate/truncate (or open with O_TRUNC, size 0)
 *   R <old> <new>             rename: <new> now holds what <old> held
 *   U <path>                  unlink
 *   X <what>                  a call the model does not cover (sync, syncfs,
 *                             msync, an O_SYNC/O_DSYNC open); powerloss.py refuses
 *                             to apply a journal that has one
 *
 * Paths are absolute; bytes <= 0x20, 0x7f and '%' are written as %XX.  The
 * model (see powerloss.py): append-only files keep exactly their last synced
 * length; truncations, renames and unlinks take effect at once (the shim
 * keeps no copy of what they destroyed, so the old content cannot be brought
 * back).  The size is taken before the sync: bytes appended while it runs
 * may or may not be covered, so they count as lost.
 *
 * Thread safety: no locks and no allocation; every call formats into its own
 * stack buffer.  The real functions are looked up with dlsym(RTLD_NEXT) in a
 * constructor and, for calls that come earlier, on first use. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define LINE_MAX_BYTES (3 * 3 * PATH_MAX + 64)

static int journal_fd = -1;

typedef int (*fd_fn)(int);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned int);
typedef int (*unlink_fn)(const char *);
typedef int (*unlinkat_fn)(int, const char *, int);
typedef int (*ftruncate_fn)(int, off_t);
typedef int (*truncate_fn)(const char *, off_t);
typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef void (*sync_fn)(void);
typedef int (*msync_fn)(void *, size_t, int);

static void *real(void **slot, const char *name)
{
    void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (!p) {
        p = dlsym(RTLD_NEXT, name);
        __atomic_store_n(slot, p, __ATOMIC_RELEASE);
    }
    return p;
}

#define REAL(type, name)                                                                                               \
    static void *real_##name##_p;                                                                                      \
    static type real_##name(void) { return (type)real(&real_##name##_p, #name); }

REAL(fd_fn, fsync)
REAL(fd_fn, fdatasync)
REAL(fd_fn, syncfs)
REAL(sync_fn, sync)
REAL(msync_fn, msync)
REAL(rename_fn, rename)
REAL(renameat_fn, renameat)
REAL(renameat2_fn, renameat2)
REAL(unlink_fn, unlink)
REAL(unlinkat_fn, unlinkat)
REAL(ftruncate_fn, ftruncate)
REAL(ftruncate_fn, ftruncate64)
REAL(truncate_fn, truncate)
REAL(truncate_fn, truncate64)
REAL(open_fn, open)
REAL(open_fn, open64)
REAL(openat_fn, openat)
REAL(openat_fn, openat64)

/* A line under construction: fixed capacity, silently cut (a cut line has no
 * newline and powerloss.py rejects it, which is the right outcome). */
struct line {
    char b[LINE_MAX_BYTES];
    size_t n;
};

static void put_ch(struct line *l, char c)
{
    if (l->n < sizeof(l->b))
        l->b[l->n++] = c;
}

static void put_str(struct line *l, const char *s)
{
    while (*s)
        put_ch(l, *s++);
}

static void put_u64(struct line *l, uint64_t v)
{
    char d[24];
    int k = 0;
    do {
        d[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k)
        put_ch(l, d[--k]);
}

static void put_path(struct line *l, const char *p)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || c == '%') {
            put_ch(l, '%');
            put_ch(l, hex[c >> 4]);
            put_ch(l, hex[c & 15]);
        } else {
            put_ch(l, (char)c);
        }
    }
}

static void emit(struct line *l)
{
    if (l->n >= sizeof(l->b))
        return; /* cut: better no record than a wrong one */
    put_ch(l, '\n');
    int saved = errno;
    ssize_t w;
    do {
        w = write(journal_fd, l->b, l->n);
    } while (w < 0 && errno == EINTR);
    errno = saved;
}

/* The absolute path behind fd; false for a file already unlinked (Linux
 * appends " (deleted)") or when /proc cannot say. */
static bool fd_path(int fd, char out[PATH_MAX])
{
    char link[48] = "/proc/self/fd/", d[16];
    size_t k = 0, n0 = strlen(link);
    unsigned v = (unsigned)fd;
    do {
        d[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k)
        link[n0++] = d[--k];
    link[n0] = '\0';
    ssize_t n = readlink(link, out, PATH_MAX - 1);
    if (n <= 0 || out[0] != '/')
        return false;
    out[n] = '\0';
    static const char deleted[] = " (deleted)";
    size_t dl = sizeof(deleted) - 1;
    return !((size_t)n > dl && memcmp(out + n - dl, deleted, dl) == 0);
}

/* dirfd-relative name to an absolute path (not normalised). */
static bool at_path(int dirfd, const char *name, char out[PATH_MAX])
{
    char base[PATH_MAX];
    if (name[0] == '/') {
        base[0] = '\0';
    } else if (dirfd == AT_FDCWD) {
        if (!getcwd(base, sizeof(base)))
            return false;
    } else if (!fd_path(dirfd, base)) {
        return false;
    }
    size_t bl = strlen(base), nl = strlen(name);
    if (bl + 1 + nl + 1 > PATH_MAX)
        return false;
    memcpy(out, base, bl);
    if (bl)
        out[bl++] = '/';
    memcpy(out + bl, name, nl + 1);
    return true;
}

static void record_path(const char *tag, const char *path)
{
    struct line l = {.n = 0};
    put_str(&l, tag);
    put_ch(&l, ' ');
    put_path(&l, path);
    emit(&l);
}

static void record_size(const char *tag, uint64_t size, const char *path)
{
    struct line l = {.n = 0};
    put_str(&l, tag);
    put_ch(&l, ' ');
    put_u64(&l, size);
    put_ch(&l, ' ');
    put_path(&l, path);
    emit(&l);
}

__attribute__((constructor)) static void lostwrites_init(void)
{
    const char *j = getenv("SKIFF_SYNC_JOURNAL");
    if (!j || !*j)
        return;
    open_fn o = real_open();
    if (o)
        journal_fd = o(j, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (journal_fd < 0)
        return;
    struct line l = {.n = 0};
    put_str(&l, "P ");
    put_u64(&l, (uint64_t)getpid());
    emit(&l);
}

/* fsync and fdatasync: the size is read before the call, the record written
 * after it succeeded (and before the caller can act on it). */
static int sync_common(fd_fn fn, int fd)
{
    struct stat st;
    bool have = journal_fd >= 0 && fd != journal_fd && fstat(fd, &st) == 0;
    int rc = fn(fd);
    if (rc != 0 || !have)
        return rc;
    int saved = errno;
    char path[PATH_MAX];
    if (fd_path(fd, path)) {
        if (S_ISDIR(st.st_mode))
            record_path("D", path);
        else if (S_ISREG(st.st_mode))
            record_size("S", (uint64_t)st.st_size, path);
    }
    errno = saved;
    return rc;
}

int fsync(int fd) { return sync_common(real_fsync(), fd); }

int fdatasync(int fd) { return sync_common(real_fdatasync(), fd); }

void sync(void)
{
    if (journal_fd >= 0)
        record_path("X", "sync");
    real_sync()();
}

int syncfs(int fd)
{
    if (journal_fd >= 0)
        record_path("X", "syncfs");
    return real_syncfs()(fd);
}

int msync(void *addr, size_t len, int flags)
{
    if (journal_fd >= 0)
        record_path("X", "msync");
    return real_msync()(addr, len, flags);
}

static void record_rename(int olddir, const char *oldp, int newdir, const char *newp)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (!at_path(olddir, oldp, a) || !at_path(newdir, newp, b))
        return;
    struct line l = {.n = 0};
    put_str(&l, "R ");
    put_path(&l, a);
    put_ch(&l, ' ');
    put_path(&l, b);
    emit(&l);
}

int rename(const char *oldp, const char *newp)
{
    int rc = real_rename()(oldp, newp);
    if (rc == 0 && journal_fd >= 0) {
        int saved = errno;
        record_rename(AT_FDCWD, oldp, AT_FDCWD, newp);
        errno = saved;
    }
    return rc;
}

int renameat(int olddir, const char *oldp, int newdir, const char *newp)
{
    int rc = real_renameat()(olddir, oldp, newdir, newp);
    if (rc == 0 && journal_fd >= 0) {
        int saved = errno;
        record_rename(olddir, oldp, newdir, newp);
        errno = saved;
    }
    return rc;
}

int renameat2(int olddir, const char *oldp, int newdir, const char *newp, unsigned int flags)
{
    int rc = real_renameat2()(olddir, oldp, newdir, newp, flags);
    if (rc == 0 && journal_fd >= 0) {
        int saved = errno;
        /* RENAME_EXCHANGE swaps two names; Skiff never uses it and the
         * replay does not model it. */
        if (flags & 2 /* RENAME_EXCHANGE */) {
            record_path("X", "rename-exchange");
        } else {
            record_rename(olddir, oldp, newdir, newp);
        }
        errno = saved;
    }
    return rc;
}

static void record_at(const char *tag, int dirfd, const char *name)
{
    char p[PATH_MAX];
    if (at_path(dirfd, name, p))
        record_path(tag, p);
}

int unlink(const char *p)
{
    int rc = real_unlink()(p);
    if (rc == 0 && journal_fd >= 0) {
        int saved = errno;
        record_at("U", AT_FDCWD, p);
        errno = saved;
    }
    return rc;
}

int unlinkat(int dirfd, const char *p, int flags)
{
    int rc = real_unlinkat()(dirfd, p, flags);
    if (rc == 0 && journal_fd >= 0) {
        int saved = errno;
        record_at("U", dirfd, p);
        errno = saved;
    }
    return rc;
}

static int ftruncate_common(ftruncate_fn fn, int fd, off_t len)
{
    int rc = fn(fd, len);
    if (rc == 0 && journal_fd >= 0) {
        int saved = errno;
        char p[PATH_MAX];
        if (fd_path(fd, p))
            record_size("T", (uint64_t)len, p);
        errno = saved;
    }
    return rc;
}

int ftruncate(int fd, off_t len) { return ftruncate_common(real_ftruncate(), fd, len); }

int ftruncate64(int fd, off_t len) { return ftruncate_common(real_ftruncate64(), fd, len); }

static int truncate_common(truncate_fn fn, const char *path, off_t len)
{
    int rc = fn(path, len);
    if (rc == 0 && journal_fd >= 0) {
        int saved = errno;
        char p[PATH_MAX];
        if (at_path(AT_FDCWD, path, p))
            record_size("T", (uint64_t)len, p);
        errno = saved;
    }
    return rc;
}

int truncate(const char *path, off_t len) { return truncate_common(real_truncate(), path, len); }

int truncate64(const char *path, off_t len) { return truncate_common(real_truncate64(), path, len); }

/* Opens: O_TRUNC (the old content is gone), O_CREAT that created the file
 * (`existed` tells, looked up before the call) and synchronous-write flags
 * (each write durable: not modelled) leave a record. */
static void record_open(int fd, int flags, bool existed)
{
    bool created = (flags & O_CREAT) && !existed;
    if (fd < 0 || journal_fd < 0 || !(created || (flags & (O_TRUNC | O_SYNC | O_DSYNC))))
        return;
    int saved = errno;
    char p[PATH_MAX];
    if (fd_path(fd, p)) {
        if (flags & (O_SYNC | O_DSYNC))
            record_path("X", "o_sync");
        if (created)
            record_path("C", p);
        if (flags & O_TRUNC)
            record_size("T", 0, p);
    }
    errno = saved;
}

/* Whether an O_CREAT open is about to create the file (the shim's own
 * process is the only writer of its data directory, so no race matters). */
static bool exists_at(int dirfd, const char *path, int flags)
{
    if (journal_fd < 0 || !(flags & O_CREAT))
        return true;
    struct stat st;
    return fstatat(dirfd, path, &st, 0) == 0 || errno != ENOENT;
}

static mode_t open_mode(int flags, va_list ap)
{
    /* glibc's rule (__OPEN_NEEDS_MODE): only then was a mode passed. */
    bool needs = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
    return needs ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = open_mode(flags, ap);
    va_end(ap);
    bool existed = exists_at(AT_FDCWD, path, flags);
    int fd = real_open()(path, flags, mode);
    record_open(fd, flags, existed);
    return fd;
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = open_mode(flags, ap);
    va_end(ap);
    bool existed = exists_at(AT_FDCWD, path, flags);
    int fd = real_open64()(path, flags, mode);
    record_open(fd, flags, existed);
    return fd;
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = open_mode(flags, ap);
    va_end(ap);
    bool existed = exists_at(dirfd, path, flags);
    int fd = real_openat()(dirfd, path, flags, mode);
    record_open(fd, flags, existed);
    return fd;
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = open_mode(flags, ap);
    va_end(ap);
    bool existed = exists_at(dirfd, path, flags);
    int fd = real_openat64()(dirfd, path, flags, mode);
    record_open(fd, flags, existed);
    return fd;
}
