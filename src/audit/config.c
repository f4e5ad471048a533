/* Reads `cocoon audit forward --config FILE` (see config.h). */
#include "audit/config.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"

#include <errno.h>
#include <string.h>

/* Refuses keys outside allowed (a NULL-terminated list). */
static int check_keys(const json_t *obj, const char *const *allowed, const char *where, struct cc_error *err)
{
	const char *key;
	json_t *value;
	json_object_foreach ((json_t *)obj, key, value) {
		bool known = false;
		for (size_t i = 0; allowed[i] && !known; i++)
			known = strcmp(key, allowed[i]) == 0;
		if (!known)
			return cc_error_set(err, EINVAL, "%s: unknown key `%s`", where, key);
	}
	return 0;
}

static int get_uint(const json_t *obj, const char *field, uint64_t *ret, struct cc_error *err)
{
	int64_t v;
	int r = cc_json_get_int(obj, field, false, &v, err);
	if (r < 0)
		return r;
	if (!json_object_get(obj, field))
		return 0;
	if (v <= 0)
		return cc_error_set(err, EINVAL, "`%s` must be a positive integer", field);
	*ret = (uint64_t)v;
	return 0;
}

/* An array of strings into out[max], counting into *count. */
static int get_strings(const json_t *obj, const char *field, const char **out, size_t max, size_t *count,
		       struct cc_error *err)
{
	json_t *array, *item;
	size_t i;
	int r = cc_json_get_array(obj, field, false, &array, err);
	if (r < 0 || !array)
		return r;
	json_array_foreach (array, i, item) {
		if (!json_is_string(item))
			return cc_error_set(err, EINVAL, "`%s[%zu]` must be a string", field, i);
		if (*count == max)
			return cc_error_set(err, EINVAL, "`%s`: at most %zu entries", field, max);
		out[(*count)++] = json_string_value(item);
	}
	return 0;
}

/* An output's entry: url and format, which every output has, and the settings of its kind. */
static int load_output(const json_t *item, struct audit_output *o, struct cc_error *err)
{
	static const char *const generic[] = { "url", "format", NULL };
	const char *url, *format;
	int r;
	if (!json_is_object(item))
		return cc_error_set(err, EINVAL, "must be an object with `url`");
	if ((r = cc_json_get_string(item, "url", true, &url, err)) < 0 ||
	    (r = cc_json_get_string(item, "format", false, &format, err)) < 0)
		return r;
	if ((r = audit_output_parse(url, o, err)) < 0)
		return r;
	if (format) {
		o->format = audit_format_from_string(format);
		if (o->format == AUDIT_FORMAT_MAX) {
			audit_output_free(o);
			return cc_error_set(err, EINVAL, "unknown format `%s` (rfc5424, cef, leef or json)", format);
		}
	}
	if ((r = audit_settings_load(&o->settings, item, generic, "output", err)) < 0) {
		audit_output_free(o);
		return r;
	}
	return 0;
}

static int load_outputs(const json_t *doc, struct audit_forward_config *cfg, struct cc_error *err)
{
	json_t *outputs, *item;
	size_t i;
	int r = cc_json_get_array(doc, "outputs", false, &outputs, err);
	if (r < 0 || !outputs)
		return r;
	json_array_foreach (outputs, i, item) {
		if (cfg->output_count == AUDIT_MAX_OUTPUTS)
			return cc_error_set(err, EINVAL, "at most %d outputs", AUDIT_MAX_OUTPUTS);
		if ((r = load_output(item, &cfg->outputs[cfg->output_count], err)) < 0)
			return cc_error_prefix(err, "outputs[%zu]", i);
		cfg->output_count++;
	}
	return 0;
}

/* An input's entry: its spec as a string, or a mapping of url and its kind's settings. */
static int load_input(const json_t *item, struct audit_input *in, struct cc_error *err)
{
	static const char *const generic[] = { "url", NULL };
	const char *spec = json_string_value(item);
	int r;
	if (!spec && !json_is_object(item))
		return cc_error_set(err, EINVAL, "must be a string or a mapping with `url`");
	if (!spec && (r = cc_json_get_string(item, "url", true, &spec, err)) < 0)
		return r;
	if ((r = audit_input_parse(spec, in, err)) < 0)
		return r;
	if (json_is_object(item) && (r = audit_settings_load(&in->settings, item, generic, "input", err)) < 0) {
		audit_input_free(in);
		return r;
	}
	return 0;
}

static int add_input(struct audit_forward_config *cfg, const json_t *item, struct cc_error *err)
{
	if (cfg->input_count == AUDIT_MAX_INPUTS)
		return cc_error_set(err, EINVAL, "at most %d inputs", AUDIT_MAX_INPUTS);
	int r = load_input(item, &cfg->inputs[cfg->input_count], err);
	if (r == 0)
		cfg->input_count++;
	return r;
}

static int load_inputs(const json_t *doc, struct audit_forward_config *cfg, struct cc_error *err)
{
	json_t *inputs, *item;
	size_t i;
	int r = cc_json_get_array(doc, "inputs", false, &inputs, err);
	if (r < 0 || !inputs)
		return r;
	json_array_foreach (inputs, i, item)
		if ((r = add_input(cfg, item, err)) < 0)
			return cc_error_prefix(err, "inputs[%zu]", i);
	return 0;
}

/* webhook: {listen, cert, key, clientCA}: an input of the webhook kind, listening on listen. */
static int load_webhook(const json_t *doc, struct audit_forward_config *cfg, struct cc_error *err)
{
	json_t *webhook;
	const char *listen;
	int r = cc_json_get_object(doc, "webhook", false, &webhook, err);
	if (r < 0 || !webhook)
		return r;
	if ((r = cc_json_get_string(webhook, "listen", true, &listen, err)) < 0)
		return cc_error_prefix(err, "webhook");
	if (cfg->input_count == AUDIT_MAX_INPUTS)
		return cc_error_set(err, EINVAL, "at most %d inputs", AUDIT_MAX_INPUTS);
	struct audit_input *in = &cfg->inputs[cfg->input_count];
	_cleanup_free_ char *spec = cc_xasprintf("webhook:%s", listen);
	if ((r = audit_input_parse(spec, in, err)) < 0)
		return cc_error_prefix(err, "webhook");
	if ((r = audit_settings_load(&in->settings, webhook, (const char *const[]){ "listen", NULL }, "webhook", err)) <
	    0) {
		audit_input_free(in);
		return r;
	}
	cfg->input_count++;
	return 0;
}

static int load_checkpoint(const json_t *doc, struct audit_forward_config *cfg, const char **checkpoint_key,
			   struct cc_error *err)
{
	static const char *const keys[] = { "key", "every", NULL };
	json_t *checkpoint;
	int r = cc_json_get_object(doc, "checkpoint", false, &checkpoint, err);
	if (r < 0 || !checkpoint)
		return r;
	if ((r = check_keys(checkpoint, keys, "checkpoint", err)) < 0 ||
	    (r = cc_json_get_string(checkpoint, "key", true, checkpoint_key, err)) < 0 ||
	    (r = get_uint(checkpoint, "every", &cfg->checkpoint_every, err)) < 0)
		return cc_error_prefix(err, "checkpoint");
	return 0;
}

/* The settings of the forwarder itself (not of an input or output). */
static int load_forwarder(const json_t *doc, struct audit_forward_config *cfg, struct cc_error *err)
{
	uint64_t batch = 0;
	int r;
	if ((r = cc_json_get_string(doc, "queue", false, &cfg->queue_dir, err)) < 0 ||
	    (r = get_uint(doc, "queueMaxBytes", &cfg->queue_max_bytes, err)) < 0 ||
	    (r = get_uint(doc, "batch", &batch, err)) < 0 ||
	    (r = cc_json_get_string(doc, "metrics", false, &cfg->metrics_listen, err)) < 0 ||
	    (r = get_strings(doc, "redact", cfg->redact, CC_ARRAY_SIZE(cfg->redact), &cfg->redact_count, err)) < 0)
		return r;
	cfg->batch = batch;
	return 0;
}

static int load_sections(const json_t *doc, struct audit_forward_config *cfg, const char **checkpoint_key,
			 struct cc_error *err)
{
	static const char *const keys[] = { "queue",  "queueMaxBytes", "inputs",  "checkpoint", "metrics",
					    "redact", "webhook",       "outputs", "batch",      NULL };
	int r;
	if (!json_is_object(doc))
		return cc_error_set(err, EINVAL, "the configuration must be a mapping");
	if ((r = check_keys(doc, keys, "configuration", err)) < 0 || (r = load_forwarder(doc, cfg, err)) < 0 ||
	    (r = load_checkpoint(doc, cfg, checkpoint_key, err)) < 0 || (r = load_inputs(doc, cfg, err)) < 0 ||
	    (r = load_webhook(doc, cfg, err)) < 0)
		return r;
	return load_outputs(doc, cfg, err);
}

int audit_config_load(const char *path, struct audit_forward_config *cfg, json_t **ret_doc,
		      const char **ret_checkpoint_key, struct cc_error *err)
{
	json_t *docs;
	int r = cc_yaml_load_file(path, &docs, err);
	if (r < 0)
		return r;
	size_t documents = json_array_size(docs);
	if (documents != 1) {
		json_decref(docs);
		return cc_error_set(err, EINVAL, "%s: expected one document, found %zu", path, documents);
	}
	*ret_checkpoint_key = NULL;
	if ((r = load_sections(json_array_get(docs, 0), cfg, ret_checkpoint_key, err)) < 0) {
		audit_config_free(cfg);
		json_decref(docs);
		return cc_error_prefix(err, "%s", path);
	}
	*ret_doc = docs;
	return 0;
}

#define TAKE_UNSET(field)                                                                                              \
	do {                                                                                                           \
		if (!cfg->field)                                                                                       \
			cfg->field = file->field;                                                                      \
	} while (0)

int audit_config_merge(struct audit_forward_config *cfg, struct audit_forward_config *file, struct cc_error *err)
{
	if (cfg->input_count + file->input_count > AUDIT_MAX_INPUTS)
		return cc_error_set(err, EINVAL, "at most %d inputs in all", AUDIT_MAX_INPUTS);
	if (cfg->output_count + file->output_count > AUDIT_MAX_OUTPUTS)
		return cc_error_set(err, EINVAL, "at most %d outputs in all", AUDIT_MAX_OUTPUTS);
	if (cfg->redact_count + file->redact_count > CC_ARRAY_SIZE(cfg->redact))
		return cc_error_set(err, EINVAL, "at most %zu redactions in all", CC_ARRAY_SIZE(cfg->redact));
	TAKE_UNSET(queue_dir);
	TAKE_UNSET(queue_max_bytes);
	TAKE_UNSET(checkpoint_every);
	TAKE_UNSET(batch);
	TAKE_UNSET(metrics_listen);
	for (size_t i = 0; i < file->input_count; i++)
		cfg->inputs[cfg->input_count++] = file->inputs[i];
	file->input_count = 0;
	for (size_t i = 0; i < file->redact_count; i++)
		cfg->redact[cfg->redact_count++] = file->redact[i];
	for (size_t i = 0; i < file->output_count; i++)
		cfg->outputs[cfg->output_count++] = file->outputs[i];
	file->output_count = 0;
	return 0;
}

void audit_config_free(struct audit_forward_config *cfg)
{
	for (size_t i = 0; i < cfg->input_count; i++)
		audit_input_free(&cfg->inputs[i]);
	cfg->input_count = 0;
	for (size_t i = 0; i < cfg->output_count; i++)
		audit_output_free(&cfg->outputs[i]);
	cfg->output_count = 0;
}

int audit_config_apply_options(struct audit_forward_config *cfg, const struct audit_options *opts, struct cc_error *err)
{
	uint64_t used = 0;
	for (size_t i = 0; i < cfg->input_count; i++) {
		int r = audit_settings_apply(&cfg->inputs[i].settings, opts, &used, err);
		if (r < 0)
			return cc_error_prefix(err, "input %s%s", cfg->inputs[i].ops->prefix, cfg->inputs[i].target);
	}
	for (size_t i = 0; i < cfg->output_count; i++) {
		int r = audit_settings_apply(&cfg->outputs[i].settings, opts, &used, err);
		if (r < 0)
			return cc_error_prefix(err, "output %s%s", cfg->outputs[i].ops->prefix, cfg->outputs[i].target);
	}
	for (size_t i = 0; i < opts->count; i++)
		if (!(used & (UINT64_C(1) << i)))
			cc_warning("--%s: no input or output here takes it; ignored", opts->items[i].option);
	return 0;
}

/* Adds the options of a kind's table not listed yet. */
static void add_options(const struct audit_setting *table, const struct audit_setting **list, size_t max, size_t *count)
{
	for (const struct audit_setting *t = table; t && t->key; t++) {
		bool listed = !t->option;
		for (size_t i = 0; i < *count && !listed; i++)
			listed = strcmp(list[i]->option, t->option) == 0;
		if (!listed && *count < max)
			list[(*count)++] = t;
	}
}

size_t audit_config_plugin_options(const struct audit_setting **ret, size_t max)
{
	size_t count = 0;
	for (size_t i = 0; audit_input_kinds[i]; i++)
		add_options(audit_input_kinds[i]->settings, ret, max, &count);
	for (size_t i = 0; audit_output_kinds[i]; i++)
		add_options(audit_output_kinds[i]->settings, ret, max, &count);
	return count;
}
