/* The Kafka client listener: accepts connections, frames requests (length
 * prefix checked against the cap before anything is allocated), decodes them
 * and hands them to the dispatch table, and writes responses in order. */
#ifndef SK_KSERVER_H
#define SK_KSERVER_H

#include <stddef.h>

struct broker;
struct kserver;

int kserver_start(struct broker *b, struct kserver **out);
/* Closes the listener and every connection; pending requests are cancelled. */
void kserver_stop(struct kserver *s);
size_t kserver_connections(const struct kserver *s);

struct kreq;
/* The client's address ("ip:port"), or "" once its connection is gone. */
const char *kreq_peer(const struct kreq *r);

#endif
