/* `skiff group list|describe|reset-offsets`: consumer groups through
 * librdkafka's AdminClient (ListConsumerGroups, DescribeConsumerGroups,
 * ListConsumerGroupOffsets, AlterConsumerGroupOffsets); lag is each
 * partition's high watermark minus the group's committed offset. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "client/cli.h"
#include "client/opts.h"
#include "client/rk.h"
#include "common/json.h"
#include "common/limits.h"
#include "common/sk_err.h"

/* A group id is a Kafka STRING: at most 32767 bytes. */
#define GROUP_ID_BYTES_MAX 32767

enum { OPT_TOPIC = 256, OPT_EARLIEST, OPT_LATEST, OPT_TO_OFFSET };

struct group_opts {
    const char *bootstrap;
    const char *group;
    const char *topic;
    int to; /* reset target: OPT_EARLIEST, OPT_LATEST, OPT_TO_OFFSET; 0 unset */
    int64_t to_offset;
    int64_t timeout_ms;
    int json;
    int help;
};

static const struct option group_longopts[] = {
    {"bootstrap", required_argument, NULL, 'b'},
    {"topic", required_argument, NULL, OPT_TOPIC},
    {"to-earliest", no_argument, NULL, OPT_EARLIEST},
    {"to-latest", no_argument, NULL, OPT_LATEST},
    {"to-offset", required_argument, NULL, OPT_TO_OFFSET},
    {"timeout-ms", required_argument, NULL, CLI_OPT_TIMEOUT_MS},
    {"output", required_argument, NULL, CLI_OPT_OUTPUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void group_usage(FILE *out)
{
    fputs("Usage: skiff group COMMAND [options]\n"
          "\n"
          "  list [--output json]                 groups, their state and protocol type\n"
          "  describe GROUP [--output json]       members and assignments; per partition the\n"
          "                                       committed offset, log end and lag\n"
          "  reset-offsets GROUP --topic T (--to-earliest | --to-latest | --to-offset N)\n"
          "                                       move the group's committed offsets on every\n"
          "                                       partition of T (the group must have no members)\n"
          "\n"
          "  -b, --bootstrap HOST:PORT,...  brokers (default $SKIFF_BOOTSTRAP or 127.0.0.1:9092)\n"
          "      --timeout-ms MS            give up after MS (default 30000)\n"
          "  -h, --help                     this text\n",
          out);
}

static int group_opt(int c, char **argv, struct group_opts *o)
{
    switch (c) {
    case 'h':
        o->help = 1;
        return SK_OK;
    case 'b':
        o->bootstrap = optarg;
        return SK_OK;
    case OPT_TOPIC:
        o->topic = optarg;
        return SK_OK;
    case OPT_EARLIEST:
    case OPT_LATEST:
        o->to = c;
        return SK_OK;
    case OPT_TO_OFFSET:
        o->to = c;
        if (cli_parse_i64(optarg, 0, INT64_MAX, &o->to_offset) == SK_OK)
            return SK_OK;
        cli_error("--to-offset: '%s' is not an offset", optarg);
        return SK_EINVAL;
    default:
        return cli_common_opt(c, argv, "group", &o->timeout_ms, &o->json);
    }
}

static int group_list(rd_kafka_t *rk, const struct group_opts *o)
{
    char err[512];
    rd_kafka_AdminOptions_t *ao =
        cli_admin_options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, (int)o->timeout_ms);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_ListConsumerGroups(rk, ao, q);
    rd_kafka_event_t *ev = cli_admin_wait(q, (int)o->timeout_ms, "list groups", err, sizeof(err));
    int status = CLI_EXIT_FAIL;
    if (!ev) {
        cli_error("%s", err);
        goto out;
    }
    const rd_kafka_ListConsumerGroups_result_t *res = rd_kafka_event_ListConsumerGroups_result(ev);
    size_t n = 0, nerr = 0;
    const rd_kafka_ConsumerGroupListing_t **gl = rd_kafka_ListConsumerGroups_result_valid(res, &n);
    const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
    struct sk_writer w;
    sk_writer_init(&w);
    struct json_out j = {.w = &w};
    if (o->json)
        json_begin_array(&j, NULL);
    for (size_t i = 0; i < n; i++) {
        const char *id = rd_kafka_ConsumerGroupListing_group_id(gl[i]);
        const char *state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(gl[i]));
        int simple = rd_kafka_ConsumerGroupListing_is_simple_consumer_group(gl[i]);
        if (o->json) {
            json_begin_object(&j, NULL);
            json_str(&j, "group", id);
            json_str(&j, "state", state);
            json_bool(&j, "simple", simple);
            json_end_object(&j);
        } else {
            printf("%s\t%s%s\n", id, state, simple ? "\tsimple" : "");
        }
    }
    if (o->json) {
        json_end_array(&j);
        cli_print_json(&w);
    }
    sk_writer_free(&w);
    status = CLI_EXIT_OK;
    for (size_t i = 0; i < nerr; i++) {
        cli_error("list groups: %s", rd_kafka_error_string(errs[i]));
        status = CLI_EXIT_FAIL;
    }
    rd_kafka_event_destroy(ev);
out:
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(ao);
    return status;
}

/* True if some entry of l for `topic` carries a committed offset. */
static bool topic_has_commit(const rd_kafka_topic_partition_list_t *l, const char *topic)
{
    for (int i = 0; i < l->cnt; i++)
        if (l->elems[i].offset >= 0 && !l->elems[i].err && strcmp(l->elems[i].topic, topic) == 0)
            return true;
    return false;
}

/* Every partition of the topics the group has committed on; a partition
 * without a commit of its own gets offset -1 (its lag is then everything
 * from the log start, what the group would still read). */
static rd_kafka_topic_partition_list_t *group_topics(const rd_kafka_topic_partition_list_t *l)
{
    rd_kafka_topic_partition_list_t *out = rd_kafka_topic_partition_list_new(l ? l->cnt : 0);
    for (int i = 0; l && i < l->cnt; i++) {
        const rd_kafka_topic_partition_t *e = &l->elems[i];
        if (!topic_has_commit(l, e->topic))
            continue;
        rd_kafka_topic_partition_list_add(out, e->topic, e->partition)->offset =
            e->offset >= 0 && !e->err ? e->offset : -1;
    }
    return out;
}

/* Every partition of every topic in the cluster, or NULL with err. */
static rd_kafka_topic_partition_list_t *all_partitions(rd_kafka_t *rk, int timeout_ms, char *err, size_t err_len)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t rerr = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (rerr) {
        snprintf(err, err_len, "metadata: %s", rd_kafka_err2str(rerr));
        return NULL;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
    for (int t = 0; t < md->topic_cnt; t++)
        for (int p = 0; p < md->topics[t].partition_cnt; p++)
            rd_kafka_topic_partition_list_add(l, md->topics[t].topic, md->topics[t].partitions[p].id);
    rd_kafka_metadata_destroy(md);
    return l;
}

/* The group's committed offsets, or NULL with err.  librdkafka 2.0.2 sends a
 * NULL partition list as an empty topic array, which Kafka (and Skiff)
 * answer with nothing (only a null array means "all"), so every partition of
 * the cluster is asked for by name and those without a commit are dropped. */
static rd_kafka_topic_partition_list_t *committed_offsets(rd_kafka_t *rk, const struct group_opts *o,
                                                          char *err, size_t err_len)
{
    rd_kafka_topic_partition_list_t *want = all_partitions(rk, (int)o->timeout_ms, err, err_len);
    if (!want)
        return NULL;
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(o->group, want);
    rd_kafka_topic_partition_list_destroy(want);
    rd_kafka_AdminOptions_t *ao =
        cli_admin_options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, (int)o->timeout_ms);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_topic_partition_list_t *out = NULL;
    rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, ao, q);
    rd_kafka_event_t *ev = cli_admin_wait(q, (int)o->timeout_ms, "list group offsets", err, err_len);
    if (ev) {
        size_t n = 0;
        const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
            rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
        if (n != 1)
            snprintf(err, err_len, "list group offsets: %zu results, expected 1", n);
        else if (rd_kafka_group_result_error(gr[0]))
            snprintf(err, err_len, "list group offsets: %s",
                     rd_kafka_error_string(rd_kafka_group_result_error(gr[0])));
        else
            out = group_topics(rd_kafka_group_result_partitions(gr[0]));
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    return out;
}

static void describe_members(const rd_kafka_ConsumerGroupDescription_t *d, struct json_out *j)
{
    size_t n = rd_kafka_ConsumerGroupDescription_member_count(d);
    if (j)
        json_begin_array(j, "members");
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(d, i);
        const rd_kafka_topic_partition_list_t *a =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
        if (j) {
            json_begin_object(j, NULL);
            json_str(j, "member_id", rd_kafka_MemberDescription_consumer_id(m));
            json_str(j, "client_id", rd_kafka_MemberDescription_client_id(m));
            json_str(j, "host", rd_kafka_MemberDescription_host(m));
            json_begin_array(j, "assignment");
        } else {
            printf("Member %s\tclient %s\thost %s\tassigned", rd_kafka_MemberDescription_consumer_id(m),
                   rd_kafka_MemberDescription_client_id(m), rd_kafka_MemberDescription_host(m));
        }
        for (int k = 0; a && k < a->cnt; k++) {
            if (j) {
                json_begin_object(j, NULL);
                json_str(j, "topic", a->elems[k].topic);
                json_i64(j, "partition", a->elems[k].partition);
                json_end_object(j);
            } else {
                printf(" %s-%d", a->elems[k].topic, a->elems[k].partition);
            }
        }
        if (j) {
            json_end_array(j);
            json_end_object(j);
        } else {
            printf("\n");
        }
    }
    if (j)
        json_end_array(j);
}

/* Per partition of the group's topics: committed offset, high watermark, lag. */
static int describe_offsets(rd_kafka_t *rk, const struct group_opts *o, struct json_out *j)
{
    char err[512];
    rd_kafka_topic_partition_list_t *c = committed_offsets(rk, o, err, sizeof(err));
    if (!c) {
        cli_error("%s", err);
        return CLI_EXIT_FAIL;
    }
    int status = CLI_EXIT_OK;
    if (j)
        json_begin_array(j, "offsets");
    for (int i = 0; i < c->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &c->elems[i];
        int64_t low = -1, high = -1;
        rd_kafka_resp_err_t rerr =
            rd_kafka_query_watermark_offsets(rk, tp->topic, tp->partition, &low, &high, (int)o->timeout_ms);
        if (rerr) {
            cli_error("log end of %s-%d: %s", tp->topic, tp->partition, rd_kafka_err2str(rerr));
            status = CLI_EXIT_FAIL;
            continue;
        }
        int64_t lag = tp->offset >= 0 ? high - tp->offset : high - low;
        if (j) {
            json_begin_object(j, NULL);
            json_str(j, "topic", tp->topic);
            json_i64(j, "partition", tp->partition);
            if (tp->offset >= 0)
                json_i64(j, "committed", tp->offset);
            else
                json_str(j, "committed", NULL);
            json_i64(j, "log_end", high);
            json_i64(j, "lag", lag);
            json_end_object(j);
        } else {
            char committed[24] = "-";
            if (tp->offset >= 0)
                snprintf(committed, sizeof(committed), "%" PRId64, tp->offset);
            printf("Topic %s\tPartition %d\tCommitted %s\tLogEnd %" PRId64 "\tLag %" PRId64 "\n", tp->topic,
                   tp->partition, committed, high, lag);
        }
    }
    if (j)
        json_end_array(j);
    rd_kafka_topic_partition_list_destroy(c);
    return status;
}

static int group_describe(rd_kafka_t *rk, const struct group_opts *o)
{
    char err[512];
    rd_kafka_AdminOptions_t *ao =
        cli_admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, (int)o->timeout_ms);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    const char *groups[1] = {o->group};
    rd_kafka_DescribeConsumerGroups(rk, groups, 1, ao, q);
    rd_kafka_event_t *ev = cli_admin_wait(q, (int)o->timeout_ms, "describe group", err, sizeof(err));
    int status = CLI_EXIT_FAIL;
    struct sk_writer w;
    sk_writer_init(&w);
    struct json_out jo = {.w = &w}, *j = o->json ? &jo : NULL;
    if (!ev) {
        cli_error("%s", err);
        goto out;
    }
    size_t n = 0;
    const rd_kafka_ConsumerGroupDescription_t **d =
        rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
    if (n != 1 || rd_kafka_ConsumerGroupDescription_error(d[0])) {
        cli_error("describe group %s: %s", o->group,
                  n != 1 ? "no result"
                         : rd_kafka_error_string(rd_kafka_ConsumerGroupDescription_error(d[0])));
        goto out;
    }
    const char *state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d[0]));
    const char *assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(d[0]);
    if (j) {
        json_begin_object(j, NULL);
        json_str(j, "group", o->group);
        json_str(j, "state", state);
        json_str(j, "assignor", assignor);
    } else {
        printf("Group %s\tState %s\tAssignor %s\n", o->group, state, assignor && *assignor ? assignor : "-");
    }
    describe_members(d[0], j);
    status = describe_offsets(rk, o, j);
    if (j) {
        json_end_object(j);
        cli_print_json(&w);
    }
out:
    sk_writer_free(&w);
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(ao);
    return status;
}

/* Every partition of the topic with the target offset. */
static rd_kafka_topic_partition_list_t *reset_targets(rd_kafka_t *rk, const struct group_opts *o, char *err,
                                                      size_t err_len)
{
    int partitions = 0;
    int rc = cli_topic_lookup(rk, o->topic, (int)o->timeout_ms, &partitions, err, err_len);
    if (rc == SK_ENOENT)
        snprintf(err, err_len, "topic %s does not exist", o->topic);
    if (rc != SK_OK)
        return NULL;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++) {
        int64_t low = 0, high = 0;
        rd_kafka_resp_err_t rerr =
            rd_kafka_query_watermark_offsets(rk, o->topic, p, &low, &high, (int)o->timeout_ms);
        if (rerr) {
            snprintf(err, err_len, "offsets of %s-%d: %s", o->topic, p, rd_kafka_err2str(rerr));
            rd_kafka_topic_partition_list_destroy(l);
            return NULL;
        }
        int64_t to = o->to == OPT_EARLIEST ? low : o->to == OPT_LATEST ? high : o->to_offset;
        /* Kafka's tool clamps an explicit offset into the log's range. */
        to = to < low ? low : to > high ? high : to;
        rd_kafka_topic_partition_list_add(l, o->topic, p)->offset = to;
    }
    return l;
}

static int group_reset(rd_kafka_t *rk, const struct group_opts *o)
{
    char err[512];
    rd_kafka_topic_partition_list_t *l = reset_targets(rk, o, err, sizeof(err));
    if (!l) {
        cli_error("%s", err);
        return CLI_EXIT_FAIL;
    }
    rd_kafka_AlterConsumerGroupOffsets_t *req = rd_kafka_AlterConsumerGroupOffsets_new(o->group, l);
    rd_kafka_AdminOptions_t *ao =
        cli_admin_options(rk, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, (int)o->timeout_ms);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, ao, q);
    rd_kafka_event_t *ev = cli_admin_wait(q, (int)o->timeout_ms, "reset group offsets", err, sizeof(err));
    int status = CLI_EXIT_FAIL;
    if (!ev) {
        cli_error("%s", err);
        goto out;
    }
    size_t n = 0;
    const rd_kafka_group_result_t **gr = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
    const rd_kafka_topic_partition_list_t *res = n == 1 ? rd_kafka_group_result_partitions(gr[0]) : NULL;
    if (n != 1 || rd_kafka_group_result_error(gr[0])) {
        cli_error("reset offsets of group %s: %s", o->group,
                  n != 1 ? "no result" : rd_kafka_error_string(rd_kafka_group_result_error(gr[0])));
        goto out;
    }
    status = CLI_EXIT_OK;
    for (int i = 0; res && i < res->cnt; i++) {
        if (res->elems[i].err) {
            cli_error("reset %s-%d: %s", res->elems[i].topic, res->elems[i].partition,
                      rd_kafka_err2str(res->elems[i].err));
            status = CLI_EXIT_FAIL;
        } else {
            printf("Topic %s\tPartition %d\tNewOffset %" PRId64 "\n", res->elems[i].topic,
                   res->elems[i].partition, res->elems[i].offset);
        }
    }
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_AlterConsumerGroupOffsets_destroy(req);
    rd_kafka_topic_partition_list_destroy(l);
    return status;
}

static int group_check_args(const char *cmd, int argc, char **argv, struct group_opts *o)
{
    int want = strcmp(cmd, "list") == 0 ? 0 : 1;
    if (argc - optind < want) {
        cli_error("group %s: missing group name", cmd);
        return SK_EINVAL;
    }
    if (argc - optind > want) {
        cli_error("group %s: unexpected argument '%s'", cmd, argv[optind + want]);
        return SK_EINVAL;
    }
    o->group = want ? argv[optind] : NULL;
    if (o->group && (!*o->group || strlen(o->group) > GROUP_ID_BYTES_MAX)) {
        cli_error("group id must be 1 to %d characters", GROUP_ID_BYTES_MAX);
        return SK_EINVAL;
    }
    if (strcmp(cmd, "reset-offsets") == 0 && (!o->topic || !o->to)) {
        cli_error(
            "group reset-offsets: needs --topic T and one of --to-earliest, --to-latest, --to-offset N");
        return SK_EINVAL;
    }
    return SK_OK;
}

int group_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        group_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "list") != 0 && strcmp(cmd, "describe") != 0 && strcmp(cmd, "reset-offsets") != 0) {
        cli_error("unknown group command '%s' (list, describe, reset-offsets)", cmd);
        return CLI_EXIT_USAGE;
    }
    struct group_opts o = {.bootstrap = cli_default_bootstrap(), .timeout_ms = CLI_ADMIN_TIMEOUT_MS};
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc - 1, argv + 1, ":b:h", group_longopts, NULL)) != -1)
        if (group_opt(c, argv + 1, &o) != SK_OK)
            return CLI_EXIT_USAGE;
    if (o.help) {
        group_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (group_check_args(cmd, argc - 1, argv + 1, &o) != SK_OK)
        return CLI_EXIT_USAGE;
    char err[512];
    rd_kafka_t *rk = cli_rk_new(RD_KAFKA_PRODUCER, o.bootstrap, NULL, NULL, NULL, err, sizeof(err));
    if (!rk) {
        cli_error("%s", err);
        return CLI_EXIT_FAIL;
    }
    int status = strcmp(cmd, "list") == 0       ? group_list(rk, &o)
                 : strcmp(cmd, "describe") == 0 ? group_describe(rk, &o)
                                                : group_reset(rk, &o);
    rd_kafka_destroy(rk);
    return status;
}
