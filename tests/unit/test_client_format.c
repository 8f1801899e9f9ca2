/* Unit tests for the skiff tool's pure pieces: the consume --format
 * template, the JSON reader used on /v1/status, --output parsing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "client/format.h"
#include "client/jsonparse.h"
#include "client/opts.h"
#include "common/sk_err.h"

static const char *render(const char *fmt, const struct cli_record *rec, struct sk_writer *w)
{
    struct cli_format f;
    char err[256];
    ck_assert_int_eq(cli_format_parse(fmt, &f, err, sizeof(err)), SK_OK);
    sk_writer_reset(w);
    cli_format_record(&f, rec, w);
    sk_write_raw(w, "", 1);
    return (const char *)w->p;
}

START_TEST(format_tokens)
{
    struct cli_record rec = {.topic = "t",
                             .partition = 2,
                             .offset = 41,
                             .timestamp_ms = 1700000000000LL,
                             .key = "k1",
                             .key_len = 2,
                             .value = "v\0x",
                             .value_len = 1};
    struct sk_writer w;
    sk_writer_init(&w);
    ck_assert_str_eq(render("%k %v", &rec, &w), "k1 v\n");
    ck_assert_str_eq(render("%t/%p@%o %T", &rec, &w), "t/2@41 1700000000000\n");
    ck_assert_str_eq(render("100%%\\t%k\\\\", &rec, &w), "100%\tk1\\\n");
    rec.key = NULL;
    rec.value = NULL;
    ck_assert_str_eq(render("[%k][%v]", &rec, &w), "[][]\n");
    sk_writer_free(&w);
}
END_TEST

START_TEST(format_rejects)
{
    struct cli_format f;
    char err[256];
    ck_assert_int_eq(cli_format_parse("%x", &f, err, sizeof(err)), SK_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "%x"));
    ck_assert_int_eq(cli_format_parse("abc%", &f, err, sizeof(err)), SK_EINVAL);
    ck_assert_int_eq(cli_format_parse("\\q", &f, err, sizeof(err)), SK_EINVAL);
    ck_assert_int_eq(cli_format_parse("end\\", &f, err, sizeof(err)), SK_EINVAL);
    char big[CLI_FORMAT_BYTES_MAX + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(cli_format_parse(big, &f, err, sizeof(err)), SK_EINVAL);
}
END_TEST

START_TEST(json_reads_status)
{
    const char *doc = " {\"node\":{\"node_id\":3,\"roles\":[\"broker\",\"controller\"]},"
                      "\"quorum\":{\"leader\":2,\"epoch\":7,\"voters\":[{\"node_id\":1,\"lag\":0},{\"node_"
                      "id\":2,\"lag\":15}]},"
                      "\"s\":\"a\\\"b\\u00e9\\n\",\"ok\":true,\"nil\":null,\"neg\":-1.5e2} ";
    struct jp_doc d;
    char err[256];
    ck_assert_int_eq(jp_parse(doc, strlen(doc), &d, err, sizeof(err)), SK_OK);
    const struct jp_node *root = jp_root(&d);
    ck_assert_int_eq((int)jp_num(jp_get(root, "node"), "node_id", -1), 3);
    const struct jp_node *q = jp_get(root, "quorum");
    ck_assert_int_eq((int)jp_num(q, "epoch", -1), 7);
    const struct jp_node *v = jp_get(q, "voters")->child;
    ck_assert_int_eq((int)jp_num(v->next, "lag", -1), 15);
    ck_assert_ptr_null(v->next->next);
    ck_assert_str_eq(jp_str(root, "s", ""), "a\"b\xc3\xa9\n");
    ck_assert(jp_bool(root, "ok", false));
    ck_assert_int_eq(jp_get(root, "nil")->type, JP_NULL);
    ck_assert(jp_num(root, "neg", 0) == -150.0);
    ck_assert_ptr_null(jp_get(root, "absent"));
    ck_assert_str_eq(jp_str(root, "ok", "dflt"), "dflt"); /* wrong type: fallback */
    jp_free(&d);
}
END_TEST

START_TEST(json_rejects_bad_input)
{
    static const char *bad[] = {"",        "{",   "{\"a\"}", "{\"a\":}",    "[1,]",       "[1 2]", "\"abc",
                                "\"\\x\"", "tru", "{} x",    "\"\\u12g4\"", "[\"a\nb\"]", "-",     "{1:2}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct jp_doc d;
        char err[256];
        ck_assert_msg(jp_parse(bad[i], strlen(bad[i]), &d, err, sizeof(err)) != SK_OK, "accepted %s", bad[i]);
    }
    /* Truncation at every offset of a valid document fails cleanly. */
    const char *doc = "{\"a\":[1,{\"b\":\"c\"}],\"d\":false}";
    for (size_t n = 0; n < strlen(doc); n++) {
        struct jp_doc d;
        char err[256];
        ck_assert_int_ne(jp_parse(doc, n, &d, err, sizeof(err)), SK_OK);
    }
    char deep[200];
    memset(deep, '[', sizeof(deep));
    struct jp_doc d;
    char err[256];
    ck_assert_int_eq(jp_parse(deep, sizeof(deep), &d, err, sizeof(err)), SK_ELIMIT);
}
END_TEST

START_TEST(output_option)
{
    int json = -1;
    ck_assert_int_eq(cli_parse_output("json", &json), SK_OK);
    ck_assert_int_eq(json, 1);
    ck_assert_int_eq(cli_parse_output("text", &json), SK_OK);
    ck_assert_int_eq(json, 0);
    ck_assert_int_eq(cli_parse_output("yaml", &json), SK_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("client_format");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, format_tokens);
    tcase_add_test(tc, format_rejects);
    tcase_add_test(tc, json_reads_status);
    tcase_add_test(tc, json_rejects_bad_input);
    tcase_add_test(tc, output_option);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
