/* cocoon logs: kubectl logs against cocoond. GET /api/v1/namespaces/NS/pods/NAME/log with
 * kube-apiserver's query (container, follow, previous, tailLines, timestamps, sinceSeconds,
 * limitBytes); the text goes to stdout as it arrives, so -f streams until the server ends it (the
 * container exited) or the user presses Ctrl-C. As kubectl does, a pod of several containers without
 * -c gets its default one (the kubectl.kubernetes.io/default-container annotation, else the first),
 * said on stderr. */
#include "cmd/cli.h"
#include "commands.h"
#include "kube_client.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM "cocoon logs"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon logs [-n NS] [-c CONTAINER] [-f] [-p] [--tail N] [--timestamps] [--since DURATION]\n"
		"                   [--limit-bytes N] POD [CONTAINER]\n"
		"\n"
		"Prints the logs of a container of a pod, as kubectl logs does.\n"
		"\n"
		"  -c, --container NAME  the container (default: the pod's default container)\n"
		"  -f, --follow          stream the log until the container ends (or Ctrl-C)\n"
		"  -p, --previous        the log of the previous instance of a restarted container\n"
		"  --tail N              the last N lines only (-1: all)\n"
		"  --timestamps          each line starts with its RFC 3339 time\n"
		"  --since DURATION      only lines newer than this: 10s, 5m, 1h30m\n"
		"  --limit-bytes N       at most N bytes\n" KUBE_CONNECTION_USAGE);
}

/* A Go duration (time.ParseDuration: "300ms", "1h30m", "2.5s") in seconds. */
static int parse_duration(const char *s, double *ret)
{
	static const struct {
		const char *unit;
		double seconds;
	} units[] = { { "ns", 1e-9 }, { "us", 1e-6 }, { "µs", 1e-6 }, { "ms", 1e-3 },
		      { "s", 1 },     { "m", 60 },    { "h", 3600 } };
	double total = 0;
	if (!*s)
		return -EINVAL;
	while (*s) {
		char *end;
		errno = 0;
		double v = strtod(s, &end);
		if (end == s || errno || v < 0 || *s == '+' || *s == '-' || !isfinite(v))
			return -EINVAL;
		s = end;
		size_t best = 0, best_len = 0;
		for (size_t i = 0; i < CC_ARRAY_SIZE(units); i++) {
			size_t n = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, n) == 0 && n > best_len)
				best = i, best_len = n;
		}
		if (!best_len)
			return -EINVAL;
		total += v * units[best].seconds;
		s += best_len;
	}
	*ret = total;
	return 0;
}

static int parse_count(const char *option, const char *s, long long min, long long *ret)
{
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (!*s || *end || errno || n < min) {
		cli_error(PROGRAM, "%s `%s` is not a number%s", option, s, min >= 0 ? " of 0 or more" : "");
		return -EINVAL;
	}
	*ret = n;
	return 0;
}

/* The container kubectl would pick; NULL when the pod has none. */
static const char *default_container(const json_t *pod, bool *ret_several)
{
	const json_t *containers = json_object_get(json_object_get(pod, "spec"), "containers");
	*ret_several = json_array_size(containers) > 1;
	const char *annotated =
	    json_string_value(json_object_get(json_object_get(json_object_get(pod, "metadata"), "annotations"),
					      "kubectl.kubernetes.io/default-container"));
	size_t i;
	const json_t *c;
	json_array_foreach (containers, i, c)
		if (annotated && strcmp(json_string_value(json_object_get(c, "name")) ?: "", annotated) == 0)
			return annotated;
	return json_string_value(json_object_get(json_array_get(containers, 0), "name"));
}

static bool has_container(const json_t *pod, const char *name)
{
	static const char *const lists[] = { "containers", "initContainers", "ephemeralContainers" };
	for (size_t l = 0; l < CC_ARRAY_SIZE(lists); l++) {
		size_t i;
		const json_t *c;
		json_array_foreach (json_object_get(json_object_get(pod, "spec"), lists[l]), i, c)
			if (strcmp(json_string_value(json_object_get(c, "name")) ?: "", name) == 0)
				return true;
	}
	return false;
}

static void print_defaulted(const json_t *pod, const char *chosen)
{
	fprintf(stderr, "Defaulted container \"%s\" out of: ", chosen);
	size_t i;
	const json_t *c;
	const json_t *containers = json_object_get(json_object_get(pod, "spec"), "containers");
	json_array_foreach (containers, i, c)
		fprintf(stderr, "%s%s", i ? ", " : "", json_string_value(json_object_get(c, "name")) ?: "");
	const json_t *init = json_object_get(json_object_get(pod, "spec"), "initContainers");
	json_array_foreach (init, i, c)
		fprintf(stderr, ", %s (init)", json_string_value(json_object_get(c, "name")) ?: "");
	fprintf(stderr, "\n");
}

static bool write_out(void *ctx, const void *data, size_t len)
{
	if (fwrite(data, 1, len, stdout) != len)
		return false; /* stdout closed (| head): stop as kubectl does */
	fflush(stdout);
	return true;
}

struct logs_args {
	const char *pod, *container;
	bool follow, previous, timestamps;
	long long tail, limit_bytes;
	long long since; /* seconds; 0: not given */
};

static char *log_path(const struct kube *k, const struct logs_args *a)
{
	_cleanup_free_ char *pod = kube_query_escape(a->pod);
	_cleanup_free_ char *container = a->container ? kube_query_escape(a->container) : NULL;
	struct cc_buf q = CC_BUF_INIT;
	cc_buf_appendf(&q, "/api/v1/namespaces/%s/pods/%s/log?", kube_namespace(k), pod);
	if (container)
		cc_buf_appendf(&q, "container=%s&", container);
	if (a->follow)
		cc_buf_appendf(&q, "follow=true&");
	if (a->previous)
		cc_buf_appendf(&q, "previous=true&");
	if (a->timestamps)
		cc_buf_appendf(&q, "timestamps=true&");
	if (a->tail >= 0)
		cc_buf_appendf(&q, "tailLines=%lld&", a->tail);
	if (a->since > 0)
		cc_buf_appendf(&q, "sinceSeconds=%lld&", a->since);
	if (a->limit_bytes > 0)
		cc_buf_appendf(&q, "limitBytes=%lld&", a->limit_bytes);
	q.data[--q.len] = '\0'; /* the last & or ? */
	return cc_buf_steal(&q, NULL);
}

static int parse(int argc, char **argv, struct kube *k, struct logs_args *a)
{
	enum { OPT_TAIL = 0x200, OPT_TIMESTAMPS, OPT_SINCE, OPT_LIMIT_BYTES };
	static const struct option verb_options[] = {
		{ "container", required_argument, NULL, 'c' },
		{ "follow", no_argument, NULL, 'f' },
		{ "previous", no_argument, NULL, 'p' },
		{ "tail", required_argument, NULL, OPT_TAIL },
		{ "timestamps", no_argument, NULL, OPT_TIMESTAMPS },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "limit-bytes", required_argument, NULL, OPT_LIMIT_BYTES },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_free_ struct option *options = kube_options(verb_options);
	*a = (struct logs_args){ .tail = -1 };
	optind = 1;
	int c;
	double since;
	while ((c = getopt_long(argc, argv, "n:c:fph", options, NULL)) != -1) {
		if (kube_option(k, c, optarg))
			continue;
		switch (c) {
		case 'c': a->container = optarg; break;
		case 'f': a->follow = true; break;
		case 'p': a->previous = true; break;
		case OPT_TIMESTAMPS: a->timestamps = true; break;
		case OPT_TAIL:
			if (parse_count("--tail", optarg, -1, &a->tail) < 0)
				return CLI_EXIT_USAGE;
			break;
		case OPT_LIMIT_BYTES:
			if (parse_count("--limit-bytes", optarg, 1, &a->limit_bytes) < 0)
				return CLI_EXIT_USAGE;
			break;
		case OPT_SINCE:
			/* kubectl rounds to whole seconds and wants more than 0. */
			if (parse_duration(optarg, &since) < 0 || since > 1e12 ||
			    (a->since = (long long)(since + 0.5)) <= 0) {
				cli_error(PROGRAM,
					  "--since `%s` is not a duration of a second or more (10s, 5m, 1h30m)",
					  optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return -1;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind == argc || argc - optind > 2) {
		cli_error(PROGRAM, "logs needs POD [CONTAINER]; run 'cocoon logs --help'");
		return CLI_EXIT_USAGE;
	}
	a->pod = argv[optind];
	if (strncmp(a->pod, "pod/", 4) == 0 || strncmp(a->pod, "pods/", 5) == 0)
		a->pod = strchr(a->pod, '/') + 1;
	else if (strchr(a->pod, '/')) {
		cli_error(PROGRAM, "`%s`: cocoon logs reads pods (POD or pod/POD)", a->pod);
		return CLI_EXIT_USAGE;
	}
	if (argc - optind == 2) {
		if (a->container) {
			cli_error(PROGRAM, "give the container once: -c %s or %s", a->container, argv[optind + 1]);
			return CLI_EXIT_USAGE;
		}
		a->container = argv[optind + 1];
	}
	return 0;
}

int cmd_logs(int argc, char **argv)
{
	struct kube k;
	kube_init(&k, PROGRAM);
	struct logs_args a;
	int r = parse(argc, argv, &k, &a);
	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	kube_connect(&k);
	/* As kubectl: the pod first, to pick or check the container. */
	_cleanup_json_ json_t *pod = NULL;
	_cleanup_free_ char *name = kube_query_escape(a.pod);
	_cleanup_free_ char *pod_path = cc_xasprintf("/api/v1/namespaces/%s/pods/%s", kube_namespace(&k), name);
	long status;
	if (kube_request(&k, "GET", pod_path, NULL, NULL, NULL, &status, &pod) < 0)
		return CLI_EXIT_FAILURE;
	if (status == 404) {
		fprintf(stderr, "error: error from server (NotFound): pods \"%s\" not found in namespace \"%s\"\n",
			a.pod, kube_namespace(&k));
		return CLI_EXIT_FAILURE;
	}
	if (!a.container) {
		bool several;
		a.container = default_container(pod, &several);
		if (several)
			print_defaulted(pod, a.container);
	} else if (!has_container(pod, a.container)) {
		fprintf(stderr, "error: container %s is not valid for pod %s\n", a.container, a.pod);
		return CLI_EXIT_FAILURE;
	}
	_cleanup_free_ char *path = log_path(&k, &a);
	_cleanup_free_ char *url = cc_xasprintf("%s%s", k.server, path);
	struct cc_http_client_config cfg = k.http;
	cfg.timeout_ms = -1; /* a log may be long, and -f has no end */
	cfg.on_body = write_out;
	struct cc_http_result res;
	struct cc_error err = { 0 };
	if (cc_http_client_request(&cfg, "GET", url, NULL, NULL, 0, &res, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	r = CLI_EXIT_OK;
	if (res.status >= 300) {
		_cleanup_json_ json_t *doc = NULL;
		if (res.body.len && cc_json_parse(res.body.data, res.body.len, res.body.limit, url, &doc, NULL) < 0)
			doc = json_pack("{s:s%}", "message", res.body.data, res.body.len);
		kube_print_status(res.status, doc);
		r = CLI_EXIT_FAILURE;
	}
	cc_http_result_free(&res);
	return r;
}
