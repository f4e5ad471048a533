#!/usr/bin/python3
"""oci_layout.py OUT CONFIG_JSON LAYER_DIR...: an OCI image layout at OUT whose layers are the given
directories, base first, each a gzip tar of the directory's contents (a file named .wh.NAME is a
whiteout, as the OCI image spec's layer format says), and whose config's `config` object is
CONFIG_JSON. For tests that need several layers, which `podman import` cannot make."""
import gzip, hashlib, io, json, os, sys, tarfile

out, config_json, layer_dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(f"{out}/blobs/sha256")


def blob(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(f"{out}/blobs/sha256/{digest}", "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


layers, diff_ids = [], []
for d in layer_dirs:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(d)):
            t.add(os.path.join(d, name), arcname=name)
    raw = buf.getvalue()
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    layers.append(blob(gzip.compress(raw, mtime=0)) | {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"})
config = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": json.loads(config_json),
                          "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode())
manifest = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "config": config | {"mediaType": "application/vnd.oci.image.config.v1+json"},
                            "layers": layers}).encode())
with open(f"{out}/index.json", "w") as f:
    json.dump({"schemaVersion": 2,
               "manifests": [manifest | {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                         "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}, f)
with open(f"{out}/oci-layout", "w") as f:
    f.write('{"imageLayoutVersion": "1.0.0"}')
print("\n".join(l["digest"] for l in layers))
