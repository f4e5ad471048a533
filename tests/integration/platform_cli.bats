#!/usr/bin/env bats
# cocoon get / apply / delete against cocoond's Kubernetes API: the everyday verbs on a host without
# kubectl (this file needs none).

load helpers/common

setup() {
	TMP="$(mktemp -d)"
	PORT="$(free_port)"
	start_cocoond "$TMP/data" "$PORT"
}

teardown() {
	stop_cocoond
	rm -rf "$TMP"
}

@test "platform: cocoon get, apply and delete work without kubectl, with kubectl's output shapes" {
	run "$COCOON" apply --server "https://127.0.0.1:$PORT" --pki "$TMP/data/pki" -f "$BATS_TEST_DIRNAME/../../examples/confidential-web.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "secret/web-tls-key created" ]
	[ "${lines[1]}" = "deployment.apps/confidential-web created" ]
	run "$COCOON" apply --server "https://127.0.0.1:$PORT" --pki "$TMP/data/pki" -f "$BATS_TEST_DIRNAME/../../examples/confidential-web.yaml"
	[ "${lines[1]}" = "deployment.apps/confidential-web unchanged" ]
	for _ in $(seq 1 50); do [ "$("$COCOON" get --server "https://127.0.0.1:$PORT" --pki "$TMP/data/pki" po -o name | wc -l)" -eq 2 ] && break; sleep 0.1; done
	run "$COCOON" get --server "https://127.0.0.1:$PORT" --pki "$TMP/data/pki" deploy
	echo "$output"
	[[ "${lines[0]}" == "NAME"*"READY"*"UP-TO-DATE"*"AVAILABLE"*"AGE" ]]
	[[ "${lines[1]}" == "confidential-web"*"0/2"* ]]
	run "$COCOON" get --server "https://127.0.0.1:$PORT" --pki "$TMP/data/pki" pods -A
	[[ "${lines[0]}" == "NAMESPACE"*"NAME"*"STATUS"* ]]
	run "$COCOON" get --server "https://127.0.0.1:$PORT" --pki "$TMP/data/pki" secret web-tls-key -o json
	[[ "$output" == *'"type": "Opaque"'* ]]
	run "$COCOON" get --server "https://127.0.0.1:$PORT" --pki "$TMP/data/pki" configmap nope
	[ "$status" -eq 1 ]
	[[ "$output" == *'Error from server (NotFound): configmaps "nope" not found'* ]]
	run "$COCOON" get --server "https://127.0.0.1:$PORT" --pki "$TMP/data/pki" bogus
	[[ "$output" == *"the server doesn't have a resource type \"bogus\""* ]]
	run "$COCOON" delete --server "https://127.0.0.1:$PORT" --pki "$TMP/data/pki" -f "$BATS_TEST_DIRNAME/../../examples/confidential-web.yaml"
	[ "${lines[1]}" = 'deployment.apps "confidential-web" deleted' ]
	run "$COCOON" apply
	[ "$status" -eq 2 ]
}
