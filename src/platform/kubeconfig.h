/* The admin kubeconfig cocoond writes at <data_dir>/kubeconfig (mode 0600) on every start: the
 * cluster's CA, the API address, and the admin client certificate (O=system:masters), embedded, so
 * `kubectl --kubeconfig /var/lib/cocoon/kubeconfig get nodes` works at once. */
#pragma once

struct cc_error;

/* listen is cocoond's --listen ("127.0.0.1:7443"; 0.0.0.0 and :: become loopback). Without an
 * admin certificate (a PKI brought with --tls-cert) nothing is written. */
int platform_kubeconfig_write(const char *data_dir, const char *listen, const char *ca_file, const char *cert_file,
			      const char *key_file, struct cc_error *err);
