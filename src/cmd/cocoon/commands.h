/* The subcommands of the `cocoon` CLI. Each gets argv starting at its own name and returns an
 * exit code (see cli.h). */
#pragma once

int cmd_version(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_attest_agent(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_kms(int argc, char **argv);
int cmd_kbs(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_certs(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_event(int argc, char **argv);
int cmd_yaml2json(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_kubeconfig(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_describe(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_scan_image(int argc, char **argv);
int cmd_scan_node(int argc, char **argv);
int cmd_webhook(int argc, char **argv);
int cmd_scan_config(int argc, char **argv);
int cmd_scan_db(int argc, char **argv);
int cmd_scan_policy(int argc, char **argv);
int cmd_version_compare(int argc, char **argv);
int cmd_scale(int argc, char **argv);
int cmd_scale_plan(int argc, char **argv);
int cmd_scale_simulate(int argc, char **argv);
int cmd_scale_state(int argc, char **argv);
int cmd_scale_trace(int argc, char **argv);
int cmd_scale_provider(int argc, char **argv);
