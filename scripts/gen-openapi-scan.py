#!/usr/bin/env python3
"""Writes the OpenAPI v3 document of cocoon's own group scan.cocoon.dev/v1alpha1
(src/platform/openapi/apis__scan.cocoon.dev__v1alpha1.json): the VulnerabilityReport kind
(src/platform/vuln_reports.c makes the objects), its list, and the apimachinery schemas they refer
to, copied from the node.k8s.io document (generated from kubernetes-models by gen-openapi.mjs).

Run by hand when the report's fields change:  python3 scripts/gen-openapi-scan.py
"""
from cocoon_openapi import COMMON, META, array_of, integer, obj, ref, string, write_document

PREFIX = "dev.cocoon.scan.v1alpha1."
GVK = [{"group": "scan.cocoon.dev", "version": "v1alpha1", "kind": "VulnerabilityReport"}]


def schemas():
    s = {}
    s[PREFIX + "Vulnerability"] = obj("One advisory that applies to a package of the image.", {
        "vulnerabilityID": string("The advisory's id: CVE-..., GHSA-..., DSA-..."),
        "resource": string("The installed binary package it affects."),
        "installedVersion": string("The version installed in the image."),
        "fixedVersion": string("The first version that fixes it; empty when there is no fix yet."),
        "severity": string("CRITICAL, HIGH, MEDIUM, LOW, NONE (negligible) or UNKNOWN."),
        "status": string("fixed (a newer version fixes it) or unfixed."),
        "title": string("The advisory's summary."),
        "dataSource": string("The feed it came from: debian-tracker, alpine-secdb or osv."),
        "primaryLink": string("Where to read about it."),
    }, ["vulnerabilityID", "resource", "installedVersion", "severity"])
    s[PREFIX + "Summary"] = obj("The counts of the report; they count every finding, also those left out of "
                                "the list.", {k: integer(d) for k, d in [
                                    ("criticalCount", "Critical vulnerabilities."),
                                    ("highCount", "High-severity vulnerabilities."),
                                    ("mediumCount", "Medium-severity vulnerabilities."),
                                    ("lowCount", "Low-severity vulnerabilities."),
                                    ("noneCount", "Negligible vulnerabilities."),
                                    ("unknownCount", "Vulnerabilities of unknown severity."),
                                    ("fixableCount", "Vulnerabilities a newer package version fixes."),
                                    ("malwareCount", "Files that match a malware signature."),
                                    ("secretCount", "Secrets found in the image's files."),
                                    ("misconfigurationCount", "Misconfigurations of the image config.")]})
    s[PREFIX + "Detection"] = obj("A malware detection or a secret found in a file of the image (never the "
                                  "secret itself: match is masked).", {
                                      "path": string("The file in the image."),
                                      "signature": string("The malware signature that matched."),
                                      "line": integer("The line of the secret."),
                                      "rule": string("The secret rule that matched."),
                                      "match": string("The masked match."),
                                  }, ["path"])
    s[PREFIX + "Report"] = obj("What the scan of the container's image found.", {
        "updateTimestamp": string("When the image was scanned (RFC 3339)."),
        "scanner": obj("The scanner.", {"name": string("cocoon"), "vendor": string("cocoon"),
                                        "version": string("The scanner's version.")}),
        "registry": obj("Where the image comes from.", {"server": string("The registry host.")}),
        "artifact": obj("The image.", {"repository": string("The repository."), "tag": string("The tag."),
                                       "digest": string("The manifest digest."),
                                       "imageID": string("The image ID (the config digest).")}),
        "os": obj("The image's operating system.", {"family": string("os-release ID: debian, alpine, ..."),
                                                    "name": string("os-release VERSION_ID.")}),
        "summary": ref(PREFIX + "Summary", "The counts."),
        "vulnerabilities": {"type": "array", "items": {"$ref": "#/components/schemas/" + PREFIX + "Vulnerability"},
                            "description": "The vulnerabilities, the most severe first (at most 2000)."},
        "malware": {"type": "array", "items": {"$ref": "#/components/schemas/" + PREFIX + "Detection"},
                    "description": "Malware found (with a signature database)."},
        "secrets": {"type": "array", "items": {"$ref": "#/components/schemas/" + PREFIX + "Detection"},
                    "description": "Secrets found in the image's files."},
        "database": obj("The vulnerability database the image was judged against.", {
            "fingerprint": string("A digest of what its feeds imported, or none."),
            "path": string("Its file."),
            "newest_import": string("Its newest import (RFC 3339)."),
        }),
    }, ["scanner", "artifact", "summary", "vulnerabilities"])
    common = COMMON
    s[PREFIX + "VulnerabilityReport"] = dict(obj(
        "VulnerabilityReport is what cocoond's scanner found in the image of one container of a workload: "
        "written by cocoond, read-only to clients.",
        dict(common, metadata=ref(META + "ObjectMeta", "Standard object's metadata."),
             report=ref(PREFIX + "Report", "The scan's result.")), ["report"]),
        **{"x-kubernetes-group-version-kind": GVK})
    s[PREFIX + "VulnerabilityReportList"] = dict(obj(
        "VulnerabilityReportList is a list of VulnerabilityReport objects.",
        dict(common, metadata=ref(META + "ListMeta", "Standard list metadata."),
             items={"type": "array", "items": {"$ref": "#/components/schemas/" + PREFIX + "VulnerabilityReport"},
                    "description": "items is a list of reports."}), ["items"]),
        **{"x-kubernetes-group-version-kind": [dict(GVK[0], kind="VulnerabilityReportList")]})
    return s


def main():
    write_document("apis__scan.cocoon.dev__v1alpha1.json", schemas())


if __name__ == "__main__":
    main()
