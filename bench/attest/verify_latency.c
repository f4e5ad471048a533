/* verify_latency: times the evidence verifiers in process (no process start, no I/O), the part of
 * an attestation round trip that is cocoon's own work. Prints p50/p99 in microseconds as JSON.
 * Usage: verify_latency TEE EVIDENCE ROOTS [ENDORSEMENT] [ITERATIONS] */
#include "attest/verifier.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	char *data = malloc(*len + 1);
	if (fread(data, 1, *len, f) != *len)
		exit(1);
	data[*len] = '\0';
	fclose(f);
	return data;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: verify_latency snp|tdx EVIDENCE ROOTS [ENDORSEMENT|-] [ITERATIONS]\n");
		return 2;
	}
	const struct attest_verifier *v = attest_verifier_find(argv[1]);
	if (!v)
		return 2;
	struct attest_input in = { 0 };
	in.evidence = (const uint8_t *)slurp(argv[2], &in.evidence_len);
	in.roots_pem = slurp(argv[3], &in.roots_len);
	if (argc > 4 && strcmp(argv[4], "-") != 0)
		in.endorsement = (const uint8_t *)slurp(argv[4], &in.endorsement_len);
	int n = argc > 5 ? atoi(argv[5]) : 500;
	double *us = malloc(sizeof(double) * (size_t)n);
	for (int i = 0; i < n; i++) {
		struct timespec a, b;
		json_t *claims = NULL;
		clock_gettime(CLOCK_MONOTONIC, &a);
		int r = v->verify(&in, &claims, NULL);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (r < 0) {
			fprintf(stderr, "verify_latency: the evidence does not verify\n");
			return 1;
		}
		json_decref(claims);
		us[i] = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
	}
	qsort(us, (size_t)n, sizeof(double), compare);
	printf("{\"tee\":\"%s\",\"iterations\":%d,\"p50_us\":%.0f,\"p99_us\":%.0f}\n", argv[1], n, us[n / 2],
	       us[n * 99 / 100]);
	return 0;
}
