/* scan/pod_security.c: every check of the Pod Security Standards with a pod that passes and one
 * that fails, the failure in kube-apiserver's exact words (the expected phrases are those the
 * PodSecurity library's own tests, policy/check_*_test.go, expect for the same pods), the order of
 * the checks, restricted's overrides, and the structured form. */
#include "lib/base/cleanup.h"
#include "workload_unit.h"

#include <errno.h>

#define B SCAN_PSS_BASELINE
#define R SCAN_PSS_RESTRICTED

/* What restricted asks of the pod and of each container, for tests of one restricted check. */
#define OK_POD "'securityContext': {'runAsNonRoot': true, 'seccompProfile': {'type': 'RuntimeDefault'}}"
#define OK_SC  "'securityContext': {'allowPrivilegeEscalation': false, 'capabilities': {'drop': ['ALL']}}"

static void test_levels(void **state)
{
	(void)state;
	enum scan_pss_level level = SCAN_PSS_LEVEL_MAX;
	assert_int_equal(scan_pss_level_parse("baseline", &level), 0);
	assert_int_equal(level, SCAN_PSS_BASELINE);
	assert_int_equal(scan_pss_level_parse("restricted", &level), 0);
	assert_int_equal(level, SCAN_PSS_RESTRICTED);
	assert_int_equal(scan_pss_level_parse("privileged", &level), 0);
	assert_int_equal(level, SCAN_PSS_PRIVILEGED);
	assert_int_equal(scan_pss_level_parse("Restricted", &level), -EINVAL);
	assert_int_equal(scan_pss_level_parse("", &level), -EINVAL);
	assert_int_equal(scan_pss_level_parse(NULL, &level), -EINVAL);
	assert_int_equal(level, SCAN_PSS_PRIVILEGED); /* untouched by a refusal */
	assert_string_equal(scan_pss_level_name(SCAN_PSS_BASELINE), "baseline");
	assert_string_equal(scan_pss_level_name(SCAN_PSS_LEVEL_MAX), "invalid");
}

static void test_host_process(void **state)
{
	(void)state;
	UNIT_PSS(NULL,
		 "{'securityContext': {'windowsOptions': {'hostProcess': true}}, 'containers': [{'name': 'a', "
		 "'securityContext': {'windowsOptions': {'hostProcess': true}}}, {'name': 'b'}]}",
		 B,
		 "hostProcess (pod and container \"a\" must not set securityContext.windowsOptions.hostProcess=true)");
	UNIT_PSS(
	    NULL,
	    "{'containers': [{'name': 'a', 'securityContext': {'windowsOptions': {'hostProcess': true}}}], "
	    "'ephemeralContainers': [{'name': 'e', 'securityContext': {'windowsOptions': {'hostProcess': true}}}]}",
	    B, "hostProcess (containers \"a\", \"e\" must not set securityContext.windowsOptions.hostProcess=true)");
	UNIT_PSS_NONE(NULL,
		      "{'securityContext': {'windowsOptions': {'hostProcess': false}}, 'containers': [{'name': 'a', "
		      "'securityContext': {'windowsOptions': {'hostProcess': false, 'runAsUserName': 'x'}}}]}",
		      B);
}

static void test_host_namespaces(void **state)
{
	(void)state;
	UNIT_PSS(NULL, "{'hostIPC': true, 'hostPID': true, 'hostNetwork': true, 'containers': [{'name': 'a'}]}", B,
		 "host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)");
	UNIT_PSS(NULL, "{'hostIPC': true, 'containers': [{'name': 'a'}]}", B, "host namespaces (hostIPC=true)");
	UNIT_PSS_NONE(NULL, "{'hostIPC': false, 'hostPID': false, 'hostNetwork': false, 'containers': [{'name': 'a'}]}",
		      B);
}

static void test_privileged(void **state)
{
	(void)state;
	UNIT_PSS(NULL,
		 "{'initContainers': [{'name': 'init', 'securityContext': {'privileged': true}}], 'containers': "
		 "[{'name': 'a', 'securityContext': {'privileged': true}}, {'name': 'b', 'securityContext': "
		 "{'privileged': false}}], 'ephemeralContainers': [{'name': 'debug', 'securityContext': "
		 "{'privileged': true}}]}",
		 B, "privileged (containers \"init\", \"a\", \"debug\" must not set securityContext.privileged=true)");
	UNIT_PSS(NULL, "{'containers': [{'name': 'a', 'securityContext': {'privileged': true}}]}", B,
		 "privileged (container \"a\" must not set securityContext.privileged=true)");
	UNIT_PSS_NONE(NULL, "{'containers': [{'name': 'a', 'securityContext': {'privileged': false}}, {'name': 'b'}]}",
		      B);
}

static void test_capabilities_baseline(void **state)
{
	(void)state;
	/* Compared as written, as the library compares them: CAP_KILL is not KILL. */
	UNIT_PSS(NULL,
		 "{'containers': [{'name': 'a', 'securityContext': {'capabilities': {'add': ['NET_RAW', 'CHOWN', "
		 "'SYS_ADMIN']}}}, {'name': 'b', 'securityContext': {'capabilities': {'add': ['NET_RAW', "
		 "'CAP_KILL']}}}, {'name': 'c', 'securityContext': {'capabilities': {'add': ['KILL']}}}]}",
		 B,
		 "non-default capabilities (containers \"a\", \"b\" must not include \"CAP_KILL\", \"NET_RAW\", "
		 "\"SYS_ADMIN\" in securityContext.capabilities.add)");
	UNIT_PSS_NONE(NULL,
		      "{'containers': [{'name': 'a', 'securityContext': {'capabilities': {'add': ['AUDIT_WRITE', "
		      "'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', "
		      "'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'], 'drop': ['SYS_ADMIN']}}}]}",
		      B);
}

static void test_host_path_volumes(void **state)
{
	(void)state;
	const char *spec = "{'containers': [{'name': 'a'}], 'volumes': [{'name': 'h1', 'hostPath': {'path': '/'}}, "
			   "{'name': 'e', 'emptyDir': {}}, {'name': 'h2', 'hostPath': {'path': '/etc'}}]}";
	UNIT_PSS(NULL, spec, B, "hostPath volumes (volumes \"h1\", \"h2\")");
	UNIT_PSS(NULL, "{'containers': [{'name': 'a'}], 'volumes': [{'name': 'h1', 'hostPath': {}}]}", B,
		 "hostPath volumes (volume \"h1\")");
	UNIT_PSS_NONE(NULL, "{'containers': [{'name': 'a'}], 'volumes': [{'name': 'h', 'hostPath': null}]}", B);
	/* At restricted the volume-type check replaces it (restrictedVolumes overrides hostPathVolumes). */
	UNIT_PSS(NULL,
		 "{" OK_POD ", 'containers': [{'name': 'a', " OK_SC "}], 'volumes': [{'name': 'h1', 'hostPath': "
		 "{'path': '/'}}]}",
		 R, "restricted volume types (volume \"h1\" uses restricted volume type \"hostPath\")");
}

static void test_host_ports(void **state)
{
	(void)state;
	/* The ports as the library lists them: strings in byte order, so 10 < 8080 < 9. */
	UNIT_PSS(NULL,
		 "{'containers': [{'name': 'a', 'ports': [{'containerPort': 80, 'hostPort': 8080}, {'hostPort': 9}]}, "
		 "{'name': 'b', 'ports': [{'hostPort': 10}, {'hostPort': 8080}]}, {'name': 'c', 'ports': "
		 "[{'containerPort': 1, 'hostPort': 0}]}]}",
		 B, "hostPort (containers \"a\", \"b\" use hostPorts 10, 8080, 9)");
	UNIT_PSS(NULL, "{'initContainers': [{'name': 'a', 'ports': [{'hostPort': 8080}]}]}", B,
		 "hostPort (container \"a\" uses hostPort 8080)");
	UNIT_PSS_NONE(NULL, "{'containers': [{'name': 'a', 'ports': [{'containerPort': 80}, {'hostPort': 0}]}]}", B);
}

static void test_apparmor(void **state)
{
	(void)state;
	UNIT_PSS("{'annotations': {'container.apparmor.security.beta.kubernetes.io/c': 'unconfined', "
		 "'container.apparmor.security.beta.kubernetes.io/d': 'runtime/default', "
		 "'container.apparmor.security.beta.kubernetes.io/e': 'localhost/x', 'other': 'unconfined'}}",
		 "{'securityContext': {'appArmorProfile': {'type': 'Unconfined'}}, 'containers': [{'name': 'a', "
		 "'securityContext': {'appArmorProfile': {'type': 'Localhost', 'localhostProfile': 'p'}}}, "
		 "{'name': 'b', 'securityContext': {'appArmorProfile': {'type': 'Unconfined'}}}, {'name': 'c'}]}",
		 B,
		 "forbidden AppArmor profiles (pod and container \"b\" and annotation must not set AppArmor profile "
		 "type to \"Unconfined\", \"container.apparmor.security.beta.kubernetes.io/c=\"unconfined\"\")");
	UNIT_PSS(NULL, "{'containers': [{'name': 'a', 'securityContext': {'appArmorProfile': {}}}]}", B,
		 "forbidden AppArmor profile (container \"a\" must not set AppArmor profile type to \"\")");
	/* The annotation's value is quoted as Go's %q quotes it. */
	UNIT_PSS("{'annotations': {'container.apparmor.security.beta.kubernetes.io/b': 'x', "
		 "'container.apparmor.security.beta.kubernetes.io/a': 'un\\u0022con\\nfined'}}",
		 "{'containers': [{'name': 'a'}]}", B,
		 "forbidden AppArmor profiles (annotations must not set AppArmor profile type to "
		 "\"container.apparmor.security.beta.kubernetes.io/a=\"un\\\"con\\nfined\"\", "
		 "\"container.apparmor.security.beta.kubernetes.io/b=\"x\"\")");
	UNIT_PSS_NONE("{'annotations': {'container.apparmor.security.beta.kubernetes.io/a': 'runtime/default', "
		      "'container.apparmor.security.beta.kubernetes.io/b': 'localhost/profile', "
		      "'container.apparmor.security.beta.kubernetes.io/c': ''}}",
		      "{'securityContext': {'appArmorProfile': {'type': 'RuntimeDefault'}}, 'containers': [{'name': "
		      "'a', 'securityContext': {'appArmorProfile': {'type': 'Localhost', 'localhostProfile': 'p'}}}]}",
		      B);
}

static void test_selinux(void **state)
{
	(void)state;
	UNIT_PSS(NULL,
		 "{'securityContext': {'seLinuxOptions': {'type': 'spc_t'}}, 'containers': [{'name': 'a', "
		 "'securityContext': {'seLinuxOptions': {'user': 'system_u'}}}, {'name': 'b', 'securityContext': "
		 "{'seLinuxOptions': {'role': 'system_r', 'type': 'container_t'}}}, {'name': 'c', 'securityContext': "
		 "{'seLinuxOptions': {'type': 'container_engine_t', 'level': 's0:c1,c2'}}}]}",
		 B,
		 "seLinuxOptions (pod and containers \"a\", \"b\" set forbidden securityContext.seLinuxOptions: type "
		 "\"spc_t\"; user may not be set; role may not be set)");
	UNIT_PSS(NULL, "{'containers': [{'name': 'a', 'securityContext': {'seLinuxOptions': {'user': 'u'}}}]}", B,
		 "seLinuxOptions (container \"a\" set forbidden securityContext.seLinuxOptions: user may not be set)");
	UNIT_PSS(NULL,
		 "{'containers': [{'name': 'a', 'securityContext': {'seLinuxOptions': {'type': 'y_t'}}}, {'name': "
		 "'b', 'securityContext': {'seLinuxOptions': {'type': 'x_t'}}}]}",
		 B,
		 "seLinuxOptions (containers \"a\", \"b\" set forbidden securityContext.seLinuxOptions: types \"x_t\", "
		 "\"y_t\")");
	UNIT_PSS_NONE(NULL,
		      "{'securityContext': {'seLinuxOptions': {'level': 's0:c1'}}, 'containers': [{'name': 'a', "
		      "'securityContext': {'seLinuxOptions': {'type': 'container_t'}}}, {'name': 'b', "
		      "'securityContext': {'seLinuxOptions': {'type': 'container_init_t'}}}, {'name': 'c', "
		      "'securityContext': {'seLinuxOptions': {'type': 'container_kvm_t'}}}, {'name': 'd', "
		      "'securityContext': {'seLinuxOptions': {'type': 'container_engine_t', 'user': ''}}}]}",
		      B);
}

static void test_proc_mount(void **state)
{
	(void)state;
	UNIT_PSS(NULL,
		 "{'containers': [{'name': 'a', 'securityContext': {'procMount': 'Unmasked'}}, {'name': 'b', "
		 "'securityContext': {'procMount': 'Default'}}, {'name': 'c', 'securityContext': {'procMount': ''}}]}",
		 B, "procMount (containers \"a\", \"c\" must not set securityContext.procMount to \"\", \"Unmasked\")");
	UNIT_PSS_NONE(NULL,
		      "{'containers': [{'name': 'a', 'securityContext': {'procMount': 'Default'}}, {'name': 'b'}]}", B);
}

static void test_seccomp_baseline(void **state)
{
	(void)state;
	UNIT_PSS(NULL,
		 "{'securityContext': {'seccompProfile': {'type': 'Unconfined'}}, 'containers': [{'name': 'a', "
		 "'securityContext': {'seccompProfile': {'type': 'Unconfined'}}}, {'name': 'b', 'securityContext': "
		 "{'seccompProfile': {'type': 'RuntimeDefault'}}}, {'name': 'c', 'securityContext': {'seccompProfile': "
		 "{'type': 'Localhost', 'localhostProfile': 'p.json'}}}, {'name': 'd', 'securityContext': "
		 "{'seccompProfile': {}}}]}",
		 B,
		 "seccompProfile (pod and containers \"a\", \"d\" must not set securityContext.seccompProfile.type to "
		 "\"\", \"Unconfined\")");
	/* The deprecated annotations asking for unconfined are judged as the fields they become. */
	UNIT_PSS("{'annotations': {'seccomp.security.alpha.kubernetes.io/pod': 'unconfined', "
		 "'container.seccomp.security.alpha.kubernetes.io/a': 'unconfined', "
		 "'container.seccomp.security.alpha.kubernetes.io/b': 'unconfined'}}",
		 "{'containers': [{'name': 'a', 'securityContext': {'seccompProfile': {'type': 'RuntimeDefault'}}}, "
		 "{'name': 'b'}]}",
		 B,
		 "seccompProfile (pod and container \"b\" must not set securityContext.seccompProfile.type to "
		 "\"Unconfined\")");
	/* A field set wins over its annotation. */
	UNIT_PSS_NONE(
	    "{'annotations': {'seccomp.security.alpha.kubernetes.io/pod': 'unconfined'}}",
	    "{'securityContext': {'seccompProfile': {'type': 'RuntimeDefault'}}, 'containers': [{'name': 'a'}]}", B);
	UNIT_PSS_NONE("{'annotations': {'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default'}}",
		      "{'containers': [{'name': 'a'}, {'name': 'b', 'securityContext': {'seccompProfile': {'type': "
		      "'Localhost', 'localhostProfile': 'x'}}}]}",
		      B);
}

static void test_sysctls(void **state)
{
	(void)state;
	UNIT_PSS(NULL,
		 "{'securityContext': {'sysctls': [{'name': 'kernel.shm_rmid_forced', 'value': '0'}, {'name': "
		 "'kernel.msgmax', 'value': '1'}, {'name': 'net.ipv4.tcp_wmem', 'value': '4096 16384 4194304'}, "
		 "{'name': 'net.core.somaxconn', 'value': '1024'}]}, 'containers': [{'name': 'a'}]}",
		 B, "forbidden sysctls (kernel.msgmax, net.core.somaxconn)");
	UNIT_PSS_NONE(
	    NULL,
	    "{'securityContext': {'sysctls': [{'name': 'kernel.shm_rmid_forced'}, {'name': "
	    "'net.ipv4.ip_local_port_range'}, {'name': 'net.ipv4.tcp_syncookies'}, {'name': "
	    "'net.ipv4.ping_group_range'}, {'name': 'net.ipv4.ip_unprivileged_port_start'}, {'name': "
	    "'net.ipv4.ip_local_reserved_ports'}, {'name': 'net.ipv4.tcp_keepalive_time'}, {'name': "
	    "'net.ipv4.tcp_fin_timeout'}, {'name': 'net.ipv4.tcp_keepalive_intvl'}, {'name': "
	    "'net.ipv4.tcp_keepalive_probes'}, {'name': 'net.ipv4.tcp_rmem'}, {'name': 'net.ipv4.tcp_wmem'}]}, "
	    "'containers': [{'name': 'a'}]}",
	    B);
}

static void test_probe_hosts(void **state)
{
	(void)state;
	UNIT_PSS(NULL,
		 "{'initContainers': [{'name': 'i', 'startupProbe': {'httpGet': {'host': '', 'port': 80}}}], "
		 "'containers': [{'name': 'b', 'livenessProbe': {'httpGet': {'host': 'example.com', 'port': 80}}}, "
		 "{'name': 'a', 'readinessProbe': {'tcpSocket': {'host': '10.0.0.1', 'port': 22}}, 'lifecycle': "
		 "{'preStop': {'httpGet': {'host': 'example.com', 'port': 80}}}}]}",
		 B,
		 "probe or lifecycle host (containers \"a\", \"b\" use probe or lifecycle hosts \"10.0.0.1\", "
		 "\"example.com\")");
	UNIT_PSS(NULL,
		 "{'containers': [{'name': 'a', 'lifecycle': {'postStart': {'tcpSocket': {'host': 'example.com'}}}}]}",
		 B, "probe or lifecycle host (container \"a\" uses probe or lifecycle host \"example.com\")");
	UNIT_PSS_NONE(NULL,
		      "{'containers': [{'name': 'a', 'livenessProbe': {'httpGet': {'port': 80}}, 'readinessProbe': "
		      "{'exec': {'command': ['true']}}, 'lifecycle': {'preStop': {'sleep': {'seconds': 1}}}}]}",
		      B);
}

static void test_restricted_volumes(void **state)
{
	(void)state;
	UNIT_PSS(NULL,
		 "{" OK_POD ", 'containers': [{'name': 'a', " OK_SC "}], 'volumes': [{'name': 'n', 'nfs': {'server': "
		 "'x', 'path': '/'}}, {'name': 'h', 'hostPath': {'path': '/'}}, {'name': 'w', 'weird': {}}, {'name': "
		 "'c', 'configMap': {'name': 'x'}}, {'name': 'e', 'emptyDir': null, 'gitRepo': {'repository': 'x'}}]}",
		 R,
		 "restricted volume types (volumes \"n\", \"h\", \"w\", \"e\" use restricted volume types \"gitRepo\", "
		 "\"hostPath\", \"nfs\", \"unknown\")");
	UNIT_PSS_NONE(NULL,
		      "{" OK_POD ", 'containers': [{'name': 'a', " OK_SC "}], 'volumes': [{'name': 'a', 'configMap': "
		      "{}}, {'name': 'b', 'csi': {'driver': 'x'}}, {'name': 'c', 'downwardAPI': {}}, {'name': 'd', "
		      "'emptyDir': {}}, {'name': 'e', 'ephemeral': {}}, {'name': 'f', 'image': {'reference': 'x'}}, "
		      "{'name': 'g', 'persistentVolumeClaim': {'claimName': 'x'}}, {'name': 'h', 'projected': {}}, "
		      "{'name': 'i', 'secret': {'secretName': 'x'}}]}",
		      R);
	/* Not a baseline check. */
	UNIT_PSS_NONE(NULL, "{'containers': [{'name': 'a'}], 'volumes': [{'name': 'n', 'nfs': {}}]}", B);
}

static void test_privilege_escalation(void **state)
{
	(void)state;
	UNIT_PSS(NULL,
		 "{" OK_POD ", 'containers': [{'name': 'a', 'securityContext': {'capabilities': {'drop': ['ALL']}}}, "
		 "{'name': 'b', 'securityContext': {'allowPrivilegeEscalation': true, 'capabilities': {'drop': "
		 "['ALL']}}}, {'name': 'c', " OK_SC "}]}",
		 R,
		 "allowPrivilegeEscalation != false (containers \"a\", \"b\" must set "
		 "securityContext.allowPrivilegeEscalation=false)");
	UNIT_PSS_NONE(NULL, "{" OK_POD ", 'containers': [{'name': 'c', " OK_SC "}]}", R);
	/* Windows pods are exempt from it, from seccomp and from the capabilities (1.25). */
	UNIT_PSS_NONE(NULL,
		      "{'os': {'name': 'windows'}, 'securityContext': {'runAsNonRoot': true}, 'containers': "
		      "[{'name': 'a'}]}",
		      R);
}

static void test_capabilities_restricted(void **state)
{
	(void)state;
	const char *spec = "{" OK_POD ", 'containers': [{'name': 'a', 'securityContext': {'allowPrivilegeEscalation': "
			   "false, 'capabilities': {'drop': ['ALL'], 'add': ['NET_BIND_SERVICE']}}}, {'name': 'b', "
			   "'securityContext': {'allowPrivilegeEscalation': false, 'capabilities': {'drop': ['all'], "
			   "'add': ['SYS_TIME', 'NET_BIND_SERVICE']}}}, {'name': 'c', 'securityContext': "
			   "{'allowPrivilegeEscalation': false}}]}";
	UNIT_PSS(
	    NULL, spec, R,
	    "unrestricted capabilities (containers \"b\", \"c\" must set securityContext.capabilities.drop=[\"ALL\"]; "
	    "container \"b\" must not include \"SYS_TIME\" in securityContext.capabilities.add)");
	/* Baseline judges the same pod by the default set; restricted overrides that check. */
	UNIT_PSS(NULL, spec, B,
		 "non-default capabilities (container \"b\" must not include \"SYS_TIME\" in "
		 "securityContext.capabilities.add)");
	UNIT_PSS(NULL,
		 "{" OK_POD ", 'containers': [{'name': 'a', 'securityContext': {'allowPrivilegeEscalation': false, "
		 "'capabilities': {'drop': ['ALL'], 'add': ['CHOWN']}}}]}",
		 R,
		 "unrestricted capabilities (container \"a\" must not include \"CHOWN\" in "
		 "securityContext.capabilities.add)");
}

static void test_run_as_non_root(void **state)
{
	(void)state;
	UNIT_PSS(NULL,
		 "{'securityContext': {'runAsNonRoot': false, 'seccompProfile': {'type': 'RuntimeDefault'}}, "
		 "'containers': [{'name': 'a', " OK_SC "}, {'name': 'b', 'securityContext': {'runAsNonRoot': false, "
		 "'allowPrivilegeEscalation': false, 'capabilities': {'drop': ['ALL']}}}]}",
		 R, "runAsNonRoot != true (pod and container \"b\" must not set securityContext.runAsNonRoot=false)");
	UNIT_PSS(NULL,
		 "{'securityContext': {'seccompProfile': {'type': 'RuntimeDefault'}}, 'containers': [{'name': 'a', "
		 "'securityContext': {'runAsNonRoot': true, 'allowPrivilegeEscalation': false, 'capabilities': "
		 "{'drop': ['ALL']}}}, {'name': 'b', " OK_SC "}]}",
		 R, "runAsNonRoot != true (pod or container \"b\" must set securityContext.runAsNonRoot=true)");
	/* hostUsers: false does not relax it (that relaxation sat behind an alpha gate through 1.34). */
	UNIT_PSS(NULL,
		 "{'hostUsers': false, 'securityContext': {'seccompProfile': {'type': 'RuntimeDefault'}}, "
		 "'containers': [{'name': 'a', " OK_SC "}]}",
		 R, "runAsNonRoot != true (pod or container \"a\" must set securityContext.runAsNonRoot=true)");
	UNIT_PSS_NONE(NULL, "{" OK_POD ", 'containers': [{'name': 'a', " OK_SC "}]}", R);
	UNIT_PSS_NONE(NULL, "{'containers': [{'name': 'a'}]}", B);
}

static void test_run_as_user(void **state)
{
	(void)state;
	UNIT_PSS(
	    NULL,
	    "{'securityContext': {'runAsUser': 0, 'runAsNonRoot': true, 'seccompProfile': {'type': "
	    "'RuntimeDefault'}}, 'containers': [{'name': 'a', 'securityContext': {'runAsUser': 0, "
	    "'allowPrivilegeEscalation': false, 'capabilities': {'drop': ['ALL']}}}, {'name': 'b', 'securityContext': "
	    "{'runAsUser': 1000, 'allowPrivilegeEscalation': false, 'capabilities': {'drop': ['ALL']}}}]}",
	    R, "runAsUser=0 (pod and container \"a\" must not set runAsUser=0)");
	UNIT_PSS_NONE(NULL,
		      "{'securityContext': {'runAsUser': 1000, 'runAsNonRoot': true, 'seccompProfile': {'type': "
		      "'RuntimeDefault'}}, 'containers': [{'name': 'a', " OK_SC "}]}",
		      R);
}

static void test_seccomp_restricted(void **state)
{
	(void)state;
	UNIT_PSS(NULL,
		 "{'securityContext': {'runAsNonRoot': true}, 'containers': [{'name': 'a', 'securityContext': "
		 "{'seccompProfile': {'type': 'RuntimeDefault'}, 'allowPrivilegeEscalation': false, 'capabilities': "
		 "{'drop': ['ALL']}}}, {'name': 'b', " OK_SC "}]}",
		 R,
		 "seccompProfile (pod or container \"b\" must set securityContext.seccompProfile.type to "
		 "\"RuntimeDefault\" or \"Localhost\")");
	/* An explicit bad value is named instead of the missing ones; one message, not baseline's too. */
	UNIT_PSS(NULL,
		 "{'securityContext': {'runAsNonRoot': true, 'seccompProfile': {'type': 'Unconfined'}}, 'containers': "
		 "[{'name': 'a', " OK_SC "}]}",
		 R, "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")");
	UNIT_PSS("{'annotations': {'seccomp.security.alpha.kubernetes.io/pod': 'unconfined'}}",
		 "{'securityContext': {'runAsNonRoot': true}, 'containers': [{'name': 'a', " OK_SC "}]}", R,
		 "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")");
	/* An annotation naming an allowed profile does not stand in for the field cocoond applies. */
	UNIT_PSS("{'annotations': {'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default'}}",
		 "{'securityContext': {'runAsNonRoot': true}, 'containers': [{'name': 'a', " OK_SC "}]}", R,
		 "seccompProfile (pod or container \"a\" must set securityContext.seccompProfile.type to "
		 "\"RuntimeDefault\" or \"Localhost\")");
	UNIT_PSS_NONE(NULL,
		      "{'securityContext': {'runAsNonRoot': true, 'seccompProfile': {'type': 'Localhost', "
		      "'localhostProfile': 'p.json'}}, 'containers': [{'name': 'a', " OK_SC "}]}",
		      R);
}

/* The order kube-apiserver lists them in: baseline checks by id, then restricted ones by id. */
static void test_order(void **state)
{
	(void)state;
	/* The pod `kubectl run rooted --image=busybox` makes, refused under restricted (pod_security.bats). */
	UNIT_PSS(
	    NULL, "{'containers': [{'name': 'rooted', 'image': 'busybox'}]}", R,
	    "allowPrivilegeEscalation != false (container \"rooted\" must set "
	    "securityContext.allowPrivilegeEscalation=false)",
	    "unrestricted capabilities (container \"rooted\" must set securityContext.capabilities.drop=[\"ALL\"])",
	    "runAsNonRoot != true (pod or container \"rooted\" must set securityContext.runAsNonRoot=true)",
	    "seccompProfile (pod or container \"rooted\" must set securityContext.seccompProfile.type to "
	    "\"RuntimeDefault\" or \"Localhost\")");
	UNIT_PSS("{'annotations': {'container.apparmor.security.beta.kubernetes.io/a': 'unconfined'}}",
		 "{'hostPID': true, 'securityContext': {'sysctls': [{'name': 'vm.x'}], 'seccompProfile': {'type': "
		 "'Unconfined'}, 'windowsOptions': {'hostProcess': true}, 'seLinuxOptions': {'role': 'r'}}, "
		 "'volumes': [{'name': 'h', 'hostPath': {}}], 'containers': [{'name': 'a', 'ports': [{'hostPort': "
		 "1}], 'livenessProbe': {'httpGet': {'host': 'x'}}, 'securityContext': {'privileged': true, "
		 "'procMount': 'Unmasked', 'capabilities': {'add': ['NET_RAW']}}}]}",
		 B,
		 "forbidden AppArmor profile (annotation must not set AppArmor profile type to "
		 "\"container.apparmor.security.beta.kubernetes.io/a=\"unconfined\"\")",
		 "non-default capabilities (container \"a\" must not include \"NET_RAW\" in "
		 "securityContext.capabilities.add)",
		 "host namespaces (hostPID=true)", "hostPath volumes (volume \"h\")",
		 "hostPort (container \"a\" uses hostPort 1)",
		 "probe or lifecycle host (container \"a\" uses probe or lifecycle host \"x\")",
		 "privileged (container \"a\" must not set securityContext.privileged=true)",
		 "procMount (container \"a\" must not set securityContext.procMount to \"Unmasked\")",
		 "seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: role may not be set)",
		 "seccompProfile (pod must not set securityContext.seccompProfile.type to \"Unconfined\")",
		 "forbidden sysctls (vm.x)",
		 "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)");
}

static void test_structured_fields(void **state)
{
	(void)state;
	json_t *spec = unit_json("{'hostNetwork': true, 'containers': [{'name': 'a'}, {'name': 'b', 'securityContext': "
				 "{'privileged': true}}]}");
	json_t *found = scan_pss_check(NULL, spec, R);
	const char *checks[] = { "hostNamespaces",          "privileged",   "allowPrivilegeEscalation",
				 "capabilities_restricted", "runAsNonRoot", "seccompProfile_restricted" };
	assert_int_equal(json_array_size(found), CC_ARRAY_SIZE(checks));
	for (size_t i = 0; i < CC_ARRAY_SIZE(checks); i++)
		unit_assert_json_str(json_array_get(found, i), "check", checks[i]);
	json_t *hn = json_array_get(found, 0), *priv = json_array_get(found, 1), *ape = json_array_get(found, 2);
	unit_assert_json_str(hn, "level", "baseline");
	unit_assert_json_str(hn, "reason", "host namespaces");
	unit_assert_json_str(hn, "detail", "hostNetwork=true");
	unit_assert_json_str(hn, "message", "host namespaces (hostNetwork=true)");
	assert_string_equal(json_string_value(json_array_get(json_object_get(hn, "fields"), 0)), "spec.hostNetwork");
	assert_int_equal(json_array_size(json_object_get(hn, "containers")), 0);
	unit_assert_json_str(priv, "level", "baseline");
	assert_int_equal(json_array_size(json_object_get(priv, "containers")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(priv, "containers"), 0)), "b");
	assert_string_equal(json_string_value(json_array_get(json_object_get(priv, "fields"), 0)),
			    "spec.containers[1].securityContext.privileged");
	unit_assert_json_str(ape, "level", "restricted");
	assert_int_equal(json_array_size(json_object_get(ape, "containers")), 2);
	assert_int_equal(json_array_size(json_object_get(ape, "fields")), 2);
	/* The implicit restricted failures point at the pod's field, where one line fixes them all. */
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(found, 4), "fields"), 0)),
			    "spec.securityContext.runAsNonRoot");
	json_decref(found);
	json_decref(spec);

	json_t *meta = unit_json("{'annotations': {'container.apparmor.security.beta.kubernetes.io/a': 'unconfined'}}");
	spec = unit_json("{'containers': [{'name': 'a'}]}");
	found = scan_pss_check(meta, spec, B);
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(found, 0), "fields"), 0)),
			    "metadata.annotations[container.apparmor.security.beta.kubernetes.io/a]");
	json_decref(found);
	json_decref(spec);
	json_decref(meta);
}

static void test_no_pod(void **state)
{
	(void)state;
	json_t *bad =
	    unit_json("{'containers': [{'name': 'a', 'securityContext': {'privileged': true}}], 'hostPID': true}");
	json_t *found = scan_pss_violations(bad, SCAN_PSS_PRIVILEGED);
	assert_int_equal(json_array_size(found), 0);
	json_decref(found);
	found = scan_pss_violations(bad, SCAN_PSS_LEVEL_MAX);
	assert_int_equal(json_array_size(found), 0);
	json_decref(found);
	/* The spec-only form is the pod form without annotations. */
	found = scan_pss_violations(bad, B);
	json_t *same = scan_pss_pod_violations(NULL, bad, B);
	assert_true(json_equal(found, same));
	assert_int_equal(json_array_size(found), 2);
	json_decref(found);
	json_decref(same);
	json_decref(bad);
	json_t *list = unit_json("[1, 2]");
	found = scan_pss_violations(list, R);
	assert_int_equal(json_array_size(found), 0);
	json_decref(found);
	json_decref(list);
	found = scan_pss_violations(NULL, R);
	assert_int_equal(json_array_size(found), 0);
	json_decref(found);
}

/* What a Go decoder would refuse reads as absent; an odd profile type reads as "". */
static void test_wrong_types(void **state)
{
	(void)state;
	UNIT_PSS_NONE("{'annotations': 'x'}",
		      "{'hostPID': 'true', 'containers': {'name': 'a'}, 'volumes': 'x', 'securityContext': "
		      "{'sysctls': 'x'}}",
		      B);
	UNIT_PSS_NONE(NULL,
		      "{'containers': [{'name': 'a', 'securityContext': {'privileged': 'true', 'capabilities': "
		      "{'add': 'SYS_ADMIN'}}, 'ports': [{'hostPort': '80'}]}, 7, null]}",
		      B);
	UNIT_PSS(NULL, "{'containers': [{'name': 'a', 'securityContext': {'seccompProfile': {'type': 5}}}]}", B,
		 "seccompProfile (container \"a\" must not set securityContext.seccompProfile.type to \"\")");
	UNIT_PSS(NULL, "{'containers': [{'securityContext': {'privileged': true}}]}", B,
		 "privileged (container \"\" must not set securityContext.privileged=true)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_host_process),
		cmocka_unit_test(test_host_namespaces),
		cmocka_unit_test(test_privileged),
		cmocka_unit_test(test_capabilities_baseline),
		cmocka_unit_test(test_host_path_volumes),
		cmocka_unit_test(test_host_ports),
		cmocka_unit_test(test_apparmor),
		cmocka_unit_test(test_selinux),
		cmocka_unit_test(test_proc_mount),
		cmocka_unit_test(test_seccomp_baseline),
		cmocka_unit_test(test_sysctls),
		cmocka_unit_test(test_probe_hosts),
		cmocka_unit_test(test_restricted_volumes),
		cmocka_unit_test(test_privilege_escalation),
		cmocka_unit_test(test_capabilities_restricted),
		cmocka_unit_test(test_run_as_non_root),
		cmocka_unit_test(test_run_as_user),
		cmocka_unit_test(test_seccomp_restricted),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_structured_fields),
		cmocka_unit_test(test_no_pod),
		cmocka_unit_test(test_wrong_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
