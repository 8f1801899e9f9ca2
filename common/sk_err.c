#include "sk_err.h"

const char *sk_strerror(int err)
{
    switch (err) {
#define SK_ERR_CASE(name, value, msg) \
    case (value):                     \
        return (msg);
        SK_ERR_TABLE(SK_ERR_CASE)
#undef SK_ERR_CASE
    default:
        return "unknown error";
    }
}
