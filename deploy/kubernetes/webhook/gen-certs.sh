#!/usr/bin/env bash
# Makes the webhook's TLS: a CA of its own and a serving certificate for the Service's DNS names,
# written beside this script as tls.crt and tls.key (for the kustomization's Secret), and the CA as
# the webhooks' caBundle (ca-bundle.yaml, a patch the kustomization applies). The CA's key is
# deleted once it has signed: nothing else should ever be signed with it.
# Usage: gen-certs.sh [OUTDIR] (default: this directory). SERVICE and NAMESPACE may be overridden.
set -euo pipefail
out="${1:-$(cd "$(dirname "$0")" && pwd)}"
service="${SERVICE:-cocoon-webhook}"
namespace="${NAMESPACE:-cocoon-system}"
days="${DAYS:-365}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
	-subj "/CN=cocoon webhook CA" -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$service.$namespace.svc" \
	-keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:%s.%s,DNS:%s.%s.svc,DNS:%s.%s.svc.cluster.local\nextendedKeyUsage=serverAuth\n' \
	"$service" "$service" "$namespace" "$service" "$namespace" "$service" "$namespace" >"$work/ext"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days "$days" \
	-extfile "$work/ext" -out "$work/tls.crt" 2>/dev/null
install -m 0644 "$work/tls.crt" "$out/tls.crt"
install -m 0600 "$work/tls.key" "$out/tls.key"
install -m 0644 "$work/ca.crt" "$out/ca.crt"
ca="$(base64 -w0 <"$work/ca.crt")"
cat >"$out/ca-bundle.yaml" <<YAML
# Written by gen-certs.sh: the webhooks trust the CA that signed the serving certificate.
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: cocoon-webhook
webhooks:
  - name: mutate.webhook.cocoon.dev
    clientConfig:
      caBundle: $ca
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: cocoon-webhook
webhooks:
  - name: validate.webhook.cocoon.dev
    clientConfig:
      caBundle: $ca
YAML
echo "gen-certs: $out/tls.crt (for $service.$namespace.svc), $out/tls.key, $out/ca-bundle.yaml" >&2
