#include "dispatch.h"

#include "handlers.h"

/* Every API the broker serves.  Versions come from the codec's table. */
static const struct {
    int16_t api_key;
    kafka_run_fn run;
} runs[] = {
    {KAFKA_API_PRODUCE, h_produce},
    {KAFKA_API_FETCH, h_fetch},
    {KAFKA_API_LIST_OFFSETS, h_list_offsets},
    {KAFKA_API_METADATA, h_metadata},
    {KAFKA_API_API_VERSIONS, h_api_versions},
    {KAFKA_API_CREATE_TOPICS, h_create_topics},
    {KAFKA_API_DELETE_TOPICS, h_delete_topics},
    {KAFKA_API_DESCRIBE_CONFIGS, h_describe_configs},
    {KAFKA_API_ALTER_CONFIGS, h_alter_configs},
    {KAFKA_API_CREATE_PARTITIONS, h_create_partitions},
    {KAFKA_API_FIND_COORDINATOR, h_find_coordinator},
    {KAFKA_API_JOIN_GROUP, h_join_group},
    {KAFKA_API_SYNC_GROUP, h_sync_group},
    {KAFKA_API_HEARTBEAT, h_heartbeat},
    {KAFKA_API_LEAVE_GROUP, h_leave_group},
    {KAFKA_API_OFFSET_COMMIT, h_offset_commit},
    {KAFKA_API_OFFSET_FETCH, h_offset_fetch},
    {KAFKA_API_DESCRIBE_GROUPS, h_describe_groups},
    {KAFKA_API_LIST_GROUPS, h_list_groups},
};

#define NRUNS (sizeof(runs) / sizeof(runs[0]))

const struct kafka_handler *dispatch_find(int16_t api_key)
{
    static struct kafka_handler table[NRUNS];
    static int built;
    if (!built) {
        for (size_t i = 0; i < NRUNS; i++) {
            table[i].api = kafka_api_lookup(runs[i].api_key);
            table[i].run = runs[i].run;
        }
        built = 1;
    }
    for (size_t i = 0; i < NRUNS; i++)
        if (runs[i].api_key == api_key)
            return table[i].api ? &table[i] : NULL;
    return NULL;
}
