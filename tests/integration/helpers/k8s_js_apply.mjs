// Server-side apply from the official Kubernetes JavaScript client (@kubernetes/client-node, pinned in
// tests/js), as a controller would use it: apply a ConfigMap as one field manager, meet the conflict
// another manager's different value makes, then force it. Prints one JSON object of what it saw.
// Usage: KUBECONFIG=... node k8s_js_apply.mjs NAMESPACE
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../js/package.json'));
const k8s = require('@kubernetes/client-node');

const namespace = process.argv[2] ?? 'default';
const kc = new k8s.KubeConfig();
kc.loadFromDefault();
const core = kc.makeApiClient(k8s.CoreV1Api);
const applying = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
const seen = {};

const config = (mode) => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'js-applied', namespace }, data: { mode },
});

const created = await core.patchNamespacedConfigMap(
  { namespace, name: 'js-applied', body: config('fast'), fieldManager: 'js-controller' }, applying);
seen.managers = created.metadata.managedFields.map((e) => `${e.manager}/${e.operation}`);
seen.owned = Object.keys(created.metadata.managedFields[0].fieldsV1['f:data']);

try {
  await core.patchNamespacedConfigMap(
    { namespace, name: 'js-applied', body: config('slow'), fieldManager: 'js-other' }, applying);
  seen.conflict = 'none';
} catch (e) {
  const status = JSON.parse(e.body);
  seen.conflict = e.code;
  seen.reason = status.reason;
  seen.message = status.message;
  seen.causes = status.details.causes;
}

const forced = await core.patchNamespacedConfigMap(
  { namespace, name: 'js-applied', body: config('slow'), fieldManager: 'js-other', force: true }, applying);
seen.forced = forced.data.mode;
seen.after = forced.metadata.managedFields.map((e) => e.manager).sort();

console.log(JSON.stringify(seen));
