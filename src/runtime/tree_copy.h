/* The "tmpcopyup" mount option (crun's, which podman sets for tmpfs mounts over image directories):
 * what the image has at the mount's destination is copied into the new tmpfs, so the mount hides
 * nothing. Files, directories, symlinks and device nodes keep their mode, owner and times. */
#pragma once

struct cc_error;

/* Copies the contents of src_dir (the directory as it was before the tmpfs covered it, opened
 * O_RDONLY | O_DIRECTORY) into dst_dir (the tmpfs's root); where names the destination in errors. */
int runtime_tree_copy(int src_dir, int dst_dir, const char *where, struct cc_error *err);
