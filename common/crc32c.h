/* CRC-32C (Castagnoli), as used by Kafka RecordBatch v2 and Skiff's own files.
 * Uses the SSE4.2 crc32 instruction when the CPU has it, a table otherwise. */
#ifndef SK_CRC32C_H
#define SK_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend `crc` (0 to start) over n bytes.  crc32c("123456789") == 0xE3069283. */
uint32_t sk_crc32c(uint32_t crc, const void *p, size_t n);
/* The portable implementation, exposed so tests can compare both paths. */
uint32_t sk_crc32c_sw(uint32_t crc, const void *p, size_t n);

#endif
