/* Metadata image and records: applying records, refusing ones that do not
 * fit, protobuf round trips, snapshots that rebuild the image, and decoding
 * hostile bytes (truncated at every length, garbage). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "broker/metadata.h"
#include "broker/metadata_records.h"
#include "common/alloc.h"
#include "common/sk_err.h"

static struct md_rec broker_rec(int32_t id, int64_t epoch)
{
    struct md_rec r;
    memset(&r, 0, sizeof(r));
    r.type = MD_REC_BROKER;
    r.u.broker.id = id;
    r.u.broker.epoch = epoch;
    r.u.broker.incarnation_id = 77;
    strcpy(r.u.broker.host, "127.0.0.1");
    r.u.broker.port = 9092 + id;
    strcpy(r.u.broker.internal_host, "127.0.0.1");
    r.u.broker.internal_port = 9093 + id;
    r.u.broker.fenced = true;
    return r;
}

static struct md_rec topic_rec(const char *name, int32_t n, const struct md_config *cfg, int32_t n_cfg)
{
    struct md_rec r;
    memset(&r, 0, sizeof(r));
    r.type = MD_REC_TOPIC;
    r.u.topic.name = name;
    r.u.topic.partitions = n;
    r.u.topic.configs = cfg;
    r.u.topic.n_configs = n_cfg;
    return r;
}

static struct md_rec part_rec(const char *topic, int32_t index, int32_t leader)
{
    struct md_rec r;
    memset(&r, 0, sizeof(r));
    r.type = MD_REC_PARTITION;
    r.u.partition.topic = topic;
    r.u.partition.index = index;
    struct md_partition *p = &r.u.partition.st;
    p->replicas[0] = 1;
    p->replicas[1] = 2;
    p->n_replicas = 2;
    p->isr[0] = 1;
    p->isr[1] = 2;
    p->n_isr = 2;
    p->leader = leader;
    return r;
}

/* Encodes recs, decodes them and applies them to img. */
static void through_wire(struct md_image *img, const struct md_rec *recs, size_t n, uint64_t index)
{
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(md_batch_encode(recs, n, &buf, &len), SK_OK);
    struct md_batch b;
    ck_assert_int_eq(md_batch_decode(buf, len, &b), SK_OK);
    ck_assert_uint_eq(b.n, n);
    for (size_t i = 0; i < b.n; i++)
        ck_assert_int_eq(md_image_apply(img, &b.recs[i], index), SK_OK);
    md_batch_free(&b);
    sk_free(buf);
}

START_TEST(apply_builds_image)
{
    struct md_image img;
    md_image_init(&img);
    struct md_config cfg[] = {{"retention.ms", "1000"}};
    struct md_rec recs[] = {broker_rec(1, 1), broker_rec(2, 2), topic_rec("t", 2, cfg, 1), part_rec("t", 0, 1),
                            part_rec("t", 1, 2)};
    through_wire(&img, recs, 5, 3);
    ck_assert_int_eq(img.n_brokers, 2);
    ck_assert_int_eq(img.max_broker_epoch, 2);
    ck_assert(md_broker_find(&img, 2)->fenced);
    const struct md_topic *t = md_topic_find(&img, "t", 1);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->n_partitions, 2);
    ck_assert_str_eq(t->configs[0].value, "1000");
    ck_assert_int_eq(md_partition_find(&img, "t", 1, 1)->leader, 2);
    ck_assert_uint_eq(img.applied_index, 3);
    /* Unfence broker 2, then a state change for an old epoch is refused. */
    struct md_rec st = {.type = MD_REC_BROKER_STATE};
    st.u.state.id = 2;
    st.u.state.epoch = 2;
    ck_assert_int_eq(md_image_apply(&img, &st, 4), SK_OK);
    ck_assert(md_broker_live(&img, 2));
    st.u.state.epoch = 1;
    st.u.state.fenced = true;
    ck_assert_int_eq(md_image_apply(&img, &st, 5), SK_EINVAL);
    ck_assert(md_broker_live(&img, 2));
    md_image_clear(&img);
}
END_TEST

START_TEST(misfit_records_refused)
{
    struct md_image img;
    md_image_init(&img);
    struct md_rec t = topic_rec("t", 1, NULL, 0);
    ck_assert_int_eq(md_image_apply(&img, &t, 1), SK_OK);
    ck_assert_int_eq(md_image_apply(&img, &t, 2), SK_EINVAL); /* exists */
    struct md_rec p = part_rec("t", 5, 1);                      /* beyond the count */
    ck_assert_int_eq(md_image_apply(&img, &p, 3), SK_EINVAL);
    p = part_rec("nope", 0, 1);
    ck_assert_int_eq(md_image_apply(&img, &p, 4), SK_EINVAL);
    p = part_rec("t", 0, 9); /* leader outside the ISR */
    ck_assert_int_eq(md_image_apply(&img, &p, 5), SK_EINVAL);
    /* index == count grows the topic (CreatePartitions). */
    p = part_rec("t", 1, 1);
    ck_assert_int_eq(md_image_apply(&img, &p, 6), SK_OK);
    ck_assert_int_eq(md_topic_find(&img, "t", 1)->n_partitions, 2);
    struct md_rec rm = {.type = MD_REC_REMOVE_TOPIC};
    rm.u.remove.name = "t";
    ck_assert_int_eq(md_image_apply(&img, &rm, 7), SK_OK);
    ck_assert_ptr_null(md_topic_find(&img, "t", 1));
    ck_assert_int_eq(md_image_apply(&img, &rm, 8), SK_EINVAL);
    md_image_clear(&img);
}
END_TEST

START_TEST(snapshot_rebuilds_image)
{
    struct md_image img, back;
    md_image_init(&img);
    md_image_init(&back);
    struct md_config cfg[] = {{"cleanup.policy", "delete"}, {"min.insync.replicas", "2"}};
    struct md_rec recs[] = {broker_rec(1, 4), topic_rec("a", 1, cfg, 2), part_rec("a", 0, 1),
                            topic_rec("b", 1, NULL, 0), part_rec("b", 0, 2)};
    through_wire(&img, recs, 5, 10);
    uint8_t *snap;
    size_t len;
    ck_assert_int_eq(md_image_snapshot(&img, &snap, &len), SK_OK);
    struct md_batch b;
    ck_assert_int_eq(md_snapshot_decode(snap, len, &b), SK_OK);
    for (size_t i = 0; i < b.n; i++)
        ck_assert_int_eq(md_image_apply(&back, &b.recs[i], 10), SK_OK);
    md_batch_free(&b);
    sk_free(snap);
    ck_assert_int_eq(back.n_topics, 2);
    ck_assert_int_eq(back.n_brokers, 1);
    ck_assert_int_eq(back.max_broker_epoch, 4);
    ck_assert_str_eq(md_topic_find(&back, "a", 1)->configs[1].value, "2");
    ck_assert_int_eq(md_partition_find(&back, "b", 1, 0)->leader, 2);
    md_image_clear(&img);
    md_image_clear(&back);
}
END_TEST

START_TEST(hostile_bytes_refused)
{
    struct md_rec recs[] = {broker_rec(1, 1), topic_rec("t", 1, NULL, 0), part_rec("t", 0, 1)};
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(md_batch_encode(recs, 3, &buf, &len), SK_OK);
    /* Every truncation either fails to decode or decodes to valid records. */
    for (size_t cut = 0; cut < len; cut++) {
        struct md_batch b;
        if (md_batch_decode(buf, cut, &b) == SK_OK)
            md_batch_free(&b);
    }
    uint8_t junk[64];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    struct md_batch b;
    if (md_batch_decode(junk, sizeof(junk), &b) == SK_OK)
        md_batch_free(&b);
    /* A partition whose leader is not in its ISR is refused on decode. */
    struct md_rec bad = part_rec("t", 0, 1);
    bad.u.partition.st.n_isr = 1;
    bad.u.partition.st.isr[0] = 2;
    uint8_t *bbuf;
    size_t blen;
    ck_assert_int_eq(md_batch_encode(&bad, 1, &bbuf, &blen), SK_OK);
    ck_assert_int_eq(md_batch_decode(bbuf, blen, &b), SK_EINVAL);
    sk_free(bbuf);
    sk_free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metadata");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, apply_builds_image);
    tcase_add_test(tc, misfit_records_refused);
    tcase_add_test(tc, snapshot_rebuilds_image);
    tcase_add_test(tc, hostile_bytes_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
