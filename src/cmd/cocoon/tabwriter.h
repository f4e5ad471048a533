/* Elastic tabstops as Go's text/tabwriter lays them out, which kubectl describe prints through
 * (tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)): text is cells ended by a tab; the cells of one column
 * in consecutive lines (a column block) are padded to the widest plus two spaces; a line's last
 * cell, not ended by a tab, is not aligned. Text is gathered and laid out on tabwriter_flush. */
#pragma once

#include "lib/base/buf.h"

#include <stdio.h>

struct tabwriter {
	struct cc_buf text;
};

/* Appends text with 2*level spaces in front, as kubectl's PrefixWriter (LEVEL_0 ... LEVEL_3). */
void tabwriter_printf(struct tabwriter *w, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Lays out everything gathered so far onto out and empties the writer. */
void tabwriter_flush(struct tabwriter *w, FILE *out);
void tabwriter_free(struct tabwriter *w);
