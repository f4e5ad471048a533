/* A one-pass reader of JSON text that writes its canonical form (cc_json_canonical's) while it reads,
 * without building a tree, and notes the few values its caller asks for (canonical_scan.c). It
 * accepts exactly what cc_json_parse does and writes exactly what cc_json_canonical writes for the
 * tree cc_json_parse would have built. */
#pragma once

#include "lib/base/cleanup.h"

#include <stddef.h>
#include <stdint.h>

struct cc_error;

/* Slots are the caller's numbers for the values it wants noted. Slot 0 is no slot (nothing below
 * it is noted); slot 1 is the document itself. A caller's enum starts with these two. */
#define CC_JSON_SLOT_NONE 0u
#define CC_JSON_SLOT_ROOT 1u

/* The value of member key of an object noted in slot parent is noted in slot; with key NULL, each
 * element of an array noted in slot parent is. */
struct cc_json_slot_key {
	unsigned parent;
	const char *key;
	unsigned slot;
};

enum cc_json_noted_type {
	CC_JSON_NOTED_ABSENT,
	CC_JSON_NOTED_OBJECT,
	CC_JSON_NOTED_ARRAY,
	CC_JSON_NOTED_STRING,
	CC_JSON_NOTED_INTEGER,
	CC_JSON_NOTED_REAL,
	CC_JSON_NOTED_TRUE,
	CC_JSON_NOTED_FALSE,
	CC_JSON_NOTED_NULL,
};

/* One noted value; its text lives in the scanner until the next read. */
struct cc_json_noted {
	unsigned slot;
	enum cc_json_noted_type type;
	const char *text; /* NUL-terminated: a string's decoded bytes, an array's canonical text; else NULL */
	size_t len;
	int64_t integer; /* CC_JSON_NOTED_INTEGER */
};

/* A scanner keeps its buffers from one read to the next (one scanner per thread). keys tells what to
 * note; every slot in it is below slot_count. The table is copied. */
struct cc_json_scanner;
struct cc_json_scanner *cc_json_scanner_new(const struct cc_json_slot_key *keys, size_t key_count, unsigned slot_count);
void cc_json_scanner_free(struct cc_json_scanner *s);
CC_DEFINE_CLEANUP_FUNC(struct cc_json_scanner *, cc_json_scanner_free)

/* Reads one JSON value (whitespace around it allowed). On failure -EINVAL, with
 * "<what>: invalid JSON at byte N: <why>" in err. */
int cc_json_scanner_read(struct cc_json_scanner *s, const char *text, size_t len, const char *what,
			 struct cc_error *err);
/* Where the last read failed, in bytes from the start of its text. */
size_t cc_json_scanner_error_offset(const struct cc_json_scanner *s);

/* After a successful read: the canonical text (NUL-terminated), and the same handed to the caller to
 * free (the scanner then starts the next read with a new buffer). */
const char *cc_json_scanner_text(const struct cc_json_scanner *s, size_t *ret_len);
char *cc_json_scanner_steal_text(struct cc_json_scanner *s, size_t *ret_len);

/* After a successful read: the value last noted in slot (type CC_JSON_NOTED_ABSENT when none was;
 * never NULL), and every noted value in the order their reading ended (an array's elements before
 * the array, an object before its members), for slots noted more than once. */
const struct cc_json_noted *cc_json_scanner_noted(const struct cc_json_scanner *s, unsigned slot);
size_t cc_json_scanner_note_count(const struct cc_json_scanner *s);
const struct cc_json_noted *cc_json_scanner_note(const struct cc_json_scanner *s, size_t index);
