"""Shared pieces of the scripts that write the OpenAPI v3 documents of cocoon's own API groups
(gen-openapi-scan.py, gen-openapi-tenancy.py): schema builders, and the document itself with the
apimachinery schemas its kinds refer to, copied from the node.k8s.io document (generated from
kubernetes-models by gen-openapi.mjs)."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OPENAPI = os.path.join(HERE, "..", "src", "platform", "openapi")
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
COMMON = {
    "apiVersion": {"type": "string",
                   "description": "APIVersion defines the versioned schema of this representation of an object."},
    "kind": {"type": "string",
             "description": "Kind is a string value representing the REST resource this object represents."},
}


def ref(name, description):
    return {"allOf": [{"$ref": "#/components/schemas/" + name}], "description": description}


def string(description):
    return {"type": "string", "description": description}


def integer(description):
    return {"type": "integer", "format": "int64", "description": description}


def obj(description, properties, required=None):
    out = {"description": description, "type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


def array_of(name, description):
    return {"type": "array", "items": {"$ref": "#/components/schemas/" + name}, "description": description}


def write_document(file_name, schemas):
    """Writes src/platform/openapi/FILE_NAME: the meta/v1 schemas plus the given ones."""
    with open(os.path.join(OPENAPI, "apis__node.k8s.io__v1.json")) as f:
        node = json.load(f)
    doc = {"openapi": node["openapi"], "info": node["info"], "paths": {}, "components": {"schemas": {}}}
    for name, schema in node["components"]["schemas"].items():
        if name.startswith(META):
            doc["components"]["schemas"][name] = schema
    doc["components"]["schemas"].update(schemas)
    with open(os.path.join(OPENAPI, file_name), "w") as f:
        json.dump(doc, f, separators=(",", ":"), sort_keys=True)
