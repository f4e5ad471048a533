/* Image references as docker and podman read them (the grammar of distribution's reference
 * package, github.com/distribution/reference):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path-component ( "/" path-component )*
 *   domain     := host [ ":" port ]            the first component, when it has a "." or a ":",
 *                                              is "localhost", or has an upper-case letter
 *   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest     := "sha256:" 64 lower-case hex digits (the only algorithm the store keeps)
 *
 * A name is at most 255 characters. Without a tag or digest the tag is `latest`. */
#pragma once

#include <stdbool.h>

struct cc_error;

#define IMAGE_REFERENCE_MAX 4096

struct image_reference {
	char *domain;     /* "registry.example:5000", "localhost", or NULL when the name has none */
	char *repository; /* the path: "ns/name" */
	char *tag;        /* "latest" when neither a tag nor a digest was given; NULL with a digest alone */
	char *digest;     /* "sha256:HEX", or NULL */
};

void image_reference_clear(struct image_reference *ref);

/* -EINVAL with the reference and what is wrong with it in err. */
int image_reference_parse(const char *text, struct image_reference *ret, struct cc_error *err);

/* DOMAIN/REPOSITORY (REPOSITORY without a domain). */
char *image_reference_name(const struct image_reference *ref);
/* The whole reference, normalised: NAME:TAG, NAME@DIGEST or NAME:TAG@DIGEST. */
char *image_reference_string(const struct image_reference *ref);

/* A reference to the node's own images: `localhost/NAME` (podman's name for an image that came
 * from no registry: `podman import`, `cocoon image import`). `localhost:PORT/...` is a registry. */
bool image_reference_is_local(const struct image_reference *ref);
