/* Shared state of the controller files (controller.c, controller_topics.c,
 * controller_brokers.c). */
#ifndef SK_CONTROLLER_INT_H
#define SK_CONTROLLER_INT_H

#include "common/arena.h"
#include "controller.h"
#include "controller_logic.h"

/* The controller's own decisions, queued like requests. */
#define CTRL_INT_FENCE 100     /* broker_id, broker_epoch: session expired */
#define CTRL_INT_REBALANCE 101 /* preferred leaders */

struct ctrl_item;
struct event;

struct controller {
    struct cluster *c;
    struct ctrl_item *head, *tail; /* queue */
    int32_t n_queued;
    struct ctrl_item *cur; /* in flight */
    struct ctrl_item *waiting; /* committed, waiting for the brokers to apply */
    uint64_t cur_index;
    uint64_t cur_term;
    struct ctrl_resp cur_resp; /* the answer once cur commits */
    bool was_active;
    struct event *pump_ev; /* owned: runs the queue from the loop */
    int64_t next_rebalance_ms;
    int32_t placement_start; /* round-robin start for new topics */
    /* Brokers' last heartbeats (controller memory, not the log). */
    int32_t hb_ids[SK_CLUSTER_BROKERS_MAX];
    int64_t hb_ms[SK_CLUSTER_BROKERS_MAX];
    uint64_t hb_applied[SK_CLUSTER_BROKERS_MAX]; /* metadata index each reported */
    int32_t n_hb;
    bool fence_queued[SK_CLUSTER_BROKERS_MAX];
    int64_t sessions_checked_ms; /* when sessions were last checked */
};

/* One decision: records to commit (arena-allocated) and the answer. */
struct ctrl_decision {
    struct sk_arena arena;
    struct md_rec *recs;
    size_t n;
    size_t cap;
    struct ctrl_resp resp;
};

int ctrl_decide(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d);
/* Appends a record slot (zeroed); NULL when out of memory. */
struct md_rec *ctrl_decision_add(struct ctrl_decision *d);
void ctrl_enqueue_internal(struct controller *ctl, const struct ctrl_req *req);
/* Answers committed topic changes every live broker has applied (or that
 * waited long enough). */
void ctrl_answer_propagated(struct controller *ctl, int64_t now_ms);

/* controller_topics.c */
int ctrl_decide_topic(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d);
/* Partition changes for every partition `id` leads or is in the ISR of
 * (id going down); `live` excludes id. */
int ctrl_partitions_broker_down(struct controller *ctl, int32_t id, const struct ctrl_live *live,
                                struct ctrl_decision *d);
int ctrl_partitions_broker_shutdown(struct controller *ctl, int32_t id, const struct ctrl_live *live,
                                    struct ctrl_decision *d);
int ctrl_partitions_broker_up(struct controller *ctl, const struct ctrl_live *live, struct ctrl_decision *d);
int ctrl_partitions_rebalance(struct controller *ctl, const struct ctrl_live *live, struct ctrl_decision *d);
int ctrl_alter_partition(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d);

/* controller_brokers.c */
int ctrl_decide_broker(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d);
void ctrl_brokers_reset_sessions(struct controller *ctl, int64_t now_ms);
void ctrl_brokers_check_sessions(struct controller *ctl, int64_t now_ms);
/* True when every live broker reported a metadata index >= index. */
bool ctrl_brokers_applied(const struct controller *ctl, uint64_t index);
/* The live brokers of the image (sorted ids, in the decision's arena),
 * leaving out `except` (-1: none). */
int ctrl_live_set(struct controller *ctl, int32_t except, struct ctrl_decision *d, struct ctrl_live *out);

#endif
