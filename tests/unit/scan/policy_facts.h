/* The facts the policy tests judge: one scan report (an image with a config, two packages, three
 * findings, malware, a secret, a misconfiguration) and one Deployment (host network, a hostPath and an
 * emptyDir volume, an init container and two containers set up differently). */
#pragma once

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

#define REPORT                                                                                                         \
	"{\"target\": \"app.tar\","                                                                                    \
	" \"image\": {\"id\": \"sha256:42\", \"repo_tags\": [\"registry.example/team/app:1.2\", \"app:latest\"],"      \
	"   \"config\": {\"created\": \"2024-01-01T00:00:00Z\","                                                       \
	"     \"config\": {\"User\": \"\", \"Env\": [\"PATH=/usr/bin\", \"DB_PASSWORD=from-image\", \"LANG=C\"],"      \
	"                \"ExposedPorts\": {\"22/tcp\": {}, \"8080/tcp\": {}}}}},"                                     \
	" \"os\": {\"id\": \"debian\", \"version_id\": \"12\"},"                                                       \
	" \"packages\": [{\"type\": \"deb\", \"name\": \"gzip\", \"version\": \"1.10-4\"},"                            \
	"                {\"type\": \"deb\", \"name\": \"curl\", \"version\": \"7.88.1-10\"}],"                        \
	" \"findings\": ["                                                                                             \
	"   {\"id\": \"CVE-2022-1271\", \"package\": \"gzip\", \"installed_version\": \"1.10-4\","                     \
	"    \"fixed_version\": \"1.12-1\", \"status\": \"fixed\", \"severity\": \"high\", \"cvss\": 8.8},"            \
	"   {\"id\": \"CVE-2023-0001\", \"package\": \"curl\", \"installed_version\": \"7.88.1-10\","                  \
	"    \"fixed_version\": null, \"status\": \"unfixed\", \"severity\": \"critical\", \"cvss\": {\"score\": "     \
	"9.8}},"                                                                                                       \
	"   {\"id\": \"CVE-2023-0002\", \"package\": \"curl\", \"installed_version\": \"7.88.1-10\","                  \
	"    \"fixed_version\": \"7.88.1-11\", \"status\": \"fixed\", \"severity\": \"low\"}],"                        \
	" \"malware\": [{\"path\": \"/tmp/eicar.com\", \"layer\": \"sha256:ab\", \"signature\": "                      \
	"\"Eicar-Test-Signature\"}],"                                                                                  \
	" \"secrets\": [{\"path\": \"/app/.env\", \"layer\": \"sha256:ab\", \"line\": 3, \"rule\": "                   \
	"\"aws-access-key-id\","                                                                                       \
	"                \"title\": \"AWS Access Key ID\", \"severity\": \"critical\"}],"                              \
	" \"misconfigurations\": [{\"id\": \"IMG-ROOT-USER\", \"title\": \"Image runs as root\", \"severity\": "       \
	"\"medium\","                                                                                                  \
	"                \"category\": \"image-config\", \"message\": \"config.User is empty: the image runs as "      \
	"root\"}]}"

#define BUILD_FACTS "{\"stage\": \"build\", \"now\": \"2025-01-01T00:00:00Z\", \"image\": " REPORT "}"

#define WORKLOAD                                                                                                       \
	"{\"kind\": \"Deployment\", \"namespace\": \"shop\", \"name\": \"web\","                                       \
	" \"labels\": {\"app\": \"web\", \"tier\": \"front\"}, \"annotations\": {\"owner\": \"team-a\"},"              \
	" \"podSpec\": {\"hostNetwork\": true, \"hostPID\": false, \"runtimeClassName\": \"runc\","                    \
	"   \"securityContext\": {\"runAsNonRoot\": true},"                                                            \
	"   \"volumes\": [{\"name\": \"sock\", \"hostPath\": {\"path\": \"/var/run/docker.sock\", \"type\": "          \
	"\"Socket\"}},"                                                                                                \
	"                 {\"name\": \"cache\", \"emptyDir\": {}}],"                                                   \
	"   \"initContainers\": [{\"name\": \"init\", \"image\": \"busybox@" DIGEST "\"}],"                            \
	"   \"containers\": ["                                                                                         \
	"     {\"name\": \"app\", \"image\": \"registry.example/team/app:1.2\","                                       \
	"      \"env\": [{\"name\": \"DB_PASSWORD\", \"value\": \"s3cret\"},"                                          \
	"                {\"name\": \"API_TOKEN\", \"valueFrom\": {\"secretKeyRef\": {\"name\": \"x\", \"key\": "      \
	"\"y\"}}},"                                                                                                    \
	"                {\"name\": \"PATH\", \"value\": \"/bin\"}],"                                                  \
	"      \"ports\": [{\"containerPort\": 8080}],"                                                                \
	"      \"securityContext\": {\"privileged\": true, \"allowPrivilegeEscalation\": false,"                       \
	"        \"readOnlyRootFilesystem\": true,"                                                                    \
	"        \"capabilities\": {\"add\": [\"NET_ADMIN\", \"cap_sys_time\"], \"drop\": [\"ALL\"]}}},"               \
	"     {\"name\": \"sidecar\", \"image\": \"nginx\", \"ports\": [{\"containerPort\": 22}],"                     \
	"      \"securityContext\": {\"runAsNonRoot\": false}}]}}"

/* At deploy the app's image has the report; the sidecar's (nginx) and the init container's none. */
#define DEPLOY_FACTS                                                                                                   \
	"{\"stage\": \"deploy\", \"now\": \"2025-01-01T00:00:00Z\", \"image\": null,"                                  \
	" \"images\": {\"registry.example/team/app:1.2\": " REPORT "}, \"workload\": " WORKLOAD "}"
