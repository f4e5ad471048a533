/* cocoon version-compare dpkg|rpm|apk A B | -: how two package versions order, as the package
 * manager itself orders them (src/scan/version.h), for scripts and for checking an advisory by hand.
 *
 * With `-` it reads `A B` pairs from standard input and answers every input line with exactly one
 * output line, in order, so the answers can be pasted next to the questions: a line it cannot answer
 * (not two fields, or a version the scheme refuses) gets `!`, its reason goes to standard error with
 * the line number, and the command goes on; it exits 1 at the end if any line got `!`. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/version.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define PROGRAM "cocoon version-compare"

static const char *order_symbol(int order)
{
	return order < 0 ? "<" : order > 0 ? ">" : "=";
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon version-compare dpkg|rpm|apk A B\n"
		"       cocoon version-compare dpkg|rpm|apk -\n\n"
		"Prints `<`, `=` or `>`: how version A orders against version B as dpkg (deb-version(7); `deb`\n"
		"is accepted too), rpm (rpmvercmp over [epoch:]version-release) or apk (apk-tools) orders them.\n\n"
		"With `-`, reads `A B` pairs from standard input, one a line (fields separated by blanks), and\n"
		"answers each input line with one output line, in order. A line that is not two fields, or\n"
		"that holds a version the scheme refuses, is answered `!`; why goes to standard error with\n"
		"the line number, and the remaining lines are still answered.\n\n"
		"Exit codes: 0 every comparison answered; 1 a version was refused (in `-` mode: a line got\n"
		"`!`) or the output could not be written; 2 usage error.\n");
}

/* Splits line in place into exactly two blank-separated fields; false when it has another number. */
static bool split_pair(char *line, char **ret_a, char **ret_b)
{
	char *fields[3] = { NULL, NULL, NULL };
	int n = 0;
	for (char *save = NULL, *field = strtok_r(line, " \t", &save); field; field = strtok_r(NULL, " \t", &save)) {
		if (n == 3)
			break;
		fields[n++] = field;
	}
	if (n != 2)
		return false;
	*ret_a = fields[0];
	*ret_b = fields[1];
	return true;
}

static int compare_stream(enum scan_version_scheme scheme, FILE *in)
{
	/* A caller that writes a pair and waits for its answer (a coprocess) needs each answer as it
	 * is made; a file read to its end does not, and then one write per line would only cost. */
	struct stat st;
	if (fstat(fileno(in), &st) < 0 || !S_ISREG(st.st_mode))
		setvbuf(stdout, NULL, _IOLBF, 0);

	_cleanup_free_ char *line = NULL;
	size_t capacity = 0;
	unsigned long number = 0, refused = 0;
	ssize_t len;
	while ((len = getline(&line, &capacity, in)) >= 0) {
		number++;
		line[strcspn(line, "\r\n")] = '\0';
		char *a, *b;
		if (!split_pair(line, &a, &b)) {
			puts("!");
			cli_error(PROGRAM, "line %lu: expected two versions separated by blanks", number);
			refused++;
			continue;
		}
		struct cc_error err = { 0 };
		int order;
		if (scan_version_compare(scheme, a, b, &order, &err) < 0) {
			puts("!");
			cli_error(PROGRAM, "line %lu: %s", number, cc_error_message(&err));
			refused++;
			continue;
		}
		puts(order_symbol(order));
	}
	if (ferror(in)) {
		cli_error(PROGRAM, "read standard input after line %lu: %s", number, strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	if (refused > 0) {
		cli_error(PROGRAM, "%lu of %lu lines could not be compared", refused, number);
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

int cmd_version_compare(int argc, char **argv)
{
	static const struct option options[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	optind = 1;
	int c;
	/* `+`: options end at the scheme, so a version such as `-1` is not taken for an option. */
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	int left = argc - optind;
	if (left != 2 && left != 3) {
		cli_error(PROGRAM, "give a scheme (dpkg, rpm or apk) and two versions, or `-` to read pairs from "
				   "standard input; see --help");
		return CLI_EXIT_USAGE;
	}
	enum scan_version_scheme scheme;
	if (scan_version_scheme_parse(argv[optind], &scheme) < 0) {
		cli_error(PROGRAM, "unknown version scheme `%s`: use dpkg, rpm or apk", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	int r;
	if (left == 2) {
		if (strcmp(argv[optind + 1], "-") != 0) {
			cli_error(PROGRAM, "give two versions, or `-` to read pairs from standard input");
			return CLI_EXIT_USAGE;
		}
		r = compare_stream(scheme, stdin);
	} else {
		struct cc_error err = { 0 };
		int order;
		if (scan_version_compare(scheme, argv[optind + 1], argv[optind + 2], &order, &err) < 0) {
			cli_error(PROGRAM, "%s", cc_error_message(&err));
			return CLI_EXIT_FAILURE;
		}
		puts(order_symbol(order));
		r = CLI_EXIT_OK;
	}
	/* A full disk or a closed pipe must not pass for a complete answer. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error(PROGRAM, "write standard output: %s", strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	return r;
}
