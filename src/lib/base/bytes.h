/* Reading fixed-width integers out of TEE structures: SNP reports and TDX quotes are little-endian,
 * tpm2-tools' credential files big-endian. */
#pragma once

#include <stdint.h>

static inline uint16_t cc_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t cc_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t cc_le64(const uint8_t *p)
{
	return (uint64_t)cc_le32(p) | (uint64_t)cc_le32(p + 4) << 32;
}

static inline uint32_t cc_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
