/* Unit tests for client/opts.c and client/bench_opts.c: the skiff tool's
 * command-line parsing. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/bench_opts.h"
#include "client/opts.h"
#include "common/sk_err.h"

START_TEST(parse_i64)
{
    int64_t v = 0;
    ck_assert_int_eq(cli_parse_i64("42", 0, 100, &v), SK_OK);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(cli_parse_i64("-1", -1, 100, &v), SK_OK);
    ck_assert_int_eq(v, -1);
    ck_assert_int_eq(cli_parse_i64("", 0, 100, &v), SK_EINVAL);
    ck_assert_int_eq(cli_parse_i64("12x", 0, 100, &v), SK_EINVAL);
    ck_assert_int_eq(cli_parse_i64("x", 0, 100, &v), SK_EINVAL);
    ck_assert_int_eq(cli_parse_i64(" 5", 0, 100, &v), SK_EINVAL);
    ck_assert_int_eq(cli_parse_i64("+5", 0, 100, &v), SK_EINVAL);
    ck_assert_int_eq(cli_parse_i64("-", -5, 100, &v), SK_EINVAL);
    ck_assert_int_eq(cli_parse_i64("-5", 0, 100, &v), SK_ERANGE);
    ck_assert_int_eq(cli_parse_i64("101", 0, 100, &v), SK_ERANGE);
    ck_assert_int_eq(cli_parse_i64("99999999999999999999999", 0, INT64_MAX, &v), SK_ERANGE);
}
END_TEST

START_TEST(parse_acks)
{
    const char *a = NULL;
    ck_assert_int_eq(cli_parse_acks("0", &a), SK_OK);
    ck_assert_str_eq(a, "0");
    ck_assert_int_eq(cli_parse_acks("1", &a), SK_OK);
    ck_assert_str_eq(a, "1");
    ck_assert_int_eq(cli_parse_acks("all", &a), SK_OK);
    ck_assert_str_eq(a, "all");
    ck_assert_int_eq(cli_parse_acks("-1", &a), SK_OK);
    ck_assert_str_eq(a, "all");
    ck_assert_int_eq(cli_parse_acks("2", &a), SK_EINVAL);
    ck_assert_int_eq(cli_parse_acks("", &a), SK_EINVAL);
}
END_TEST

START_TEST(props)
{
    struct cli_props p;
    memset(&p, 0, sizeof(p));
    ck_assert_int_eq(cli_props_add(&p, "linger.ms=5"), SK_OK);
    ck_assert_int_eq(cli_props_add(&p, "=5"), SK_EINVAL);
    ck_assert_int_eq(cli_props_add(&p, "novalue"), SK_EINVAL);
    ck_assert_int_eq(cli_props_add(&p, "empty="), SK_OK);
    size_t klen;
    const char *v;
    cli_props_split(p.kv[0], &klen, &v);
    ck_assert_uint_eq(klen, strlen("linger.ms"));
    ck_assert_str_eq(v, "5");
    cli_props_split(p.kv[1], &klen, &v);
    ck_assert_str_eq(v, "");
    for (size_t i = p.count; i < SK_CLI_PROPS_MAX; i++)
        ck_assert_int_eq(cli_props_add(&p, "k=v"), SK_OK);
    ck_assert_int_eq(cli_props_add(&p, "k=v"), SK_ELIMIT);
}
END_TEST

/* Runs bench_opts_parse on a NULL-terminated list of words. */
static int parse(enum bench_mode mode, struct bench_opts *o, char *err, const char **words)
{
    static char *argv[64];
    int argc = 0;
    while (words[argc]) {
        argv[argc] = (char *)words[argc];
        argc++;
    }
    argv[argc] = NULL;
    return bench_opts_parse(mode, argc, argv, o, err, 256);
}

START_TEST(bench_produce_full)
{
    struct bench_opts o;
    char err[256] = "";
    const char *w[] = {"produce",     "--topic",
                       "t1",          "--num-records",
                       "1000",        "--record-size",
                       "1024",        "--throughput",
                       "-1",          "--acks",
                       "1",           "--partitions",
                       "3",           "--replication-factor",
                       "2",           "-b",
                       "h:1",         "--producer-props",
                       "linger.ms=5", "batch.size=65536",
                       "--kv",        NULL};
    ck_assert_int_eq(parse(BENCH_PRODUCE, &o, err, w), SK_OK);
    ck_assert_str_eq(o.topic, "t1");
    ck_assert_int_eq(o.num_records, 1000);
    ck_assert_int_eq(o.record_size, 1024);
    ck_assert_int_eq(o.throughput, -1);
    ck_assert_str_eq(o.acks, "1");
    ck_assert_int_eq(o.partitions, 3);
    ck_assert_int_eq(o.replication_factor, 2);
    ck_assert_str_eq(o.bootstrap, "h:1");
    ck_assert_uint_eq(o.props.count, 2);
    ck_assert_str_eq(o.props.kv[1], "batch.size=65536");
    ck_assert_int_eq(o.kv, 1);
}
END_TEST

START_TEST(bench_produce_defaults)
{
    struct bench_opts o;
    char err[256] = "";
    setenv("SKIFF_BOOTSTRAP", "envhost:9", 1);
    const char *w[] = {"produce", "--topic", "t", "--num-records", "5", "--record-size", "0", NULL};
    ck_assert_int_eq(parse(BENCH_PRODUCE, &o, err, w), SK_OK);
    ck_assert_str_eq(o.acks, "all");
    ck_assert_int_eq(o.throughput, -1);
    ck_assert_int_eq(o.partitions, 1);
    ck_assert_str_eq(o.bootstrap, "envhost:9");
    unsetenv("SKIFF_BOOTSTRAP");
    ck_assert_int_eq(parse(BENCH_PRODUCE, &o, err, w), SK_OK);
    ck_assert_str_eq(o.bootstrap, "127.0.0.1:9092");
}
END_TEST

START_TEST(bench_bad_command_lines)
{
    struct bench_opts o;
    char err[256];
    const char *missing_topic[] = {"produce", "--num-records", "5", "--record-size", "1", NULL};
    const char *missing_size[] = {"produce", "--topic", "t", "--num-records", "5", NULL};
    const char *bad_num[] = {"produce", "--topic", "t", "--num-records", "5k", "--record-size", "1", NULL};
    const char *zero_num[] = {"produce", "--topic", "t", "--num-records", "0", "--record-size", "1", NULL};
    const char *bad_acks[] = {"produce", "--topic", "t", "--num-records", "5", "--record-size", "1",
                              "--acks",  "2",       NULL};
    const char *huge[] = {"produce",       "--topic",      "t", "--num-records", "5",
                          "--record-size", "999999999999", NULL};
    const char *unknown[] = {"produce", "--topic", "t", "--frobnicate", NULL};
    const char *no_value[] = {"produce", "--topic", NULL};
    const char *bad_prop[] = {"produce", "--topic", "t", "--producer-props", "x", NULL};
    const char *stray[] = {"produce", "--topic", "t", "--num-records", "5", "--record-size",
                           "1",       "extra",   NULL};
    const char *consume_size[] = {"consume", "--topic",       "t", "--num-records",
                                  "5",       "--record-size", "1", NULL};
    const char **cases[] = {missing_topic, missing_size, bad_num,  zero_num, bad_acks,
                            huge,          unknown,      no_value, bad_prop, stray};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        ck_assert_msg(parse(BENCH_PRODUCE, &o, err, cases[i]) == SK_EINVAL, "case %zu accepted", i);
        ck_assert_msg(err[0] != '\0', "case %zu: no reason given", i);
    }
    /* --record-size is not a consume option. */
    ck_assert_int_eq(parse(BENCH_CONSUME, &o, err, consume_size), SK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "--record-size"));
}
END_TEST

START_TEST(bench_consume_and_help)
{
    struct bench_opts o;
    char err[256];
    const char *w[] = {
        "consume",          "--topic",           "t", "--num-records", "7", "--timeout-ms", "500",
        "--consumer-props", "fetch.min.bytes=1", NULL};
    ck_assert_int_eq(parse(BENCH_CONSUME, &o, err, w), SK_OK);
    ck_assert_int_eq(o.num_records, 7);
    ck_assert_int_eq(o.timeout_ms, 500);
    ck_assert_uint_eq(o.props.count, 1);
    /* --help wins over missing required options. */
    const char *h[] = {"consume", "--help", NULL};
    ck_assert_int_eq(parse(BENCH_CONSUME, &o, err, h), SK_OK);
    ck_assert_int_eq(o.help, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("client_opts");
    TCase *tc = tcase_create("opts");
    tcase_add_test(tc, parse_i64);
    tcase_add_test(tc, parse_acks);
    tcase_add_test(tc, props);
    tcase_add_test(tc, bench_produce_full);
    tcase_add_test(tc, bench_produce_defaults);
    tcase_add_test(tc, bench_bad_command_lines);
    tcase_add_test(tc, bench_consume_and_help);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
