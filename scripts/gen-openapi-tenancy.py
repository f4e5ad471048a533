#!/usr/bin/env python3
"""Writes the OpenAPI v3 document of cocoon's group tenancy.cocoon.dev/v1alpha1
(src/platform/openapi/apis__tenancy.cocoon.dev__v1alpha1.json): the Tenant kind (src/platform/tenancy.h)
and its list, for `kubectl apply` validation, `kubectl explain` and the server's strict field
validation.

Run by hand when the Tenant's fields change:  python3 scripts/gen-openapi-tenancy.py
"""
from cocoon_openapi import COMMON, META, array_of, integer, obj, ref, string, write_document

PREFIX = "dev.cocoon.tenancy.v1alpha1."
GVK = {"group": "tenancy.cocoon.dev", "version": "v1alpha1", "kind": "Tenant"}


def schemas():
    s = {}
    s[PREFIX + "Subject"] = obj("A user, a group or a service account, as RBAC names them.", {
        "kind": string("User, Group or ServiceAccount."),
        "name": string("The user's name, the group's name, or the service account's name."),
        "namespace": string("The service account's namespace (ServiceAccount only)."),
    }, ["kind", "name"])
    s[PREFIX + "TenantSpec"] = obj("What the tenant is and who works in it.", {
        "owners": array_of(PREFIX + "Subject",
                           "The tenant's administrators: `admin` in each of its namespaces, create namespaces "
                           "(they join the tenant), delete them, and administer the key broker tenant."),
        "members": array_of(PREFIX + "Subject", "The tenant's developers: `edit` in each of its namespaces."),
        "kbsTenant": string("The key broker tenant whose keys and policies the tenant's pods use (default: the "
                            "Tenant's name)."),
        "namespaceQuota": integer("The most namespaces the tenant may have (default: no limit)."),
    })
    s[PREFIX + "TenantStatus"] = obj("What the controller observed.", {
        "namespaces": {"type": "array", "items": {"type": "string"},
                       "description": "The tenant's namespaces (those labelled tenancy.cocoon.dev/tenant=NAME)."},
        "size": integer("How many namespaces the tenant has."),
        "kbsTenant": string("The key broker tenant in use."),
    })
    s[PREFIX + "Tenant"] = dict(obj(
        "Tenant is a set of namespaces (labelled tenancy.cocoon.dev/tenant=NAME) with its own owners, members "
        "and key broker tenant; a tenant's users reach nothing of another tenant.",
        dict(COMMON, metadata=ref(META + "ObjectMeta", "Standard object's metadata."),
             spec=ref(PREFIX + "TenantSpec", "The tenant's owners, members and key broker tenant."),
             status=ref(PREFIX + "TenantStatus", "Written by cocoond."))),
        **{"x-kubernetes-group-version-kind": [GVK]})
    s[PREFIX + "TenantList"] = dict(obj(
        "TenantList is a list of Tenant objects.",
        dict(COMMON, metadata=ref(META + "ListMeta", "Standard list metadata."),
             items=array_of(PREFIX + "Tenant", "items is a list of tenants.")), ["items"]),
        **{"x-kubernetes-group-version-kind": [dict(GVK, kind="TenantList")]})
    return s


def main():
    write_document("apis__tenancy.cocoon.dev__v1alpha1.json", schemas())


if __name__ == "__main__":
    main()
