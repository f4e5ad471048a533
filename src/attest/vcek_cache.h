/* A cache of AMD VCEK certificates on disk, so SEV-SNP guests need not send their VCEK and the
 * broker never has to reach AMD's key distribution service on the request path. One file per chip
 * and TCB: DIR/<chip_id hex>-<bootloader>-<tee>-<snp>-<microcode>.der. A certificate enters the cache
 * only after a report verified with it, and is verified against the pinned ARK on every use, so a
 * tampered cache can refuse service but never forge. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct snp_report;

/* -ENOENT when the chip and TCB of report have no cached VCEK. */
int vcek_cache_lookup(const char *dir, const struct snp_report *report, uint8_t **ret, size_t *ret_len,
		      struct cc_error *err);
int vcek_cache_store(const char *dir, const struct snp_report *report, const uint8_t *der, size_t len,
		     struct cc_error *err);

/* Fetches the VCEK of the report's chip and TCB from AMD's key distribution service: base_url is
 * the product's VCEK URL (https://kdsintf.amd.com/vcek/v1/Milan); the request adds /<hwid> and the
 * TCB levels as blSPL, teeSPL, snpSPL and ucodeSPL (AMD's KDS interface specification). */
int vcek_fetch(const char *base_url, const char *ca_file, const struct snp_report *report, uint8_t **ret,
	       size_t *ret_len, struct cc_error *err);
