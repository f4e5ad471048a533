/* SPDX license expressions (SPDX 2.3 Annex D) as the SBOMs may state them: a package database's
 * license field is passed on only when it is an expression whose every identifier is on the SPDX
 * License List, so a document never asserts a license that no reader can resolve. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The expression declared spells, in canonical form (identifiers in the list's case, one blank
 * between terms, parentheses kept): malloc'd. NULL when declared is not such an expression:
 * "GPLv2+", "MIT and BSD" (operators are upper case), "custom", a LicenseRef- (which would need
 * its text in the document), NONE and NOASSERTION. */
char *scan_spdx_license_expression(const char *declared);

/* The list's spelling of a license (or, with exception set, a license exception) identifier,
 * matched without regard to case as Annex D says; NULL when it is not on the list. */
const char *scan_spdx_license_id(const char *id, size_t len, bool exception);
