/* The log manager: opens every partition directory of a log.dirs entry at
 * start, owns the logs, handles the lock file and the clean-shutdown marker.
 * See log_manager.h. */
#include "log_manager.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "flusher.h"
#include "log_internal.h"

struct logmgr_entry {
    char *topic; /* owned */
    int32_t partition;
    struct plog *log; /* owned */
    struct logmgr_entry *next;
};

struct logmgr {
    char *dir; /* owned */
    int dir_fd;
    int lock_fd;
    bool was_clean;
    struct log_config defaults;
    struct logmgr_entry **buckets; /* owned; chained hash of (topic, partition) */
    size_t nbuckets;
    size_t count;
};

bool logmgr_topic_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > SK_TOPIC_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

static size_t key_hash(const char *topic, int32_t partition)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = topic; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    h = (h ^ (uint32_t)partition) * 1099511628211ull;
    return (size_t)h;
}

static struct logmgr_entry **find_slot(struct logmgr *m, const char *topic, int32_t partition)
{
    struct logmgr_entry **pp = &m->buckets[key_hash(topic, partition) % m->nbuckets];
    while (*pp && ((*pp)->partition != partition || strcmp((*pp)->topic, topic) != 0))
        pp = &(*pp)->next;
    return pp;
}

static int grow_table(struct logmgr *m)
{
    if (m->count < m->nbuckets)
        return 0;
    size_t n = m->nbuckets * 2;
    struct logmgr_entry **b = sk_calloc(n, sizeof(*b));
    if (!b)
        return SK_ENOMEM;
    for (size_t i = 0; i < m->nbuckets; i++) {
        for (struct logmgr_entry *e = m->buckets[i], *next; e; e = next) {
            next = e->next;
            size_t k = key_hash(e->topic, e->partition) % n;
            e->next = b[k];
            b[k] = e;
        }
    }
    sk_free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
    return 0;
}

static int open_partition(struct logmgr *m, const char *topic, int32_t partition,
                          const struct log_config *cfg, bool clean, int64_t now_ms, struct plog **out)
{
    int rc = grow_table(m);
    if (rc)
        return rc;
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/%s-%d", m->dir, topic, partition) >= (int)sizeof(path))
        return SK_EINVAL;
    struct logmgr_entry *e = sk_calloc(1, sizeof(*e));
    if (!e)
        return SK_ENOMEM;
    e->topic = sk_strdup(topic);
    e->partition = partition;
    rc = e->topic ? plog_open(path, cfg, clean, now_ms, &e->log) : SK_ENOMEM;
    if (rc) {
        sk_free(e->topic);
        sk_free(e);
        return rc;
    }
    struct logmgr_entry **slot = find_slot(m, topic, partition);
    e->next = *slot;
    *slot = e;
    m->count++;
    *out = e->log;
    return 0;
}

/* "<topic>-<partition>" split at the last '-'; false for anything else. */
static bool parse_partition_dir(const char *name, char *topic, size_t cap, int32_t *partition)
{
    const char *dash = strrchr(name, '-');
    if (!dash || dash == name || dash[1] == '\0' || (size_t)(dash - name) >= cap)
        return false;
    int64_t p = 0;
    for (const char *c = dash + 1; *c; c++) {
        if (*c < '0' || *c > '9' || p > SK_PARTITIONS_PER_TOPIC_MAX)
            return false;
        p = p * 10 + (*c - '0');
    }
    if (p >= SK_PARTITIONS_PER_TOPIC_MAX)
        return false;
    memcpy(topic, name, (size_t)(dash - name));
    topic[dash - name] = '\0';
    *partition = (int32_t)p;
    return logmgr_topic_valid(topic);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Opens every partition directory; removes leftovers of interrupted deletes. */
static int scan_dir(struct logmgr *m, int64_t now_ms)
{
    int fd = dup(m->dir_fd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return SK_EIO;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.' || fstatat(m->dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(st.st_mode))
            continue;
        if (ends_with(e->d_name, "-delete")) {
            if (log_remove_dir(m->dir_fd, e->d_name) != 0)
                SK_WARN("delete_leftover_failed", "dir=%s name=%s", m->dir, e->d_name);
            continue;
        }
        char topic[SK_TOPIC_NAME_MAX + 1];
        int32_t partition;
        if (!parse_partition_dir(e->d_name, topic, sizeof(topic), &partition)) {
            SK_WARN("log_dir_entry_ignored", "dir=%s name=%s", m->dir, e->d_name);
            continue;
        }
        struct plog *l;
        rc = open_partition(m, topic, partition, &m->defaults, m->was_clean, now_ms, &l);
        if (rc)
            SK_ERROR("partition_open_failed", "dir=%s name=%s err=%s", m->dir, e->d_name, sk_strerror(rc));
    }
    closedir(d);
    return rc;
}

/* Locks the directory and consumes the clean-shutdown marker. */
static int lock_and_check_marker(struct logmgr *m)
{
    m->lock_fd = openat(m->dir_fd, LOGMGR_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m->lock_fd < 0)
        return SK_EIO;
    if (flock(m->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        SK_ERROR("log_dir_locked", "dir=%s", m->dir);
        return errno == EWOULDBLOCK ? SK_ESTATE : SK_EIO;
    }
    struct stat st;
    m->was_clean = fstatat(m->dir_fd, LOGMGR_CLEAN_MARKER, &st, 0) == 0;
    if (m->was_clean) {
        /* Durably gone before any write: a crash from now on is unclean. */
        if (unlinkat(m->dir_fd, LOGMGR_CLEAN_MARKER, 0) != 0 || log_fsync(m->dir_fd) != 0)
            return SK_EIO;
    }
    return 0;
}

int logmgr_open(const char *log_dir, const struct log_config *defaults, int64_t now_ms, struct logmgr **out)
{
    int rc = log_config_check(defaults);
    if (rc)
        return rc;
    struct logmgr *m = sk_calloc(1, sizeof(*m));
    if (!m)
        return SK_ENOMEM;
    m->dir_fd = m->lock_fd = -1;
    m->defaults = *defaults;
    m->nbuckets = 64;
    m->buckets = sk_calloc(m->nbuckets, sizeof(*m->buckets));
    m->dir = sk_strdup(log_dir);
    if (!m->buckets || !m->dir) {
        rc = SK_ENOMEM;
        goto fail;
    }
    if (mkdir(log_dir, 0755) != 0 && errno != EEXIST) {
        rc = SK_EIO;
        goto fail;
    }
    m->dir_fd = open(log_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m->dir_fd < 0) {
        rc = SK_EIO;
        goto fail;
    }
    rc = lock_and_check_marker(m);
    if (rc == 0)
        rc = scan_dir(m, now_ms);
    if (rc)
        goto fail;
    SK_INFO("log_manager_opened", "dir=%s clean=%d partitions=%zu", log_dir, m->was_clean, m->count);
    *out = m;
    return 0;
fail:
    SK_ERROR("log_manager_open_failed", "dir=%s err=%s", log_dir, sk_strerror(rc));
    logmgr_close(m, false);
    return rc;
}

bool logmgr_was_clean(const struct logmgr *m)
{
    return m->was_clean;
}
size_t logmgr_count(const struct logmgr *m)
{
    return m->count;
}

struct plog *logmgr_get(struct logmgr *m, const char *topic, int32_t partition)
{
    struct logmgr_entry *e = *find_slot(m, topic, partition);
    return e ? e->log : NULL;
}

int logmgr_create(struct logmgr *m, const char *topic, int32_t partition, const struct log_config *cfg,
                  int64_t now_ms, struct plog **out)
{
    if (!logmgr_topic_valid(topic) || partition < 0 || partition >= SK_PARTITIONS_PER_TOPIC_MAX)
        return SK_EINVAL;
    struct plog *l = logmgr_get(m, topic, partition);
    if (l) {
        *out = l;
        return 0;
    }
    /* A new directory has nothing to recover; an existing one (created by an
     * earlier run but not opened) is treated as unclean to be safe. */
    return open_partition(m, topic, partition, cfg ? cfg : &m->defaults, false, now_ms, out);
}

int logmgr_delete(struct logmgr *m, const char *topic, int32_t partition)
{
    struct logmgr_entry **slot = find_slot(m, topic, partition);
    struct logmgr_entry *e = *slot;
    if (!e)
        return SK_ENOENT;
    *slot = e->next;
    m->count--;
    int rc = plog_delete(e->log);
    sk_free(e->topic);
    sk_free(e);
    return rc;
}

int logmgr_maintain(struct logmgr *m, int64_t now_ms, struct flusher *f)
{
    int total = 0;
    for (size_t i = 0; i < m->nbuckets; i++) {
        for (struct logmgr_entry *e = m->buckets[i]; e; e = e->next) {
            int deleted = 0;
            int rc = plog_maintain(e->log, now_ms, &deleted);
            if (rc)
                SK_ERROR("log_maintain_failed", "topic=%s partition=%d err=%s", e->topic, e->partition,
                         sk_strerror(rc));
            total += deleted;
            if (f && plog_needs_sync(e->log))
                flusher_request(f, e->log);
        }
    }
    return total;
}

void logmgr_foreach(struct logmgr *m,
                    void (*fn)(void *arg, const char *topic, int32_t partition, struct plog *l), void *arg)
{
    for (size_t i = 0; i < m->nbuckets; i++)
        for (struct logmgr_entry *e = m->buckets[i]; e; e = e->next)
            fn(arg, e->topic, e->partition, e->log);
}

static int write_marker(struct logmgr *m)
{
    int fd = openat(m->dir_fd, LOGMGR_CLEAN_MARKER, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return SK_EIO;
    int rc = log_fsync(fd);
    close(fd);
    return rc ? rc : log_fsync(m->dir_fd);
}

void logmgr_close(struct logmgr *m, bool write_clean_marker)
{
    if (!m)
        return;
    bool all_ok = true;
    for (size_t i = 0; m->buckets && i < m->nbuckets; i++) {
        for (struct logmgr_entry *e = m->buckets[i], *next; e; e = next) {
            next = e->next;
            if (plog_sync_now(e->log) != 0)
                all_ok = false;
            plog_close(e->log);
            sk_free(e->topic);
            sk_free(e);
        }
    }
    if (write_clean_marker && all_ok && m->dir_fd >= 0) {
        int rc = write_marker(m);
        if (rc)
            SK_ERROR("clean_marker_failed", "dir=%s err=%s", m->dir, sk_strerror(rc));
    } else if (write_clean_marker) {
        SK_WARN("clean_marker_skipped", "dir=%s reason=sync_failed", m->dir);
    }
    if (m->lock_fd >= 0)
        close(m->lock_fd); /* releases the flock */
    if (m->dir_fd >= 0)
        close(m->dir_fd);
    sk_free(m->buckets);
    sk_free(m->dir);
    sk_free(m);
}
