/* The --change parser of cocoon image import (src/image/change.c): each instruction's forms, the
 * Dockerfile quoting of ENV and LABEL, and the errors, which leave the config as it was. */
#include "image/import.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "unit.h"

#include <errno.h>

/* Applies the changes in order to a fresh config and returns it as canonical JSON. */
static char *apply(const char *const *changes)
{
	json_t *config = json_object();
	for (const char *const *c = changes; *c; c++) {
		struct cc_error err = { 0 };
		int r = image_change_apply(config, *c, &err);
		if (r < 0)
			fail_msg("%s: %s", *c, cc_error_message(&err));
	}
	char *text = cc_json_canonical(config);
	json_decref(config);
	return text;
}

#define assert_applies(expected, ...)                                                                                  \
	do {                                                                                                           \
		const char *const changes_[] = { __VA_ARGS__, NULL };                                                  \
		char *got_ = apply(changes_);                                                                          \
		assert_string_equal(got_, expected);                                                                   \
		free(got_);                                                                                            \
	} while (0)

/* The error for change, and that config was not touched. */
static void assert_refused(const char *change, const char *words)
{
	json_t *config = json_pack("{s:[s], s:s}", "Env", "KEEP=1", "WorkingDir", "/w");
	struct cc_error err = { 0 };
	int r = image_change_apply(config, change, &err);
	assert_int_equal(r, -err.code);
	assert_true(err.code == EINVAL || err.code == EFBIG);
	if (!strstr(cc_error_message(&err), words))
		fail_msg("`%s`: `%s` does not say `%s`", change, cc_error_message(&err), words);
	char *text = cc_json_canonical(config);
	assert_string_equal(text, "{\"Env\":[\"KEEP=1\"],\"WorkingDir\":\"/w\"}");
	free(text);
	json_decref(config);
}

static void test_env(void **state)
{
	assert_applies("{\"Env\":[\"PATH=/bin\"]}", "ENV PATH=/bin");
	/* Several pairs, quotes and escapes as the Dockerfile reference has them. */
	assert_applies("{\"Env\":[\"A=1\",\"B=two words\",\"C=it's\",\"D=a\\\"b\",\"E=\"]}",
		       "ENV A=1 B=\"two words\" C=it\\'s D='a\"b' E=");
	/* The older form: the rest of the line is the value. */
	assert_applies("{\"Env\":[\"GREETING=hello big   world\"]}", "ENV GREETING hello big   world");
	/* A name set again is replaced where it was; podman's INSTRUCTION=VALUE form; any case. */
	assert_applies("{\"Env\":[\"A=3\",\"B=2\"]}", "ENV A=1", "env B=2", "ENV=A=3");
	/* A value may hold `=`; `\=` in a name is a literal. */
	assert_applies("{\"Env\":[\"OPTS=-Dx=y\"]}", "ENV OPTS=-Dx=y");
	assert_refused("ENV", "ENV needs NAME=VALUE");
	assert_refused("ENV A", "ENV A needs a value");
	assert_refused("ENV A=1 B", "`B` is not NAME=VALUE");
	assert_refused("ENV =1", "empty name");
	assert_refused("ENV A=\"open", "a \" is not closed");
	assert_refused("ENV A='open", "a ' is not closed");
}

static void test_cmd_entrypoint(void **state)
{
	assert_applies("{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo hi\"]}", "CMD [\"/bin/sh\", \"-c\", \"echo hi\"]");
	assert_applies("{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo hi && exit 3\"]}", "CMD echo hi && exit 3");
	/* Not an array of strings: the shell form, as Docker does. */
	assert_applies("{\"Cmd\":[\"/bin/sh\",\"-c\",\"[1, 2]\"]}", "CMD [1, 2]");
	assert_applies("{\"Entrypoint\":[\"/bin/app\",\"--serve\"]}", "ENTRYPOINT [\"/bin/app\",\"--serve\"]");
	assert_applies("{\"Cmd\":[\"sh\"],\"Entrypoint\":[]}", "ENTRYPOINT [\"x\"]", "CMD=[\"sh\"]", "ENTRYPOINT []");
	assert_refused("CMD", "CMD needs a command");
	assert_refused("ENTRYPOINT   ", "ENTRYPOINT needs a command");
}

static void test_workdir_user(void **state)
{
	assert_applies("{\"WorkingDir\":\"/tmp\"}", "WORKDIR /tmp");
	assert_applies("{\"WorkingDir\":\"/a/b/d\"}", "WORKDIR /a", "WORKDIR b/c/", "WORKDIR ../d/.");
	assert_applies("{\"WorkingDir\":\"/srv\"}", "WORKDIR srv");
	assert_applies("{\"WorkingDir\":\"/\"}", "WORKDIR /../..");
	assert_applies("{\"User\":\"1000:1000\"}", "USER 1000:1000");
	assert_refused("WORKDIR", "WORKDIR needs a path");
	assert_refused("USER", "USER takes one");
	assert_refused("USER a b", "USER takes one");
}

static void test_expose(void **state)
{
	assert_applies("{\"ExposedPorts\":{\"443/udp\":{},\"80/tcp\":{},\"81/sctp\":{}}}", "EXPOSE 80",
		       "EXPOSE 443/UDP 81/sctp");
	assert_applies("{\"ExposedPorts\":{\"7000/tcp\":{},\"7001/tcp\":{},\"7002/tcp\":{}}}", "EXPOSE 7000-7002/tcp");
	assert_refused("EXPOSE", "EXPOSE needs a port");
	assert_refused("EXPOSE 0", "`0` is not PORT");
	assert_refused("EXPOSE 65536", "`65536` is not PORT");
	assert_refused("EXPOSE 80/icmp", "`80/icmp` is not PORT");
	assert_refused("EXPOSE 80 http", "`http` is not PORT");
	assert_refused("EXPOSE 90-80", "`90-80` is not PORT");
	assert_refused("EXPOSE 80/", "`80/` is not PORT");
	assert_refused("EXPOSE 1-65535", "more than 4096 ports");
}

static void test_label_volume_stopsignal(void **state)
{
	assert_applies("{\"Labels\":{\"a\":\"b\",\"org.example.team\":\"red team\",\"v\":\"1\"}}", "LABEL a=b",
		       "LABEL org.example.team=\"red team\" v=1");
	assert_applies("{\"Labels\":{\"description\":\"a small image\"}}", "LABEL description a small image");
	assert_applies("{\"Volumes\":{\"/data\":{},\"/var/log\":{}}}", "VOLUME /data", "VOLUME [\"/var/log\"]");
	assert_applies("{\"StopSignal\":\"SIGINT\"}", "STOPSIGNAL SIGINT");
	assert_refused("LABEL", "LABEL needs NAME=VALUE");
	assert_refused("VOLUME data", "not an absolute path");
	assert_refused("VOLUME [\"/a\", 1]", "not a JSON array");
	assert_refused("STOPSIGNAL SIG TERM", "STOPSIGNAL takes one signal");
}

static void test_instruction(void **state)
{
	assert_refused("RUN make", "not an instruction cocoon image import applies");
	assert_refused("FROM busybox", "not an instruction");
	assert_refused("", "not an instruction");
	assert_refused("  ENV A=1", "not an instruction");
	assert_refused("ENVA=1 B", "not an instruction");
	assert_refused("ENV:A=1", "not an instruction");
	assert_refused("ENV A=\xff", "not UTF-8");
	char *big = cc_xcalloc(1, IMAGE_CHANGE_MAX_SIZE + 8);
	memcpy(big, "ENV A=", 6);
	memset(big + 6, 'x', IMAGE_CHANGE_MAX_SIZE);
	assert_refused(big, "longer than");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_cmd_entrypoint),
		cmocka_unit_test(test_workdir_user),
		cmocka_unit_test(test_expose),
		cmocka_unit_test(test_label_volume_stopsignal),
		cmocka_unit_test(test_instruction),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
