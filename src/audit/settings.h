/* The settings of the audit pipeline's plugins (inputs and outputs), each kind's own, declared in
 * a table as fluent-bit declares a plugin's config map: the generic code reads them from the
 * configuration file and from the command line into the kind's own settings struct, and only the
 * kind knows what they mean. A generic struct never carries one kind's fields.
 *
 * In the configuration file a setting is a key of the plugin's entry, or of a section of it
 * (tls: {ca: ...}); on the command line, an option that sets it for every plugin of the kind
 * (--ca FILE). The file's sections win as a whole: a section the file leaves out entirely takes
 * the command line's options, one it gives takes none of them, so the credentials of one receiver
 * are never mixed with another's. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

enum audit_setting_type {
	AUDIT_SETTING_STRING,  /* const char *, borrowed from the command line or the configuration */
	AUDIT_SETTING_BOOL,    /* bool; a flag on the command line */
	AUDIT_SETTING_SECONDS, /* unsigned, 1 or more */
};

struct audit_setting {
	const char *section; /* the sub-mapping of the plugin's entry that holds it ("tls"), or NULL */
	const char *key;     /* its key in the configuration file; NULL ends a table */
	const char *option;  /* the command-line option (without "--"), or NULL */
	const char *arg;     /* what the option takes, for --help ("FILE"); NULL for a flag */
	const char *help;
	enum audit_setting_type type;
	size_t offset; /* of its field in the kind's settings struct */
};

#define AUDIT_MAX_OPTIONS 32

/* Values of plugin options given on the command line, in their order. */
struct audit_options {
	struct {
		const char *option;
		const char *value; /* "true" for a flag */
	} items[AUDIT_MAX_OPTIONS];
	size_t count;
};

/* One plugin's settings: its kind's table and its own values. */
struct audit_settings {
	const struct audit_setting *table; /* NULL: the kind has none */
	void *values;                      /* the kind's settings struct */
	uint64_t given;                    /* bit i: table[i] came from the configuration file */
};

/* Zeroed values of size bytes for a kind with this table. */
void audit_settings_init(struct audit_settings *s, const struct audit_setting *table, size_t size);
void audit_settings_free(struct audit_settings *s);

/* Reads the keys of a plugin's entry in the configuration file, but those in reserved (a
 * NULL-terminated list the caller reads itself, such as url): each names a setting, or a section
 * whose keys name settings. An unknown key is an error naming it ("<where>: unknown key `x`"). */
int audit_settings_load(struct audit_settings *s, const json_t *entry, const char *const *reserved, const char *where,
			struct cc_error *err);

/* Applies the command-line options the kind takes to every section the configuration file left
 * out (see above); bit i of *used is set for each of opts' items that the kind takes. */
int audit_settings_apply(struct audit_settings *s, const struct audit_options *opts, uint64_t *used,
			 struct cc_error *err);

/* The string or bool value of section.key (section NULL: the entry's own), for tests and
 * diagnostics; NULL or false when the kind has no such setting or it is unset. */
const char *audit_settings_string(const struct audit_settings *s, const char *section, const char *key);
bool audit_settings_bool(const struct audit_settings *s, const char *section, const char *key);
