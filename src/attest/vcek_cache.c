/* VCEK certificates on disk (see vcek_cache.h). */
#include "attest/vcek_cache.h"

#include "attest/snp.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/encode.h"
#include "lib/net/client.h"

#include <errno.h>
#include <stdio.h>

#define VCEK_MAX 8192

static void entry_path(const char *dir, const struct snp_report *r, char *out, size_t size)
{
	char chip[2 * sizeof(r->chip_id) + 1];
	cc_hex_encode(r->chip_id, sizeof(r->chip_id), chip);
	const struct snp_tcb *t = &r->reported_tcb;
	snprintf(out, size, "%s/%s-%u-%u-%u-%u.der", dir, chip, t->bootloader, t->tee, t->snp, t->microcode);
}

int vcek_cache_lookup(const char *dir, const struct snp_report *report, uint8_t **ret, size_t *ret_len,
		      struct cc_error *err)
{
	char path[4096];
	entry_path(dir, report, path, sizeof(path));
	char *der;
	int r = cc_read_file(path, VCEK_MAX, &der, ret_len, err);
	if (r == -ENOENT)
		return cc_error_set(err, ENOENT,
				    "no VCEK for this chip and TCB in the cache: send it in tee-evidence.vcek once");
	if (r == 0)
		*ret = (uint8_t *)der;
	return r;
}

int vcek_cache_store(const char *dir, const struct snp_report *report, const uint8_t *der, size_t len,
		     struct cc_error *err)
{
	char path[4096];
	entry_path(dir, report, path, sizeof(path));
	return cc_write_file_atomic(path, der, len, 0644, err);
}

int vcek_fetch(const char *base_url, const char *ca_file, const struct snp_report *report, uint8_t **ret,
	       size_t *ret_len, struct cc_error *err)
{
	char chip[2 * sizeof(report->chip_id) + 1], url[1024];
	cc_hex_encode(report->chip_id, sizeof(report->chip_id), chip);
	const struct snp_tcb *t = &report->reported_tcb;
	snprintf(url, sizeof(url), "%s/%s?blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u", base_url, chip, t->bootloader,
		 t->tee, t->snp, t->microcode);
	struct cc_http_client_config client = { .ca_file = ca_file, .timeout_ms = 10000, .max_response = VCEK_MAX };
	struct cc_http_result res;
	int r = cc_http_client_request(&client, "GET", url, NULL, NULL, 0, &res, err);
	if (r < 0)
		return cc_error_prefix(err, "fetch the VCEK");
	if (res.status != 200 || res.body.len == 0) {
		r = cc_error_set(err, ENOENT, "the key distribution service answered HTTP %ld for this chip's VCEK",
				 res.status);
		cc_http_result_free(&res);
		return r;
	}
	*ret_len = res.body.len;
	*ret = (uint8_t *)cc_buf_steal(&res.body, NULL);
	return 0;
}
