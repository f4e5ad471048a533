/* `cocoon image pull` and the pod runner's pulls (pull.h): a reference resolved at its registry
 * (registry.c), its manifest chosen and checked (manifest.c), the blobs streamed into the store and
 * the image registered through the loader's checks (archive.c, store_register_locked).
 *
 * The store's lock is held from the first blob written to the image named in the index: the
 * store's garbage collection (every load and remove runs it, under the lock) deletes the blobs no
 * image refers to yet, which is what a pull's blobs are until the end. A long pull therefore makes a
 * concurrent `image load` or `image rm` wait; reading images (resolve, list) never takes the lock. */
#include "image/pull.h"

#include "image/manifest.h"
#include "image/reference.h"
#include "image/registry.h"
#include "image/store_internal.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FORMAT_REGISTRY "registry"

void image_pull_options_default(struct image_pull_options *ret)
{
	*ret = (struct image_pull_options){ .tls_verify = true };
}

void image_pull_result_clear(struct image_pull_result *res)
{
	image_info_clear(&res->image);
	free(res->reference);
	free(res->index_digest);
	*res = (struct image_pull_result){ 0 };
}

struct pull {
	struct image_store *s;
	struct image_reference ref;
	char *text; /* the reference, normalised */
	char *name; /* DOMAIN/REPOSITORY */
	struct registry_client *registry;
	struct registry_manifest top, image; /* what the reference names, and the image's manifest */
	struct image_manifest manifest;
	char *index_digest;
	int64_t deadline_ms;
	struct image_pull_result *result;
	struct cc_error *err;
};

static void pull_clear(struct pull *p)
{
	image_reference_clear(&p->ref);
	free(p->text);
	free(p->name);
	registry_client_free(p->registry);
	registry_manifest_clear(&p->top);
	registry_manifest_clear(&p->image);
	image_manifest_clear(&p->manifest);
	free(p->index_digest);
}

static bool listed(const char *const *hosts, const char *domain)
{
	for (const char *const *h = hosts; h && *h; h++)
		if (strcmp(*h, domain) == 0)
			return true;
	return false;
}

/* ---- the manifest ---- */

/* The image manifest a reference leads to: itself, or this machine's entry of an index. */
static int resolve_manifest(struct pull *p)
{
	const char *want = p->ref.digest ? p->ref.digest : p->ref.tag;
	int r = registry_get_manifest(p->registry, want, &p->top, p->err);
	if (r < 0)
		return r;
	struct image_manifest top = { 0 };
	if ((r = image_manifest_parse(p->top.data, p->top.len, p->top.content_type, &top, p->err)) < 0)
		return cc_error_prefix(p->err, "the manifest of %s", p->text);
	if (top.kind == IMAGE_MANIFEST_IMAGE) {
		p->manifest = top;
		p->image = p->top;
		p->top = (struct registry_manifest){ 0 };
		return 0;
	}
	const char *arch, *variant;
	image_host_platform(&arch, &variant);
	const struct image_descriptor *pick;
	if ((r = image_manifest_pick(&top, "linux", arch, variant, &pick, p->err)) < 0) {
		image_manifest_clear(&top);
		return cc_error_prefix(p->err, "%s", p->text);
	}
	store_progress(p->s, "Choosing the linux/%s%s%s image of index %s: %s", arch, variant ? "/" : "",
		       variant ? variant : "", p->top.digest, pick->digest);
	p->index_digest = cc_xstrdup(p->top.digest);
	_cleanup_free_ char *digest = cc_xstrdup(pick->digest);
	uint64_t size = pick->size;
	image_manifest_clear(&top);
	if ((r = registry_get_manifest(p->registry, digest, &p->image, p->err)) < 0)
		return r;
	if (p->image.len != size)
		return cc_error_set(p->err, EBADMSG, "%s: manifest %s has %zu bytes, the index says %llu: refused",
				    p->text, digest, p->image.len, (unsigned long long)size);
	if ((r = image_manifest_parse(p->image.data, p->image.len, p->image.content_type, &p->manifest, p->err)) < 0)
		return cc_error_prefix(p->err, "manifest %s of %s", digest, p->text);
	if (p->manifest.kind != IMAGE_MANIFEST_IMAGE)
		return cc_error_set(p->err, ENOTSUP,
				    "%s: the index's entry %s is an index again (nested indexes "
				    "are not supported)",
				    p->text, digest);
	return 0;
}

/* ---- blobs ---- */

/* "3.2 MB", "1.4 kB": what the progress lines show. */
static void size_text(uint64_t size, char out[32])
{
	if (size >= 1000000)
		snprintf(out, 32, "%.1f MB", (double)size / 1e6);
	else
		snprintf(out, 32, "%.1f kB", (double)size / 1e3);
}

static int fetch_blob(struct pull *p, const struct image_descriptor *d, const char *kind)
{
	if (store_blob_exists(p->s, d->digest, d->size)) {
		store_progress(p->s, "Copying %s %s skipped: already in the store", kind, d->digest);
		p->result->blobs_skipped++;
		return 0;
	}
	uint64_t max = p->s->opts.limits.max_blob_size;
	if (d->size > max)
		return cc_error_set(p->err, EFBIG, "%s %s has %llu bytes, over the store's limit of %llu", kind,
				    d->digest, (unsigned long long)d->size, (unsigned long long)max);
	char size[32];
	size_text(d->size, size);
	store_progress(p->s, "Copying %s %s (%s)", kind, d->digest, size);
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = store_tmp_file(p->s, &tmp, p->err);
	if (fd < 0)
		return fd;
	int r = registry_get_blob(p->registry, d->digest, d->size, fd, p->err);
	if (r == 0)
		r = store_blob_commit(p->s, tmp, d->digest, p->err);
	if (r < 0) {
		unlinkat(p->s->tmp_fd, tmp, 0);
		return r;
	}
	p->result->blobs_fetched++;
	p->result->bytes_fetched += d->size;
	return 0;
}

static json_t *repo_digests(struct pull *p)
{
	json_t *out = json_array();
	json_array_append_new(out, json_sprintf("%s@%s", p->name, p->image.digest));
	if (p->index_digest)
		json_array_append_new(out, json_sprintf("%s@%s", p->name, p->index_digest));
	return out;
}

/* Under the store's lock: the blobs, the manifest, and the image through the loader's checks. */
static int store_image(struct pull *p)
{
	int r = fetch_blob(p, &p->manifest.config, "config");
	for (size_t i = 0; r == 0 && i < p->manifest.n_layers; i++)
		r = fetch_blob(p, &p->manifest.layers[i], "blob");
	_cleanup_free_ char *stored = NULL;
	if (r == 0)
		r = store_blob_put_memory(p->s, p->image.data, p->image.len, &stored, p->err);
	if (r < 0) {
		/* Nothing of a failed pull stays: the blobs fetched so far are no image's. */
		_cleanup_json_ json_t *index = NULL;
		struct cc_error gc_err = { 0 };
		if (store_index_load(p->s, &index, &gc_err) == 0)
			store_gc(p->s, index, &gc_err);
		return r;
	}
	store_progress(p->s, "Writing manifest %s", stored);
	_cleanup_free_ char *name = p->ref.tag ? cc_xasprintf("%s:%s", p->name, p->ref.tag) : NULL;
	_cleanup_json_ json_t *digests = repo_digests(p);
	struct image_load_result loaded = { 0 };
	r = store_register_locked(p->s, stored, p->manifest.media_type, name, digests, FORMAT_REGISTRY, &loaded,
				  p->err);
	if (r < 0)
		return r;
	p->result->layers_unpacked = loaded.layers_unpacked;
	if (loaded.n_images == 1) {
		p->result->image = loaded.images[0];
		loaded.images[0] = (struct image_info){ 0 };
	}
	image_load_result_clear(&loaded);
	return 0;
}

/* ---- the pull ---- */

/* localhost/NAME: the node's own image, or a sentence saying how one gets there. */
static int pull_local(struct pull *p)
{
	_cleanup_(image_resolved_freep) struct image_resolved *found = NULL;
	int r = image_store_resolve(p->s, p->text, &found, p->err);
	if (r == -ENOENT)
		return cc_error_set(
		    p->err, ENOENT,
		    "image \"%s\" is not in the node's image store: localhost/ names local images, which "
		    "come from no registry (load one with `cocoon image load` or make it with `cocoon "
		    "image import`)",
		    p->text);
	if (r < 0)
		return r;
	p->result->image = found->info;
	found->info = (struct image_info){ 0 };
	p->result->local = true;
	return 0;
}

static int pull_remote(struct pull *p, const struct image_pull_options *opts)
{
	struct registry_options ro = { .ca_file = opts->ca_file,
				       .tls_verify =
					   opts->tls_verify && !listed(opts->insecure_registries, p->ref.domain),
				       .creds = opts->creds,
				       .auth_file = opts->auth_file,
				       .deadline_ms = p->deadline_ms,
				       .cancel = opts->cancel };
	store_progress(p->s, "Trying to pull %s...", p->text);
	int r = registry_client_new(p->ref.domain, p->ref.repository, &ro, &p->registry, p->err);
	if (r == 0)
		r = resolve_manifest(p);
	if (r < 0)
		return r;
	_cleanup_close_ int lock = -1;
	if ((r = store_lock(p->s, &lock, p->err)) < 0)
		return r;
	return store_image(p);
}

int image_store_pull(struct image_store *s, const char *text, const struct image_pull_options *opts,
		     struct image_pull_result *ret, struct cc_error *err)
{
	struct image_pull_result result = { 0 };
	struct pull p = { .s = s, .result = &result, .err = err };
	if (opts->timeout_s > 0)
		p.deadline_ms = cc_time_monotonic_ms() + (int64_t)opts->timeout_s * 1000;
	int r = image_reference_parse(text, &p.ref, err);
	if (r < 0)
		return r;
	p.text = image_reference_string(&p.ref);
	p.name = image_reference_name(&p.ref);
	if (image_reference_is_local(&p.ref))
		r = pull_local(&p);
	else if (!p.ref.domain)
		r = cc_error_set(err, EINVAL,
				 "`%s` names no registry: give it as REGISTRY[:PORT]/NAME[:TAG] (e.g. "
				 "registry.example:5000/%s); a short name would mean docker.io, which cocoon does not "
				 "assume it can reach, and localhost/%s names a local image",
				 text, p.text, p.text);
	else
		r = pull_remote(&p, opts);
	if (r == -ETIMEDOUT && p.deadline_ms && cc_time_monotonic_ms() >= p.deadline_ms)
		cc_error_prefix(err, "not pulled within %d s", opts->timeout_s);
	if (r < 0) {
		cc_error_prefix(err, "pull %s", p.text ? p.text : text);
		image_pull_result_clear(&result);
	} else {
		result.reference = CC_TAKE_PTR(p.text);
		result.index_digest = CC_TAKE_PTR(p.index_digest);
		*ret = result;
	}
	pull_clear(&p);
	return r;
}
