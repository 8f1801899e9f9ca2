/* Unit tests for broker/config.c and broker/topic_config.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/config.h"
#include "common/sk_err.h"

START_TEST(defaults_are_documented_values)
{
    struct broker_config c;
    config_defaults(&c);
    ck_assert_int_eq(c.node_id, 1);
    ck_assert(c.role_broker && c.role_controller);
    ck_assert_str_eq(c.listener.host, "127.0.0.1");
    ck_assert_int_eq(c.listener.port, 9092);
    ck_assert_int_eq(c.log_flush_interval_messages, 1);
    ck_assert_int_eq(c.socket_request_max_bytes, 104857600);
    ck_assert(c.auto_create_topics_enable);
    char err[256];
    ck_assert_int_eq(config_finish(&c, err, sizeof(err)), 0);
    ck_assert_int_eq(c.advertised.port, 9092);
    config_free(&c);
}
END_TEST

START_TEST(bad_keys_and_values_name_the_key)
{
    struct broker_config c;
    config_defaults(&c);
    char err[256];
    ck_assert_int_eq(config_set(&c, "no.such.key", "1", err, sizeof(err)), SK_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err, "no.such.key"));
    ck_assert_int_eq(config_set(&c, "num.partitions", "abc", err, sizeof(err)), SK_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err, "num.partitions"));
    ck_assert_int_eq(config_set(&c, "num.partitions", "0", err, sizeof(err)), SK_ECONFIG);
    ck_assert_int_eq(config_set(&c, "num.partitions", "12x", err, sizeof(err)), SK_ECONFIG);
    ck_assert_int_eq(config_set(&c, "auto.create.topics.enable", "yes", err, sizeof(err)), SK_ECONFIG);
    ck_assert_int_eq(config_set(&c, "listeners", "PLAINTEXT://127.0.0.1:99999", err, sizeof(err)), SK_ECONFIG);
    ck_assert_int_eq(config_set(&c, "listeners", "SSL://127.0.0.1:9092", err, sizeof(err)), SK_ECONFIG);
    ck_assert_int_eq(config_set(&c, "process.roles", "controller", err, sizeof(err)), SK_ECONFIG);
    ck_assert_int_eq(config_set(&c, "log.level", "loud", err, sizeof(err)), SK_ECONFIG);
    ck_assert_int_eq(config_set(&c, "listeners", "PLAINTEXT://0.0.0.0:19092", err, sizeof(err)), 0);
    ck_assert_int_eq(c.listener.port, 19092);
    ck_assert_int_eq(config_set(&c, "process.roles", "broker", err, sizeof(err)), 0);
    ck_assert(!c.role_controller);
    config_free(&c);
}
END_TEST

START_TEST(file_loading)
{
    char path[] = "/tmp/skiff-config-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *text = "# comment\n! also a comment\n\n  node.id = 7 \nlog.dirs=/tmp/x\nnum.partitions=3\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    struct broker_config c;
    config_defaults(&c);
    char err[256];
    ck_assert_int_eq(config_load_file(&c, path, err, sizeof(err)), 0);
    ck_assert_int_eq(c.node_id, 7);
    ck_assert_int_eq(c.num_partitions, 3);
    ck_assert_str_eq(c.log_dirs, "/tmp/x");
    /* A line without '=' is an error with its line number. */
    FILE *f = fopen(path, "w");
    fputs("node.id=1\ngarbage line\n", f);
    fclose(f);
    ck_assert_int_eq(config_load_file(&c, path, err, sizeof(err)), SK_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err, ":2:"));
    unlink(path);
    ck_assert_int_eq(config_load_file(&c, path, err, sizeof(err)), SK_ECONFIG);
    config_free(&c);
}
END_TEST

START_TEST(cross_field_checks)
{
    struct broker_config c;
    config_defaults(&c);
    char err[256];
    config_set(&c, "socket.request.max.bytes", "2048", err, sizeof(err));
    ck_assert_int_eq(config_finish(&c, err, sizeof(err)), SK_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err, "message.max.bytes"));
    config_free(&c);
}
END_TEST

START_TEST(config_get_formats_every_key)
{
    struct broker_config c;
    config_defaults(&c);
    char buf[512];
    for (size_t i = 0; config_key_name(i); i++)
        ck_assert_int_eq(config_get(&c, config_key_name(i), buf, sizeof(buf)), 0);
    config_get(&c, "listeners", buf, sizeof(buf));
    ck_assert_str_eq(buf, "127.0.0.1:9092");
    ck_assert_int_eq(config_get(&c, "nope", buf, sizeof(buf)), SK_ENOENT);
    config_free(&c);
}
END_TEST

START_TEST(topic_configs)
{
    struct broker_config c;
    config_defaults(&c);
    struct topic_config t;
    topic_config_from_broker(&c, &t);
    char err[256], buf[64];
    ck_assert_int_eq(topic_config_set(&t, "retention.ms", "1000", err, sizeof(err)), 0);
    ck_assert_int_eq(t.retention_ms, 1000);
    ck_assert_int_eq(topic_config_set(&t, "min.insync.replicas", "0", err, sizeof(err)), SK_ECONFIG);
    ck_assert_int_eq(topic_config_set(&t, "cleanup.policy", "compact", err, sizeof(err)), SK_ECONFIG);
    ck_assert_int_eq(topic_config_set(&t, "bogus", "1", err, sizeof(err)), SK_ECONFIG);
    ck_assert_int_eq(topic_config_get(&t, "retention.ms", buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "1000");
    size_t n;
    const struct topic_config_key *keys = topic_config_keys(&n);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(topic_config_get(&t, keys[i].name, buf, sizeof(buf)), 0);
    config_free(&c);
}
END_TEST

/* process.roles against controller.quorum.voters: a voter lists itself (or
 * the list is empty: one node alone), a broker-only node follows voters it
 * is not one of. */
static int roles_check(const char *roles, const char *voters, int32_t node_id, char *err, size_t errlen)
{
    struct broker_config c;
    config_defaults(&c);
    ck_assert_int_eq(config_set(&c, "process.roles", roles, err, errlen), 0);
    ck_assert_int_eq(config_set(&c, "controller.quorum.voters", voters, err, errlen), 0);
    c.node_id = node_id;
    int rc = config_finish(&c, err, errlen);
    config_free(&c);
    return rc;
}

START_TEST(roles_and_voters)
{
    char err[256];
    const char *three = "1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293";
    ck_assert_int_eq(roles_check("broker,controller", "", 1, err, sizeof(err)), 0);
    ck_assert_int_eq(roles_check("broker,controller", three, 2, err, sizeof(err)), 0);
    ck_assert_int_eq(roles_check("broker", three, 4, err, sizeof(err)), 0);
    ck_assert_int_eq(roles_check("broker,controller", three, 4, err, sizeof(err)), SK_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err, "controller.quorum.voters"));
    ck_assert_int_eq(roles_check("broker", three, 3, err, sizeof(err)), SK_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err, "must not list"));
    ck_assert_int_eq(roles_check("broker", "", 4, err, sizeof(err)), SK_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err, "must not be empty"));
    /* Ids compare as numbers, not prefixes: 1 is not 11. */
    ck_assert_int_eq(roles_check("broker", "11@127.0.0.1:9093", 1, err, sizeof(err)), 0);
    ck_assert_int_eq(roles_check("broker,controller", "11@127.0.0.1:9093", 1, err, sizeof(err)), SK_ECONFIG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults_are_documented_values);
    tcase_add_test(tc, bad_keys_and_values_name_the_key);
    tcase_add_test(tc, file_loading);
    tcase_add_test(tc, cross_field_checks);
    tcase_add_test(tc, config_get_formats_every_key);
    tcase_add_test(tc, topic_configs);
    tcase_add_test(tc, roles_and_voters);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
