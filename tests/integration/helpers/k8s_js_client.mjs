// The official Kubernetes JavaScript client (@kubernetes/client-node, pinned in tests/js) against
// cocoond, as an application would use it: list, create, read, patch, watch, delete, a Deployment
// and its scale, and the errors it turns Status answers into. Prints one JSON object of what it saw.
// Usage: KUBECONFIG=... node k8s_js_client.mjs NAMESPACE
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
const apps = kc.makeApiClient(k8s.AppsV1Api);
const seen = {};

const namespaces = await core.listNamespace();
seen.namespaces = namespaces.items.map((n) => n.metadata.name).sort();

// A watch first, so the ADDED event of the create below is seen.
const watch = new k8s.Watch(kc);
const events = [];
const watching = await watch.watch(`/api/v1/namespaces/${namespace}/configmaps`, {},
  (type, obj) => events.push(`${type} ${obj.metadata.name}`), () => {});

const created = await core.createNamespacedConfigMap({
  namespace, body: { metadata: { name: 'from-js', labels: { client: 'js' } }, data: { a: '1' } },
});
seen.created = created.metadata.name;
seen.uid = Boolean(created.metadata.uid);
const patched = await core.patchNamespacedConfigMap(
  { namespace, name: 'from-js', body: { data: { b: '2' } } },
  k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
);
seen.patched = patched.data;
const listed = await core.listNamespacedConfigMap({ namespace, labelSelector: 'client=js' });
seen.listed = listed.items.map((c) => c.metadata.name);
for (let i = 0; i < 50 && !events.includes('ADDED from-js'); i++) await new Promise((r) => setTimeout(r, 100));
await core.deleteNamespacedConfigMap({ namespace, name: 'from-js' });
for (let i = 0; i < 50 && !events.includes('DELETED from-js'); i++) await new Promise((r) => setTimeout(r, 100));
seen.events = events.filter((e) => e.endsWith('from-js'));
watching.abort();

try {
  await core.readNamespacedConfigMap({ namespace, name: 'from-js' });
  seen.missing = 'found';
} catch (e) {
  seen.missing = e.code;
  seen.missingReason = JSON.parse(e.body).reason;
}

await apps.createNamespacedDeployment({
  namespace,
  body: {
    metadata: { name: 'js-web' },
    spec: {
      replicas: 2, selector: { matchLabels: { app: 'js-web' } },
      template: { metadata: { labels: { app: 'js-web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  },
});
const scale = await apps.readNamespacedDeploymentScale({ namespace, name: 'js-web' });
seen.scale = scale.spec.replicas;
await apps.deleteNamespacedDeployment({ namespace, name: 'js-web' });
console.log(JSON.stringify(seen));
