/* Raft transport and codec tests: a message round trip over loopback TCP,
 * hostile frames (over the size cap, garbage), and decoder validation. */
#include <arpa/inet.h>
#include <check.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/sk_err.h"
#include "raft/transport.h"

static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t len = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

struct got {
    int count;
    struct raft_msg m;
    struct raft_entry ents[SK_RAFT_MSG_ENTRIES_MAX];
    char text[32];
    uint64_t sender;
    int decode_rc;
};

static void on_raft(void *arg, const Skiff__Raft__Envelope *env)
{
    struct got *g = arg;
    g->count++;
    g->sender = env->sender_id;
    g->decode_rc = raft_msg_decode(env->raft, &g->m, g->ents);
    if (g->decode_rc == SK_OK && g->m.n_entries > 0)
        snprintf(g->text, sizeof(g->text), "%.*s", (int)g->m.entries[0].len, (const char *)g->m.entries[0].data);
}

/* Runs the loop until `*count` reaches want or 5 s pass. */
static void run_until(struct event_base *base, const int *count, int want)
{
    int64_t end = sk_mono_ms() + 5000;
    while (*count < want && sk_mono_ms() < end)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

START_TEST(round_trip)
{
    struct event_base *base = event_base_new();
    uint16_t pa = free_port(), pb = free_port();
    struct raft_transport *a = NULL, *b = NULL;
    ck_assert_int_eq(raft_transport_new(base, 1, "127.0.0.1", pa, &a), SK_OK);
    ck_assert_int_eq(raft_transport_new(base, 2, "127.0.0.1", pb, &b), SK_OK);
    ck_assert_int_eq(raft_transport_add_peer(a, 2, "127.0.0.1", pb), SK_OK);
    static struct got g;
    memset(&g, 0, sizeof(g));
    ck_assert_int_eq(raft_transport_handle(b, SKIFF__RAFT__ENVELOPE__BODY_RAFT, on_raft, &g), SK_OK);
    struct raft_entry e[2] = {{.term = 3, .index = 8, .len = 5, .data = (uint8_t *)"hello"},
                              {.term = 3, .index = 9, .type = RAFT_ENTRY_NOOP}};
    struct raft_msg m = {.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 3, .index = 7, .log_term = 2,
                         .commit = 6, .n_entries = 2, .entries = e};
    ck_assert_int_eq(raft_transport_send_raft(a, &m), SK_OK);
    ck_assert_int_eq(raft_transport_send_raft(a, &m), SK_OK);
    run_until(base, &g.count, 2);
    ck_assert_int_eq(g.count, 2);
    ck_assert_int_eq(g.decode_rc, SK_OK);
    ck_assert_uint_eq(g.sender, 1);
    ck_assert_uint_eq(g.m.type, RAFT_MSG_APPEND);
    ck_assert_uint_eq(g.m.index, 7);
    ck_assert_uint_eq(g.m.log_term, 2);
    ck_assert_uint_eq(g.m.commit, 6);
    ck_assert_uint_eq(g.m.n_entries, 2);
    ck_assert_str_eq(g.text, "hello");
    ck_assert_uint_eq(g.m.entries[1].type, RAFT_ENTRY_NOOP);
    /* An unknown peer is refused. */
    m.to = 9;
    ck_assert_int_eq(raft_transport_send_raft(a, &m), SK_ENOENT);
    raft_transport_free(a);
    raft_transport_free(b);
    event_base_free(base);
}
END_TEST

/* set_peer adds a peer, is a no-op for the same address, and points an
 * existing peer at a new address: sends then reach the new one. */
START_TEST(set_peer_moves_a_peer)
{
    struct event_base *base = event_base_new();
    uint16_t pa = free_port(), pb = free_port(), nowhere = free_port();
    struct raft_transport *a = NULL, *b = NULL;
    ck_assert_int_eq(raft_transport_new(base, 1, "127.0.0.1", pa, &a), SK_OK);
    ck_assert_int_eq(raft_transport_new(base, 2, "127.0.0.1", pb, &b), SK_OK);
    ck_assert(!raft_transport_has_peer(a, 2));
    ck_assert_int_eq(raft_transport_set_peer(a, 2, "127.0.0.1", nowhere), SK_OK);
    ck_assert(raft_transport_has_peer(a, 2));
    ck_assert_int_eq(raft_transport_set_peer(a, 2, "not-an-address", nowhere), SK_EINVAL);
    static struct got g;
    memset(&g, 0, sizeof(g));
    ck_assert_int_eq(raft_transport_handle(b, SKIFF__RAFT__ENVELOPE__BODY_RAFT, on_raft, &g), SK_OK);
    struct raft_msg m = {.type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 2, .term = 1};
    raft_transport_send_raft(a, &m); /* to the old address: lost */
    ck_assert_int_eq(raft_transport_set_peer(a, 2, "127.0.0.1", pb), SK_OK);
    ck_assert_int_eq(raft_transport_set_peer(a, 2, "127.0.0.1", pb), SK_OK);
    ck_assert_int_eq(raft_transport_send_raft(a, &m), SK_OK);
    run_until(base, &g.count, 1);
    ck_assert_int_eq(g.count, 1);
    ck_assert_uint_eq(g.sender, 1);
    ck_assert_uint_eq(g.m.type, RAFT_MSG_HEARTBEAT);
    raft_transport_free(a);
    raft_transport_free(b);
    event_base_free(base);
}
END_TEST

/* Connects a raw socket to the transport and writes bytes. */
static int raw_send(uint16_t port, const void *p, size_t n)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
    return fd;
}

START_TEST(hostile_frames)
{
    struct event_base *base = event_base_new();
    uint16_t pb = free_port();
    struct raft_transport *b = NULL;
    ck_assert_int_eq(raft_transport_new(base, 2, "127.0.0.1", pb, &b), SK_OK);
    static struct got g;
    memset(&g, 0, sizeof(g));
    raft_transport_handle(b, SKIFF__RAFT__ENVELOPE__BODY_RAFT, on_raft, &g);
    /* A length over the cap closes the connection before any buffering. */
    uint8_t big[4];
    sk_put_be32(big, SK_INTERNAL_FRAME_BYTES_MAX + 1u);
    int fd = raw_send(pb, big, sizeof(big));
    char c;
    int64_t end = sk_mono_ms() + 5000;
    ssize_t r = 1;
    while (sk_mono_ms() < end) {
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        r = recv(fd, &c, 1, MSG_DONTWAIT);
        if (r == 0)
            break;
    }
    ck_assert_int_eq(r, 0); /* closed by the transport */
    close(fd);
    /* Garbage of a legal length is dropped without a dispatch. */
    uint8_t junk[4 + 8] = {0, 0, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    fd = raw_send(pb, junk, sizeof(junk));
    for (int k = 0; k < 50; k++)
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    ck_assert_int_eq(g.count, 0);
    close(fd);
    raft_transport_free(b);
    event_base_free(base);
}
END_TEST

START_TEST(decoder_validates)
{
    static struct raft_entry ents[SK_RAFT_MSG_ENTRIES_MAX];
    struct raft_entry e[2] = {{.term = 1, .index = 5}, {.term = 1, .index = 6}};
    struct raft_msg m = {.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 1, .index = 4, .n_entries = 2,
                         .entries = e};
    Skiff__Raft__RaftMessage pm;
    Skiff__Raft__Entry pe[2], *pp[2];
    raft_msg_encode(&m, &pm, pe, pp);
    struct raft_msg out;
    ck_assert_int_eq(raft_msg_decode(&pm, &out, ents), SK_OK);
    /* Entries that do not follow `index` consecutively. */
    pe[1].index = 9;
    ck_assert_int_eq(raft_msg_decode(&pm, &out, ents), SK_ECORRUPT);
    pe[1].index = 6;
    pe[1].term = 0;
    ck_assert_int_eq(raft_msg_decode(&pm, &out, ents), SK_ECORRUPT);
    pe[1].term = 1;
    pe[1].type = 7;
    ck_assert_int_eq(raft_msg_decode(&pm, &out, ents), SK_ECORRUPT);
    pe[1].type = 0;
    /* Unknown type, missing addresses, counts over the cap. */
    pm.type = 0;
    ck_assert_int_eq(raft_msg_decode(&pm, &out, ents), SK_ECORRUPT);
    pm.type = RAFT_MSG_TYPE_COUNT;
    ck_assert_int_eq(raft_msg_decode(&pm, &out, ents), SK_ECORRUPT);
    pm.type = RAFT_MSG_APPEND;
    pm.from = 0;
    ck_assert_int_eq(raft_msg_decode(&pm, &out, ents), SK_ECORRUPT);
    pm.from = 1;
    pm.n_entries = SK_RAFT_MSG_ENTRIES_MAX + 1;
    ck_assert_int_eq(raft_msg_decode(&pm, &out, ents), SK_ELIMIT);
    pm.n_entries = 2;
    pe[0].data.len = SK_RAFT_ENTRY_BYTES_MAX + 1;
    ck_assert_int_eq(raft_msg_decode(&pm, &out, ents), SK_ELIMIT);
    pe[0].data.len = 0;
    /* A snapshot message must name a real snapshot. */
    pm.type = RAFT_MSG_SNAPSHOT;
    pm.n_entries = 0;
    ck_assert_int_eq(raft_msg_decode(&pm, &out, ents), SK_ECORRUPT);
}
END_TEST

START_TEST(truncated_envelopes_never_crash)
{
    /* Every prefix of a valid packed envelope either fails to unpack or
     * decodes to something the validator accepts or rejects cleanly. */
    static struct raft_entry ents[SK_RAFT_MSG_ENTRIES_MAX];
    struct raft_entry e = {.term = 2, .index = 3, .len = 3, .data = (uint8_t *)"abc"};
    struct raft_msg m = {.type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 2, .index = 2, .n_entries = 1,
                         .entries = &e};
    Skiff__Raft__RaftMessage pm;
    Skiff__Raft__Entry pe[1], *pp[1];
    raft_msg_encode(&m, &pm, pe, pp);
    Skiff__Raft__Envelope env;
    skiff__raft__envelope__init(&env);
    env.body_case = SKIFF__RAFT__ENVELOPE__BODY_RAFT;
    env.raft = &pm;
    uint8_t buf[256];
    size_t len = skiff__raft__envelope__pack(&env, buf);
    ck_assert_uint_lt(len, sizeof(buf));
    for (size_t cut = 0; cut <= len; cut++) {
        Skiff__Raft__Envelope *u = skiff__raft__envelope__unpack(NULL, cut, buf);
        if (!u)
            continue;
        struct raft_msg out;
        if (u->body_case == SKIFF__RAFT__ENVELOPE__BODY_RAFT) {
            int rc = raft_msg_decode(u->raft, &out, ents);
            ck_assert(rc == SK_OK || rc == SK_ECORRUPT || rc == SK_ELIMIT);
            if (cut == len)
                ck_assert_int_eq(rc, SK_OK);
        }
        skiff__raft__envelope__free_unpacked(u, NULL);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("raft_transport");
    TCase *tc = tcase_create("transport");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, set_peer_moves_a_peer);
    tcase_add_test(tc, hostile_frames);
    tcase_add_test(tc, decoder_validates);
    tcase_add_test(tc, truncated_envelopes_never_crash);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
