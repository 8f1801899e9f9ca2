/* Helpers shared by the storage tests; see log_testutil.h. */
#include "log_testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crc32c.h"

void logt_build_batch(struct sk_writer *w, int n, int64_t base_ts_ms, int64_t ts_step_ms, size_t value_bytes)
{
    struct sk_writer recs;
    sk_writer_init(&recs);
    uint8_t *val = malloc(value_bytes ? value_bytes : 1);
    memset(val, 'v', value_bytes);
    for (int i = 0; i < n; i++) {
        struct sk_writer one;
        sk_writer_init(&one);
        char k[16];
        int kl = snprintf(k, sizeof(k), "k%d", i);
        sk_write_i8(&one, 0);
        sk_write_varlong(&one, (int64_t)i * ts_step_ms);
        sk_write_varint(&one, i);
        sk_write_varint(&one, kl);
        sk_write_raw(&one, k, (size_t)kl);
        sk_write_varint(&one, (int32_t)value_bytes);
        sk_write_raw(&one, val, value_bytes);
        sk_write_varint(&one, 0);
        sk_write_varint(&recs, (int32_t)one.len);
        sk_write_raw(&recs, one.p, one.len);
        sk_writer_free(&one);
    }
    free(val);
    size_t start = w->len;
    sk_write_i64(w, 0);
    sk_write_i32(w, (int32_t)(49 + recs.len));
    sk_write_i32(w, -1);
    sk_write_i8(w, 2);
    sk_write_u32(w, 0);
    sk_write_i16(w, 0);
    sk_write_i32(w, n - 1);
    sk_write_i64(w, base_ts_ms);
    sk_write_i64(w, base_ts_ms + (int64_t)(n - 1) * ts_step_ms);
    sk_write_i64(w, -1);
    sk_write_i16(w, -1);
    sk_write_i32(w, -1);
    sk_write_i32(w, n);
    sk_write_raw(w, recs.p, recs.len);
    uint32_t crc = sk_crc32c(0, w->p + start + 21, w->len - start - 21);
    sk_put_be32(w->p + start + 17, crc);
    sk_writer_free(&recs);
}

char *logt_mkdtemp(void)
{
    char *p = strdup("/tmp/skiff-logtest-XXXXXX");
    if (!mkdtemp(p)) {
        perror("mkdtemp");
        abort();
    }
    return p;
}

static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *c = logt_path(path, e->d_name);
        struct stat st;
        if (lstat(c, &st) == 0 && S_ISDIR(st.st_mode))
            rm_tree(c);
        else
            unlink(c);
        free(c);
    }
    closedir(d);
    rmdir(path);
}

void logt_rmdir(char *path)
{
    rm_tree(path);
    free(path);
}

char *logt_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

int64_t logt_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

int logt_count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    size_t sl = strlen(suffix);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l >= sl && strcmp(e->d_name + l - sl, suffix) == 0)
            n++;
    }
    closedir(d);
    return n;
}
