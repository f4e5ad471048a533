#!/usr/bin/env node
// Generates the OpenAPI v3 documents cocoond serves (src/platform/openapi/*.json), one per
// group-version, from the Kubernetes API types in the npm packages kubernetes-models and
// @kubernetes-models/apimachinery (versions pinned in scripts/openapi/package.json).
//
// Run by hand when the served kinds or the pinned versions change; the output is committed so the
// build needs no npm:
//   (cd scripts/openapi && npm ci) && node scripts/gen-openapi.mjs
//
// Where the facts come from: the packages carry, per type, a .d.ts (properties, their
// descriptions, which are optional, their TypeScript types: string, number, boolean, Array<T>,
// { [key: string]: T }, string enums, references to other types) and an ajv validator compiled
// from Kubernetes' own OpenAPI (_schemas/*.js), the only place that still says whether a number is
// an integer and its format (int32, int64, double). The .d.ts give the shape; the validator gives
// the numbers. The result follows kube-apiserver's /openapi/v3 documents: component schemas named
// io.k8s.api.core.v1.Pod, a reference with a description as allOf [$ref], maps as
// additionalProperties, x-kubernetes-group-version-kind on the kinds, IntOrString and Quantity as
// x-kubernetes-int-or-string and no type.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, 'openapi', 'node_modules');
const out = path.join(here, '..', 'src', 'platform', 'openapi');

// The kinds cocoond serves (src/platform/resources.c), with their lists, and the Scale subresource.
const served = [
  ['', 'v1', 'v1', ['Namespace', 'Node', 'Pod', 'Service', 'Endpoints', 'ConfigMap', 'Secret', 'ServiceAccount', 'Event']],
  ['apps', 'v1', 'apps/v1', ['Deployment', 'ReplicaSet']],
  ['rbac.authorization.k8s.io', 'v1', 'rbac.authorization.k8s.io/v1', ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']],
  ['node.k8s.io', 'v1', 'node.k8s.io/v1', ['RuntimeClass']],
  ['networking.k8s.io', 'v1', 'networking.k8s.io/v1', ['NetworkPolicy']],
  ['policy', 'v1', 'policy/v1', ['PodDisruptionBudget']],
  ['authorization.k8s.io', 'v1', 'authorization.k8s.io/v1', ['SelfSubjectAccessReview']],
  ['autoscaling', 'v1', 'autoscaling/v1', ['Scale']],
];
const noList = new Set(['SelfSubjectAccessReview', 'Scale']);

// TypeScript name prefix -> Kubernetes definition prefix.
const prefixes = [
  ['IoK8sApimachineryPkgApisMetaV1', 'io.k8s.apimachinery.pkg.apis.meta.v1.'],
  ['IoK8sApimachineryPkgApiResource', 'io.k8s.apimachinery.pkg.api.resource.'],
  ['IoK8sApimachineryPkgUtilIntstr', 'io.k8s.apimachinery.pkg.util.intstr.'],
  ['IoK8sApimachineryPkgRuntime', 'io.k8s.apimachinery.pkg.runtime.'],
  ['IoK8sApiCoreV1', 'io.k8s.api.core.v1.'],
  ['IoK8sApiAppsV1', 'io.k8s.api.apps.v1.'],
  ['IoK8sApiRbacV1', 'io.k8s.api.rbac.v1.'],
  ['IoK8sApiNodeV1', 'io.k8s.api.node.v1.'],
  ['IoK8sApiNetworkingV1', 'io.k8s.api.networking.v1.'],
  ['IoK8sApiPolicyV1', 'io.k8s.api.policy.v1.'],
  ['IoK8sApiAuthorizationV1', 'io.k8s.api.authorization.v1.'],
  ['IoK8sApiAutoscalingV1', 'io.k8s.api.autoscaling.v1.'],
];

function definitionName(tsName) {
  const bare = tsName.replace(/^I(?=IoK8s)/, '');
  for (const [ts, k8s] of prefixes)
    if (bare.startsWith(ts)) return k8s + bare.slice(ts.length);
  throw new Error(`no Kubernetes package for ${tsName}: add it to prefixes`);
}

// The package directory that holds a definition's .d.ts and its validator.
function typeFiles(def) {
  const short = def.split('.').pop();
  const tsName = prefixes.find(([, k]) => def.startsWith(k))[0] + short;
  let dir;
  if (def.startsWith('io.k8s.apimachinery.')) {
    const sub = def.slice('io.k8s.apimachinery.pkg.'.length).split('.').slice(0, -1).join('/');
    dir = path.join(modules, '@kubernetes-models/apimachinery', sub);
    return { dts: path.join(dir, short + '.d.ts'), validator: path.join(modules, '@kubernetes-models/apimachinery/_schemas', tsName + '.js') };
  }
  const [, , , group, version] = def.split('.');
  const groupDir = { core: version, apps: 'apps/' + version, rbac: 'rbac.authorization.k8s.io/' + version,
    node: 'node.k8s.io/' + version, authorization: 'authorization.k8s.io/' + version, autoscaling: 'autoscaling/' + version,
    networking: 'networking.k8s.io/' + version, policy: 'policy/' + version }[group];
  dir = path.join(modules, 'kubernetes-models', groupDir);
  return { dts: path.join(dir, short + '.d.ts'), validator: path.join(modules, 'kubernetes-models/_schemas', tsName + '.js') };
}

// ---- the .d.ts reader ----

function docText(comment) {
  return comment
    .replace(/^\/\*\*\s*\n?/, '')
    .replace(/\s*\*\/$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim();
}

// The text of a type up to its terminating `;` at bracket depth 0.
function readType(src, at) {
  let depth = 0;
  let i = at;
  for (; i < src.length; i++) {
    const c = src[i];
    if (c === '"') {
      i = src.indexOf('"', i + 1);
      continue;
    }
    if (c === '{' || c === '<' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === '>' || c === ')' || c === ']') depth--;
    else if (c === ';' && depth === 0) break;
  }
  return { text: src.slice(at, i).trim(), end: i + 1 };
}

function parseDts(file) {
  const src = fs.readFileSync(file, 'utf8');
  const m = src.match(/(\/\*\*(?:[^*]|\*(?!\/))*\*\/\s*)?export (interface I\w+(?: extends [\w, ]+)? \{|type I\w+ = ([^;]+);)/);
  if (!m) throw new Error(`${file}: no exported interface or type`);
  const description = m[1] ? docText(m[1].trim()) : undefined;
  if (m[3] !== undefined) return { description, alias: m[3].trim() };
  const props = [];
  let i = m.index + m[0].length;
  const re = /\s*(\/\*\*(?:[^*]|\*(?!\/))*\*\/)?\s*"([^"]+)"(\??): /y;
  for (;;) {
    re.lastIndex = i;
    const p = re.exec(src);
    if (!p) break;
    const t = readType(src, re.lastIndex);
    props.push({ name: p[2], optional: p[3] === '?', description: p[1] ? docText(p[1]) : undefined, type: t.text });
    i = t.end;
  }
  return { description, props };
}

// ---- the validator reader: integer formats per property ----

function numberFormats(file) {
  const src = fs.readFileSync(file, 'utf8');
  const formatVars = {};
  for (const f of src.matchAll(/let (formats\d+)=formats\.(\w+)/g)) formatVars[f[1]] = f[2];
  const functions = {};
  for (const f of src.matchAll(/function (validate\d+)\(/g)) functions[f[1]] = f.index;
  const bodyOf = (name) => {
    const start = functions[name];
    const next = Object.values(functions).filter((x) => x > start).sort((a, b) => a - b)[0] ?? src.length;
    return src.slice(start, next);
  };
  const result = {};
  // The outermost object validator calls one function per property.
  for (const p of src.matchAll(/void 0!==data(?:\.(\w+)|\["([^"]+)"\])&&\((validate\d+)\(/g)) {
    const prop = p[1] ?? p[2];
    if (result[prop] || !functions[p[3]]) continue;
    const body = bodyOf(p[3]);
    const type = body.match(/^function validate\d+\([^)]*\)\{let vErrors=null,errors=0;if\([^{]*\{let err0=\{instancePath,schemaPath:"#\/type",keyword:"type",params:\{type:"(\w+)"\}/);
    const fmt = body.match(/(formats\d+)\.validate\(/);
    if (type && (type[1] === 'integer' || type[1] === 'number'))
      result[prop] = { type: type[1], format: fmt ? formatVars[fmt[1]] : undefined };
  }
  return result;
}

// ---- schemas ----

const schemas = {};
const pending = [];
const ref = (def) => ({ $ref: '#/components/schemas/' + def });

const apiVersionDoc = 'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources';
const kindDoc = 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds';

function typeSchema(type, imports, number) {
  let m;
  if (type === 'string') return { type: 'string' };
  if (type === 'boolean') return { type: 'boolean' };
  if (type === 'number') {
    const s = { type: number?.type ?? 'integer' };
    if (number?.format) s.format = number.format;
    return s;
  }
  if (type === 'any' || type === 'unknown' || type === 'object') return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  if ((m = type.match(/^Array<([\s\S]*)>$/))) return { type: 'array', items: typeSchema(m[1].trim(), imports, number) };
  if ((m = type.match(/^\{\s*\[key: string\]: ([\s\S]*);\s*\}$/)))
    return { type: 'object', additionalProperties: typeSchema(m[1].trim(), imports, number) };
  if (/^"[^"]*"(\s*\|\s*"[^"]*")*$/.test(type)) return { type: 'string', enum: [...type.matchAll(/"([^"]*)"/g)].map((x) => x[1]) };
  if (/^\{[\s\S]*\}$/.test(type)) return { type: 'object' };
  if ((m = type.match(/^I(IoK8s\w+)$/))) {
    const def = definitionName(m[1]);
    need(def);
    return ref(def);
  }
  throw new Error(`unknown TypeScript type ${type}`);
}

function need(def) {
  if (!(def in schemas) && !pending.includes(def)) pending.push(def);
}

function build(def, gvk) {
  const files = typeFiles(def);
  const parsed = parseDts(files.dts);
  const schema = {};
  if (parsed.description) schema.description = parsed.description;
  const short = def.split('.').pop();
  if (parsed.alias !== undefined) {
    if (short === 'IntOrString' || short === 'Quantity') {
      // No `type`: either a number or a string (kubectl explain then names the type, <IntOrString>).
      Object.assign(schema, { format: short === 'IntOrString' ? 'int-or-string' : 'quantity', 'x-kubernetes-int-or-string': true });
    } else if (parsed.alias === 'string') {
      schema.type = 'string';
      if (short === 'Time') schema.format = 'date-time';
      if (short === 'MicroTime') schema.format = 'date-time';
    } else {
      Object.assign(schema, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    }
    return schema;
  }
  schema.type = 'object';
  const numbers = numberFormats(files.validator);
  const properties = {};
  const required = [];
  for (const p of parsed.props) {
    let s;
    if ((p.name === 'apiVersion' || p.name === 'kind') && /^"[^"]*"$/.test(p.type) && gvk) {
      s = { type: 'string', description: p.name === 'kind' ? kindDoc : apiVersionDoc };
    } else {
      s = typeSchema(p.type, null, numbers[p.name]);
      if (p.description) {
        if (s.$ref) s = { allOf: [s] };
        s.description = p.description;
      }
      if (!p.optional) required.push(p.name);
    }
    properties[p.name] = s;
  }
  // Kubernetes' own schemas describe FieldsV1 and RawExtension as free objects.
  if (parsed.props.length === 0) schema['x-kubernetes-preserve-unknown-fields'] = true;
  else schema.properties = properties;
  if (required.length) schema.required = required;
  if (gvk) schema['x-kubernetes-group-version-kind'] = [gvk];
  return schema;
}

const documents = {};
for (const [group, version, apiVersion, kinds] of served) {
  const gvPath = group ? `apis/${group}/${version}` : `api/${version}`;
  documents[gvPath] = { group, version, kinds: [] };
  for (const kind of kinds) {
    for (const k of noList.has(kind) ? [kind] : [kind, kind + 'List']) {
      const file = path.join(modules, 'kubernetes-models', apiVersion === 'v1' ? 'v1' : apiVersion, k + '.d.ts');
      const ts = fs.readFileSync(file, 'utf8').match(/export type \{ I\w+ as I(IoK8s\w+),/)[1];
      const def = definitionName(ts);
      schemas[def] = build(def, { group, kind: k, version });
      documents[gvPath].kinds.push(def);
    }
  }
}
while (pending.length) {
  const def = pending.shift();
  if (!(def in schemas)) schemas[def] = build(def, null);
}

// Every document carries the kinds of its group-version and every schema they reach.
function closure(roots) {
  const seen = new Set();
  const walk = (def) => {
    if (seen.has(def)) return;
    seen.add(def);
    JSON.stringify(schemas[def], (k, v) => {
      if (k === '$ref') walk(v.slice('#/components/schemas/'.length));
      return v;
    });
  };
  roots.forEach(walk);
  return [...seen].sort();
}

fs.mkdirSync(out, { recursive: true });
for (const [gvPath, d] of Object.entries(documents)) {
  const components = {};
  for (const def of closure(d.kinds)) components[def] = schemas[def];
  const doc = { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.30.0' }, paths: {}, components: { schemas: components } };
  const file = path.join(out, gvPath.replaceAll('/', '__') + '.json');
  fs.writeFileSync(file, JSON.stringify(doc) + '\n');
  console.log(`${path.relative(process.cwd(), file)}: ${Object.keys(components).length} schemas`);
}
