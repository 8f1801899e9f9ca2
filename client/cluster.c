/* `skiff cluster status`: brokers, active controller and partition health
 * from Kafka Metadata, plus the controller quorum as a node's /v1/status
 * reports it over HTTP.  Only what is known is printed: a field no source
 * reports is left out (text) or null (JSON). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/httpget.h"
#include "client/jsonparse.h"
#include "client/opts.h"
#include "client/rk.h"
#include "common/alloc.h"
#include "common/json.h"
#include "common/limits.h"
#include "common/sk_err.h"

enum { OPT_HTTP = 256, OPT_HTTP_OFFSET };

struct cluster_opts {
    const char *bootstrap;
    const char *http; /* host:port, or NULL: derive */
    int64_t http_offset;
    int64_t timeout_ms;
    int json;
    int help;
};

/* What the command learned. */
struct cluster_view {
    const struct rd_kafka_metadata *md;
    char *cluster_id; /* rd_kafka_mem_free */
    int32_t controller;
    int partitions, under_replicated, offline;
    struct jp_doc status; /* empty if no node answered */
    char status_from[300];
    char status_err[300];
};

static const struct option cluster_longopts[] = {
    {"bootstrap", required_argument, NULL, 'b'},
    {"http", required_argument, NULL, OPT_HTTP},
    {"http-port-offset", required_argument, NULL, OPT_HTTP_OFFSET},
    {"timeout-ms", required_argument, NULL, CLI_OPT_TIMEOUT_MS},
    {"output", required_argument, NULL, CLI_OPT_OUTPUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void cluster_usage(FILE *out)
{
    fputs("Usage: skiff cluster status [options]\n"
          "\n"
          "Brokers, active controller, under-replicated and offline partitions (Kafka\n"
          "Metadata), and the controller quorum (leader, epoch, each voter's lag) from a\n"
          "node's GET /v1/status.\n"
          "\n"
          "  -b, --bootstrap HOST:PORT,...  brokers (default $SKIFF_BOOTSTRAP or 127.0.0.1:9092)\n"
          "      --http HOST:PORT           a node's HTTP listener (default: each broker's client\n"
          "                                 port plus --http-port-offset, controller first)\n"
          "      --http-port-offset N       default 2 (client 9092 -> http 9094)\n"
          "      --timeout-ms MS            give up after MS (default 30000)\n"
          "      --output text|json         default text\n"
          "  -h, --help                     this text\n",
          out);
}

static int cluster_opt(int c, char **argv, struct cluster_opts *o)
{
    switch (c) {
    case 'h':
        o->help = 1;
        return SK_OK;
    case 'b':
        o->bootstrap = optarg;
        return SK_OK;
    case OPT_HTTP:
        o->http = optarg;
        return SK_OK;
    case OPT_HTTP_OFFSET:
        if (cli_parse_i64(optarg, -65535, 65535, &o->http_offset) == SK_OK)
            return SK_OK;
        cli_error("--http-port-offset: '%s' is not a number", optarg);
        return SK_EINVAL;
    default:
        return cli_common_opt(c, argv, "cluster", &o->timeout_ms, &o->json);
    }
}

/* Fetches and parses /v1/status from host:port; 0 on success. */
static int fetch_status(const char *host, int port, int timeout_ms, struct cluster_view *v)
{
    int code = 0;
    char *body = NULL, err[256];
    int rc = cli_http_get(host, port, "/v1/status", timeout_ms, SK_CLI_HTTP_RESPONSE_BYTES_MAX, &code, &body,
                          err, sizeof(err));
    if (rc == SK_OK && code != 200) {
        snprintf(err, sizeof(err), "HTTP status %d", code);
        rc = SK_EIO;
    }
    if (rc == SK_OK)
        rc = jp_parse(body, strlen(body), &v->status, err, sizeof(err));
    if (rc == SK_OK)
        snprintf(v->status_from, sizeof(v->status_from), "%s:%d", host, port);
    else
        snprintf(v->status_err, sizeof(v->status_err), "%s:%d: %s", host, port, err);
    sk_free(body);
    return rc;
}

static int try_broker(const struct rd_kafka_metadata_broker *b, const struct cluster_opts *o,
                      struct cluster_view *v)
{
    int port = b->port + (int)o->http_offset;
    if (port <= 0 || port > 65535)
        return SK_ERANGE;
    return fetch_status(b->host, port, (int)(o->timeout_ms < 5000 ? o->timeout_ms : 5000), v);
}

static void load_status(const struct cluster_opts *o, struct cluster_view *v)
{
    if (o->http) {
        char host[256];
        const char *colon = strrchr(o->http, ':');
        int64_t port;
        if (!colon || (size_t)(colon - o->http) >= sizeof(host) ||
            cli_parse_i64(colon + 1, 1, 65535, &port)) {
            snprintf(v->status_err, sizeof(v->status_err), "--http %s: expected HOST:PORT", o->http);
            return;
        }
        memcpy(host, o->http, (size_t)(colon - o->http));
        host[colon - o->http] = '\0';
        fetch_status(host, (int)port, (int)o->timeout_ms, v);
        return;
    }
    for (int i = 0; i < v->md->broker_cnt; i++)
        if (v->md->brokers[i].id == v->controller && try_broker(&v->md->brokers[i], o, v) == SK_OK)
            return;
    for (int i = 0; i < v->md->broker_cnt; i++)
        if (v->md->brokers[i].id != v->controller && try_broker(&v->md->brokers[i], o, v) == SK_OK)
            return;
}

static void count_partitions(struct cluster_view *v)
{
    for (int t = 0; t < v->md->topic_cnt; t++)
        for (int p = 0; p < v->md->topics[t].partition_cnt; p++) {
            const struct rd_kafka_metadata_partition *mp = &v->md->topics[t].partitions[p];
            v->partitions++;
            if (mp->leader < 0 || mp->err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE)
                v->offline++;
            else if (mp->isr_cnt < mp->replica_cnt)
                v->under_replicated++;
        }
}

/* The brokers /v1/status lists (cluster.brokers), or NULL.  Kafka's
 * Metadata lists unfenced brokers only, so every broker it lists is shown
 * as unfenced, and fenced ones can come only from the status document. */
static const struct jp_node *status_brokers(const struct cluster_view *v)
{
    return jp_get(jp_get(jp_root(&v->status), "cluster"), "brokers");
}

/* The status document's entry for broker `id`, or NULL. */
static const struct jp_node *status_broker(const struct cluster_view *v, int32_t id)
{
    const struct jp_node *sb = status_brokers(v);
    for (const struct jp_node *b = sb ? sb->child : NULL; b; b = b->next)
        if ((int32_t)jp_num(b, "node_id", -1) == id)
            return b;
    return NULL;
}

/* A count from the status document as text: "unknown" where the node
 * reported null (a voter's lag is known only on the quorum leader). */
static const char *num_text(const struct jp_node *o, const char *key, char *buf, size_t len)
{
    const struct jp_node *n = jp_get(o, key);
    if (!n || n->type != JP_NUMBER)
        return "unknown";
    snprintf(buf, len, "%.0f", n->num);
    return buf;
}

static void print_text(const struct cluster_view *v)
{
    printf("Cluster id: %s\n", v->cluster_id ? v->cluster_id : "(not reported)");
    printf("Active controller: ");
    if (v->controller >= 0)
        printf("%d\n", v->controller);
    else
        printf("(not reported)\n");
    printf("Brokers: %d\n", v->md->broker_cnt);
    char num[32];
    for (int i = 0; i < v->md->broker_cnt; i++)
        printf("  id %d  address %s:%d  fenced no  epoch %s\n", v->md->brokers[i].id, v->md->brokers[i].host,
               v->md->brokers[i].port,
               num_text(status_broker(v, v->md->brokers[i].id), "epoch", num, sizeof(num)));
    const struct jp_node *sb = status_brokers(v);
    for (const struct jp_node *b = sb ? sb->child : NULL; b; b = b->next)
        if (jp_bool(b, "fenced", false))
            printf("  id %d  address %s  fenced yes  epoch %s\n", (int)jp_num(b, "node_id", -1),
                   jp_str(b, "address", "?"), num_text(b, "epoch", num, sizeof(num)));
    printf("Partitions: %d  under-replicated: %d  offline: %d\n", v->partitions, v->under_replicated,
           v->offline);
    const struct jp_node *root = jp_root(&v->status);
    if (!root) {
        printf("Quorum: unknown (no node's /v1/status answered%s%s)\n", v->status_err[0] ? ": " : "",
               v->status_err);
        return;
    }
    const struct jp_node *q = jp_get(root, "quorum");
    if (!q) {
        printf("Quorum: none (node at %s runs %s, without a controller quorum)\n", v->status_from,
               jp_str(jp_get(root, "cluster"), "mode", "alone"));
        return;
    }
    char n1[32], n2[32], n3[32];
    printf("Quorum (as node at %s sees it): leader %s  epoch %s  commit index %s\n", v->status_from,
           num_text(q, "leader", n1, sizeof(n1)), num_text(q, "epoch", n2, sizeof(n2)),
           num_text(q, "commit_index", n3, sizeof(n3)));
    const struct jp_node *voters = jp_get(q, "voters");
    for (const struct jp_node *vo = voters ? voters->child : NULL; vo; vo = vo->next)
        printf("  voter %d  lag %s\n", (int)jp_num(vo, "node_id", -1), num_text(vo, "lag", n1, sizeof(n1)));
}

/* Re-emits a parsed JSON value (the quorum section, verbatim). */
static void copy_json(struct json_out *j, const char *key, const struct jp_node *n)
{
    switch (n->type) {
    case JP_NULL:
        json_str(j, key, NULL);
        break;
    case JP_BOOL:
        json_bool(j, key, n->num != 0);
        break;
    case JP_NUMBER:
        json_double(j, key, n->num);
        break;
    case JP_STRING:
        json_str(j, key, n->str);
        break;
    case JP_ARRAY:
    case JP_OBJECT:
        if (n->type == JP_ARRAY)
            json_begin_array(j, key);
        else
            json_begin_object(j, key);
        for (const struct jp_node *c = n->child; c; c = c->next)
            copy_json(j, n->type == JP_OBJECT ? c->key : NULL, c);
        if (n->type == JP_ARRAY)
            json_end_array(j);
        else
            json_end_object(j);
        break;
    }
}

static const struct jp_node null_node = {.type = JP_NULL};

static void print_json(const struct cluster_view *v)
{
    struct sk_writer w;
    sk_writer_init(&w);
    struct json_out j = {.w = &w};
    json_begin_object(&j, NULL);
    json_str(&j, "cluster_id", v->cluster_id);
    if (v->controller >= 0)
        json_i64(&j, "controller", v->controller);
    else
        json_str(&j, "controller", NULL);
    json_begin_array(&j, "brokers");
    for (int i = 0; i < v->md->broker_cnt; i++) {
        char addr[300];
        snprintf(addr, sizeof(addr), "%s:%d", v->md->brokers[i].host, v->md->brokers[i].port);
        const struct jp_node *sbr = status_broker(v, v->md->brokers[i].id);
        json_begin_object(&j, NULL);
        json_i64(&j, "id", v->md->brokers[i].id);
        json_str(&j, "address", addr);
        json_bool(&j, "fenced", false);
        copy_json(&j, "epoch", jp_get(sbr, "epoch") ? jp_get(sbr, "epoch") : &null_node);
        json_end_object(&j);
    }
    const struct jp_node *sb = status_brokers(v);
    for (const struct jp_node *b = sb ? sb->child : NULL; b; b = b->next)
        if (jp_bool(b, "fenced", false)) {
            json_begin_object(&j, NULL);
            json_i64(&j, "id", (int64_t)jp_num(b, "node_id", -1));
            json_str(&j, "address", jp_str(b, "address", NULL));
            json_bool(&j, "fenced", true);
            copy_json(&j, "epoch", jp_get(b, "epoch") ? jp_get(b, "epoch") : &null_node);
            json_end_object(&j);
        }
    json_end_array(&j);
    json_i64(&j, "partitions", v->partitions);
    json_i64(&j, "under_replicated", v->under_replicated);
    json_i64(&j, "offline", v->offline);
    const struct jp_node *root = jp_root(&v->status);
    json_str(&j, "status_from", root ? v->status_from : NULL);
    json_str(&j, "mode", root ? jp_str(jp_get(root, "cluster"), "mode", NULL) : NULL);
    const struct jp_node *q = jp_get(root, "quorum");
    if (q)
        copy_json(&j, "quorum", q);
    else
        json_str(&j, "quorum", NULL);
    json_end_object(&j);
    cli_print_json(&w);
    sk_writer_free(&w);
}

static int cluster_status(const struct cluster_opts *o)
{
    char err[512];
    rd_kafka_t *rk = cli_rk_new(RD_KAFKA_PRODUCER, o->bootstrap, NULL, NULL, NULL, err, sizeof(err));
    if (!rk) {
        cli_error("%s", err);
        return CLI_EXIT_FAIL;
    }
    struct cluster_view v = {.controller = -1};
    rd_kafka_resp_err_t rerr = rd_kafka_metadata(rk, 1, NULL, &v.md, (int)o->timeout_ms);
    if (rerr) {
        char last[256];
        cli_error("metadata request to %s failed: %s%s%s", o->bootstrap, rd_kafka_err2str(rerr),
                  cli_rk_last_log(last, sizeof(last))[0] ? ": " : "", last);
        rd_kafka_destroy(rk);
        return CLI_EXIT_FAIL;
    }
    v.controller = rd_kafka_controllerid(rk, (int)o->timeout_ms);
    v.cluster_id = rd_kafka_clusterid(rk, (int)o->timeout_ms);
    count_partitions(&v);
    load_status(o, &v);
    if (o->json)
        print_json(&v);
    else
        print_text(&v);
    jp_free(&v.status);
    if (v.cluster_id)
        rd_kafka_mem_free(rk, v.cluster_id);
    rd_kafka_metadata_destroy(v.md);
    rd_kafka_destroy(rk);
    return CLI_EXIT_OK;
}

int cluster_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        cluster_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "status") != 0) {
        cli_error("unknown cluster command '%s' (status)", argv[1]);
        return CLI_EXIT_USAGE;
    }
    struct cluster_opts o = {
        .bootstrap = cli_default_bootstrap(), .http_offset = 2, .timeout_ms = CLI_ADMIN_TIMEOUT_MS};
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc - 1, argv + 1, ":b:h", cluster_longopts, NULL)) != -1)
        if (cluster_opt(c, argv + 1, &o) != SK_OK)
            return CLI_EXIT_USAGE;
    if (o.help) {
        cluster_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (optind < argc - 1) {
        cli_error("cluster status: unexpected argument '%s'", argv[1 + optind]);
        return CLI_EXIT_USAGE;
    }
    return cluster_status(&o);
}
