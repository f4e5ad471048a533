// Validates a JSON document against a JSON Schema with ajv, as the scanner's tests check its SBOM and
// SARIF outputs against the official schemas (tests/integration/scan_formats.bats).
//
// Usage: node validate-schema.mjs [--ref FILE]... SCHEMA DOCUMENT
//
// SCHEMA's own draft is used (draft-04 through ajv-draft-04, draft-07, 2019-09, 2020-12), with the
// formats of ajv-formats checked. Each --ref FILE is a schema SCHEMA refers to by a relative name
// (CycloneDX's bom-1.5 refers to spdx and jsf): it is known by its $id and by its file name resolved
// against SCHEMA's $id. Exit 0 when DOCUMENT is valid; 1 with ajv's errors on stderr when it is
// not; 2 for a usage error or a file that is not JSON.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import Ajv from "ajv";
import Ajv2019 from "ajv/dist/2019.js";
import Ajv2020 from "ajv/dist/2020.js";
import AjvDraft04 from "ajv-draft-04";
import addFormats from "ajv-formats";

function fail(message) {
  console.error(`validate-schema: ${message}`);
  process.exit(2);
}

function load(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    fail(`${path}: ${e.message}`);
  }
}

const args = process.argv.slice(2);
const refs = [];
while (args[0] === "--ref") {
  if (args.length < 2) fail("--ref takes a file");
  refs.push(args[1]);
  args.splice(0, 2);
}
if (args.length !== 2) fail("usage: validate-schema.mjs [--ref FILE]... SCHEMA DOCUMENT");
const [schemaPath, documentPath] = args;
const schema = load(schemaPath);
const document = load(documentPath);

const draft = String(schema.$schema ?? "");
const Validator = draft.includes("draft-04")
  ? AjvDraft04
  : draft.includes("2019-09")
    ? Ajv2019
    : draft.includes("2020-12")
      ? Ajv2020
      : Ajv;
// Not strict: the official schemas use keywords ajv does not know ("deprecated", "meta:enum") and
// formats ajv-formats lacks (idn-email, iri-reference), which are then not checked; everything
// else, formats included, is. Patterns are ECMAScript regular expressions without the u flag, as
// JSON Schema's drafts define them: SARIF 2.1.0-rtm.5's language pattern is invalid with it.
const ajv = new Validator({ allErrors: true, strict: false, logger: false, unicodeRegExp: false });
addFormats(ajv);
const base = schema.$id ?? schema.id ?? `file://${schemaPath}`;
for (const path of refs) {
  const ref = load(path);
  const byName = new URL(basename(path), base).href;
  const id = ref.$id ?? ref.id;
  if (id && id !== byName) {
    ajv.addSchema(ref);
    // The same schema under the name it is referred to by (its definitions with it).
    const copy = { ...ref };
    delete copy.$id;
    delete copy.id;
    ajv.addSchema(copy, byName);
  } else {
    ajv.addSchema(ref, byName);
  }
}

let validate;
try {
  validate = ajv.compile(schema);
} catch (e) {
  fail(`${schemaPath}: ${e.message}`);
}
if (!validate(document)) {
  console.error(`validate-schema: ${documentPath} is not valid against ${schemaPath}:`);
  for (const e of validate.errors.slice(0, 50))
    console.error(`  ${e.instancePath || "/"}: ${e.message}${e.params ? " " + JSON.stringify(e.params) : ""}`);
  if (validate.errors.length > 50) console.error(`  ... ${validate.errors.length - 50} more`);
  process.exit(1);
}
console.log(`${documentPath}: valid against ${schemaPath}`);
