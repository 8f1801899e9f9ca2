/* Group commit on a dedicated thread; see flusher.h.  The queue holds sync jobs
 * (broker/log_sync.c) made on the loop thread; the thread takes all of them at
 * once, runs them, moves them to the done list and activates one event. */
#include "flusher.h"

#include <assert.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "common/alloc.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "log_internal.h"

struct job_list {
    struct log_sync_job *head, *tail;
};

struct flusher {
    struct event_base *base; /* borrowed */
    struct event *done_ev;   /* owned */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* the thread waits for jobs */
    pthread_cond_t idle_cv; /* flusher_drain waits for an empty queue */
    struct job_list queue;  /* guarded by mu */
    struct job_list done;   /* guarded by mu */
    bool busy;              /* guarded: the thread is running jobs */
    bool stop;              /* guarded */
    size_t outstanding;     /* loop thread: jobs made and not yet finished */
    _Atomic uint64_t syncs, groups, requests;
};

static void list_append(struct job_list *to, struct job_list *from)
{
    if (!from->head)
        return;
    if (to->tail)
        to->tail->next = from->head;
    else
        to->head = from->head;
    to->tail = from->tail;
    from->head = from->tail = NULL;
}

static void *flusher_main(void *arg)
{
    struct flusher *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->queue.head && !f->stop)
            pthread_cond_wait(&f->work_cv, &f->mu);
        if (!f->queue.head)
            break; /* stopping with nothing left */
        struct job_list group = {NULL, NULL};
        list_append(&group, &f->queue);
        f->busy = true;
        pthread_mutex_unlock(&f->mu);

        uint64_t syncs = 0;
        for (struct log_sync_job *j = group.head; j; j = j->next)
            log_sync_job_run(j, &syncs);
        atomic_fetch_add(&f->syncs, syncs);
        atomic_fetch_add(&f->groups, 1);

        pthread_mutex_lock(&f->mu);
        list_append(&f->done, &group);
        f->busy = false;
        pthread_cond_broadcast(&f->idle_cv);
        pthread_mutex_unlock(&f->mu);
        event_active(f->done_ev, EV_READ, 1);
        pthread_mutex_lock(&f->mu);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* Loop thread: finishes completed jobs; a log that asked for another sync
 * while one was in flight gets it now. */
static void process_done(struct flusher *f)
{
    pthread_mutex_lock(&f->mu);
    struct job_list done = {NULL, NULL};
    list_append(&done, &f->done);
    pthread_mutex_unlock(&f->mu);
    for (struct log_sync_job *j = done.head, *next; j; j = next) {
        next = j->next;
        struct plog *l = j->log;
        assert(f->outstanding > 0);
        f->outstanding--;
        if (log_sync_job_finish(j))
            flusher_request(f, l);
    }
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    process_done(arg);
}

struct flusher *flusher_create(struct event_base *base)
{
    struct flusher *f = sk_calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->base = base;
    f->done_ev = event_new(base, -1, 0, done_cb, f);
    if (!f->done_ev) {
        sk_free(f);
        return NULL;
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->work_cv, NULL);
    pthread_cond_init(&f->idle_cv, NULL);
    if (pthread_create(&f->thread, NULL, flusher_main, f) != 0) {
        event_free(f->done_ev);
        pthread_mutex_destroy(&f->mu);
        pthread_cond_destroy(&f->work_cv);
        pthread_cond_destroy(&f->idle_cv);
        sk_free(f);
        return NULL;
    }
    return f;
}

void flusher_request(struct flusher *f, struct plog *l)
{
    atomic_fetch_add(&f->requests, 1);
    struct log_sync_job *job;
    int rc = log_sync_job_make(l, &job);
    if (rc) {
        SK_ERROR("flush_request_failed", "dir=%s err=%s", plog_dir(l), sk_strerror(rc));
        return;
    }
    if (!job)
        return;
    f->outstanding++;
    job->next = NULL;
    pthread_mutex_lock(&f->mu);
    struct job_list one = {job, job};
    list_append(&f->queue, &one);
    pthread_cond_signal(&f->work_cv);
    pthread_mutex_unlock(&f->mu);
}

void flusher_drain(struct flusher *f)
{
    while (f->outstanding > 0) {
        pthread_mutex_lock(&f->mu);
        while (f->queue.head || f->busy)
            pthread_cond_wait(&f->idle_cv, &f->mu);
        pthread_mutex_unlock(&f->mu);
        process_done(f);
    }
}

void flusher_destroy(struct flusher *f)
{
    if (!f)
        return;
    flusher_drain(f);
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_cond_signal(&f->work_cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    event_free(f->done_ev);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->work_cv);
    pthread_cond_destroy(&f->idle_cv);
    sk_free(f);
}

uint64_t flusher_sync_count(const struct flusher *f)
{
    return atomic_load(&f->syncs);
}
uint64_t flusher_group_count(const struct flusher *f)
{
    return atomic_load(&f->groups);
}
uint64_t flusher_request_count(const struct flusher *f)
{
    return atomic_load(&f->requests);
}
