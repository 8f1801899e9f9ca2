/* One table of internal error codes (Skiff's own space, never mixed with Kafka's
 * int16 error codes).  Functions return 0 on success or a negative SK_E* value. */
#ifndef SK_ERR_H
#define SK_ERR_H

#define SK_ERR_TABLE(X)                                                        \
    X(SK_OK, 0, "success")                                                     \
    X(SK_ENOMEM, -1, "out of memory")                                          \
    X(SK_EINVAL, -2, "invalid argument")                                       \
    X(SK_EIO, -3, "input/output error")                                        \
    X(SK_ECORRUPT, -4, "corrupt data")                                         \
    X(SK_ETRUNC, -5, "truncated input")                                        \
    X(SK_ELIMIT, -6, "limit exceeded")                                         \
    X(SK_ENOENT, -7, "not found")                                              \
    X(SK_EEXIST, -8, "already exists")                                         \
    X(SK_ERANGE, -9, "out of range")                                           \
    X(SK_EAGAIN, -10, "try again")                                             \
    X(SK_ECONFIG, -11, "bad configuration")                                    \
    X(SK_ESHUTDOWN, -12, "shutting down")                                      \
    X(SK_ENOSPACE, -13, "no space")                                            \
    X(SK_ESTATE, -14, "wrong state")

enum sk_err {
#define SK_ERR_ENUM(name, value, msg) name = (value),
    SK_ERR_TABLE(SK_ERR_ENUM)
#undef SK_ERR_ENUM
};

/* Static string for an SK_E* code; "unknown error" for anything else. */
const char *sk_strerror(int err);

#endif
