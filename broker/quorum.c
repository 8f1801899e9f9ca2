/* The metadata quorum inside skiffd: the internal transport on
 * internal.listener, a Raft host over <log.dirs>/.cluster-metadata, and the
 * metadata image as its state machine (committed batches applied in order,
 * snapshots taken from and restored into the image). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "cluster_int.h"
#include "common/alloc.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "metadata_records.h"
#include "raft/host.h"
#include "raft/transport.h"

#define METADATA_DIR ".cluster-metadata"

/* Parses "id@host:port,..." into c->voters.  Empty: this node alone, at its
 * internal listener. */
static int parse_voters(struct cluster *c, const char *list, char *err, size_t errlen)
{
    const struct broker_config *cfg = &c->b->cfg;
    if (!list || !list[0]) {
        c->voters[0].id = cfg->node_id;
        snprintf(c->voters[0].host, sizeof(c->voters[0].host), "%s", cfg->internal.host);
        c->voters[0].port = cfg->internal.port;
        c->n_voters = 1;
        return SK_OK;
    }
    char *copy = sk_strdup(list);
    int rc = copy ? SK_OK : SK_ENOMEM;
    char *save = NULL;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && rc == SK_OK; tok = strtok_r(NULL, ",", &save)) {
        struct cluster_voter *v = &c->voters[c->n_voters];
        int id, port;
        char tail;
        if (c->n_voters == SK_RAFT_MEMBERS_MAX ||
            sscanf(tok, "%d@%255[^:]:%d%c", &id, v->host, &port, &tail) != 3 || id < 0 || port < 1 ||
            port > 65535) {
            snprintf(err, errlen, "config: controller.quorum.voters: bad entry '%s' (want id@host:port)", tok);
            rc = SK_ECONFIG;
            break;
        }
        for (int32_t i = 0; i < c->n_voters; i++)
            if (c->voters[i].id == id) {
                snprintf(err, errlen, "config: controller.quorum.voters: node %d listed twice", id);
                rc = SK_ECONFIG;
            }
        v->id = id;
        v->port = port;
        c->n_voters++;
    }
    sk_free(copy);
    return rc;
}

bool quorum_is_voter(const struct cluster *c, int32_t id)
{
    for (int32_t i = 0; i < c->n_voters; i++)
        if (c->voters[i].id == id)
            return true;
    return false;
}

static void apply_batch(struct cluster *c, const struct raft_entry *e)
{
    struct md_batch batch;
    int rc = md_batch_decode(e->data, e->len, &batch);
    if (rc != SK_OK) {
        /* Every node refuses the same bytes the same way, so images agree. */
        SK_ERROR("metadata_entry_refused", "index=%llu err=%s", (unsigned long long)e->index, sk_strerror(rc));
        return;
    }
    for (size_t i = 0; i < batch.n; i++) {
        rc = md_image_apply(&c->img, &batch.recs[i], e->index);
        if (rc == SK_ENOMEM) {
            /* Skipping a record would let this node's image drift from the
             * others'; a node that cannot apply the log must stop. */
            SK_ERROR("metadata_apply_failed", "index=%llu err=%s", (unsigned long long)e->index, sk_strerror(rc));
            exit(1);
        }
        if (rc != SK_OK)
            SK_WARN("metadata_record_refused", "index=%llu record=%zu type=%d", (unsigned long long)e->index, i,
                    (int)batch.recs[i].type);
    }
    md_batch_free(&batch);
}

static void apply_cb(void *arg, const struct raft_entry *e)
{
    struct cluster *c = arg;
    c->last_applied_term = e->term;
    if (e->type == RAFT_ENTRY_NORMAL && e->len > 0)
        apply_batch(c, e);
    c->img.applied_index = e->index;
    /* The registry follows the image before the controller answers, so a
     * request answered on this node sees its effect in full (a created
     * topic is open, a coordinator elected). */
    if (e->type == RAFT_ENTRY_NORMAL && e->len > 0)
        cluster_image_changed(c);
    ctrl_on_apply(c->ctrl, e);
}

static int restore_cb(void *arg, const struct raft_snapshot *s)
{
    struct cluster *c = arg;
    struct md_batch batch;
    int rc = md_snapshot_decode(s->data, s->len, &batch);
    if (rc != SK_OK)
        return rc;
    struct md_image fresh;
    md_image_init(&fresh);
    for (size_t i = 0; i < batch.n && rc != SK_ENOMEM; i++)
        rc = md_image_apply(&fresh, &batch.recs[i], s->index);
    md_batch_free(&batch);
    if (rc == SK_ENOMEM) {
        md_image_clear(&fresh);
        return rc;
    }
    md_image_clear(&c->img);
    c->img = fresh;
    c->img.applied_index = s->index;
    c->last_applied_term = s->term;
    if (c->ctrl)
        cluster_image_changed(c);
    return SK_OK;
}

static int snapshot_cb(void *arg, uint8_t **image, size_t *len)
{
    struct cluster *c = arg;
    return md_image_snapshot(&c->img, image, len);
}

static void fill_raft_config(struct cluster *c, struct raft_host_config *hc, char *dir)
{
    const struct broker_config *cfg = &c->b->cfg;
    memset(hc, 0, sizeof(*hc));
    raft_config_default(&hc->raft);
    hc->raft.id = (uint64_t)c->self;
    for (int32_t i = 0; i < c->n_voters; i++)
        hc->raft.voters[hc->raft.n_voters++] = (uint64_t)c->voters[i].id;
    /* A broker-only node starts as an observer of the configured voters;
     * the member list in the log (the leader adds it once it registered)
     * takes over as soon as it arrives.  Either way it never campaigns. */
    if (!c->voter)
        hc->raft.observers[hc->raft.n_observers++] = (uint64_t)c->self;
    hc->raft.election_timeout_ms = (uint32_t)cfg->controller_election_timeout_ms;
    /* Ten heartbeats per election timeout: a leader is rarely suspected by
     * mistake, and a dead one is noticed within the timeout. */
    hc->raft.heartbeat_interval_ms = (uint32_t)(cfg->controller_election_timeout_ms / 10 > 0
                                                    ? cfg->controller_election_timeout_ms / 10
                                                    : 1);
    /* A one-voter quorum has nobody to wait for: it elects itself quickly
     * so a single node is ready soon after start. */
    if (c->n_voters == 1 && hc->raft.election_timeout_ms > 100) {
        hc->raft.election_timeout_ms = 100;
        hc->raft.heartbeat_interval_ms = 10;
    }
    hc->raft.seed = (uint64_t)c->self * 0x9E3779B97F4A7C15ull ^ (uint64_t)sk_mono_us();
    hc->dir = dir;
    hc->snapshot_every = (uint64_t)cfg->metadata_snapshot_interval_entries;
}

int quorum_open(struct cluster *c, char *err, size_t errlen)
{
    const struct broker_config *cfg = &c->b->cfg;
    int rc = parse_voters(c, cfg->controller_quorum_voters, err, errlen);
    if (rc != SK_OK)
        return rc;
    c->voter = quorum_is_voter(c, c->self);
    if (cfg->role_controller != c->voter) {
        snprintf(err, errlen, "config: controller.quorum.voters: node %d %s", c->self,
                 cfg->role_controller ? "has process.roles=broker,controller and must be listed"
                                      : "has process.roles=broker and must not be listed");
        return SK_ECONFIG;
    }
    rc = raft_transport_new(c->b->base, (uint64_t)c->self, cfg->internal.host, (uint16_t)cfg->internal.port, &c->tr);
    if (rc != SK_OK) {
        snprintf(err, errlen, "cannot listen on internal.listener %s:%d", cfg->internal.host, cfg->internal.port);
        return rc;
    }
    for (int32_t i = 0; i < c->n_voters; i++)
        if (c->voters[i].id != c->self)
            raft_transport_add_peer(c->tr, (uint64_t)c->voters[i].id, c->voters[i].host, (uint16_t)c->voters[i].port);
    return SK_OK;
}

int quorum_start(struct cluster *c, char *err, size_t errlen)
{
    const struct broker_config *cfg = &c->b->cfg;
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof(dir), "%s/%s", cfg->log_dirs, METADATA_DIR) >= (int)sizeof(dir)) {
        snprintf(err, errlen, "log.dirs path too long");
        return SK_EINVAL;
    }
    struct raft_host_config hc;
    fill_raft_config(c, &hc, dir);
    struct raft_host_cb cb = {.arg = c, .apply_cb = apply_cb, .restore_cb = restore_cb, .snapshot_cb = snapshot_cb};
    return raft_host_new(c->b->base, c->tr, &hc, &cb, &c->host, err, errlen);
}

void quorum_stop(struct cluster *c)
{
    raft_host_free(c->host);
    c->host = NULL;
    raft_transport_free(c->tr);
    c->tr = NULL;
}

int quorum_propose(struct cluster *c, const uint8_t *data, size_t len, uint64_t *index, uint64_t *term)
{
    if (len > SK_RAFT_ENTRY_BYTES_MAX)
        return SK_ELIMIT;
    int rc = raft_host_propose(c->host, data, (uint32_t)len, index);
    *term = raft_term(raft_host_raft(c->host));
    return rc;
}

bool quorum_is_leader(const struct cluster *c)
{
    return c->host && raft_role(raft_host_raft(c->host)) == RAFT_LEADER;
}

int32_t quorum_leader(const struct cluster *c)
{
    uint64_t l = c->host ? raft_leader(raft_host_raft(c->host)) : RAFT_NONE;
    return l == RAFT_NONE ? -1 : (int32_t)l;
}

int quorum_transfer(struct cluster *c, int32_t to) { return raft_host_transfer(c->host, (uint64_t)to); }

uint64_t quorum_next_index(const struct cluster *c) { return raft_last_index(raft_host_raft(c->host)) + 1; }

uint64_t quorum_term(const struct cluster *c) { return c->host ? raft_term(raft_host_raft(c->host)) : 0; }

void cluster_raft_status(const struct cluster *c, struct cluster_raft_status *out)
{
    const struct raft *r = raft_host_raft(c->host);
    out->role = raft_role_name(raft_role(r));
    out->term = raft_term(r);
    out->commit_index = raft_commit(r);
    out->applied_index = raft_host_applied(c->host);
    out->leader_id = quorum_leader(c);
}

int32_t cluster_voter_status(const struct cluster *c, struct cluster_voter_status *out, int32_t max)
{
    const struct raft *r = c->host ? raft_host_raft(c->host) : NULL;
    int32_t n = 0;
    for (int32_t i = 0; i < c->n_voters && n < max; i++, n++) {
        struct cluster_voter_status *v = &out[n];
        v->node_id = c->voters[i].id;
        v->lag_known = r && raft_member_match(r, (uint64_t)v->node_id, &v->match_index);
        if (!v->lag_known)
            v->match_index = 0;
        uint64_t last = r ? raft_last_index(r) : 0;
        v->lag_entries = v->lag_known && last > v->match_index ? last - v->match_index : 0;
    }
    return n;
}
