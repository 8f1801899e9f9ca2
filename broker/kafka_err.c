#include "kafka_err.h"

const char *kafka_err_name(int16_t code)
{
    switch (code) {
#define KAFKA_ERR_NAME(name, c, r) \
    case (c):                      \
        return #name;
        KAFKA_ERR_TABLE(KAFKA_ERR_NAME)
#undef KAFKA_ERR_NAME
    default:
        return "UNKNOWN";
    }
}

bool kafka_err_retriable(int16_t code)
{
    switch (code) {
#define KAFKA_ERR_RETR(name, c, r) \
    case (c):                      \
        return (r);
        KAFKA_ERR_TABLE(KAFKA_ERR_RETR)
#undef KAFKA_ERR_RETR
    default:
        return false;
    }
}
