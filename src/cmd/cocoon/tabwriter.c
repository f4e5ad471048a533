/* Go's text/tabwriter layout (tabwriter.h), with minwidth 0, padding 2, padchar ' ' and no flags:
 * the recursive column-block algorithm of its Writer.format, so that describe's output lines up
 * byte for byte with kubectl's. */
#include "tabwriter.h"

#include "lib/base/cleanup.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#define PADDING 2

struct cell {
	const char *text;
	size_t len;
	size_t width; /* characters, not bytes: Go counts runes */
};

struct line {
	struct cell *cells;
	size_t n; /* the last cell is the one not ended by a tab */
};

void tabwriter_printf(struct tabwriter *w, int level, const char *fmt, ...)
{
	for (int i = 0; i < level; i++)
		cc_buf_append(&w->text, "  ", 2);
	va_list ap;
	va_start(ap, fmt);
	cc_buf_appendv(&w->text, fmt, ap);
	va_end(ap);
}

static size_t utf8_width(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static void write_lines(FILE *out, const struct line *lines, size_t from, size_t to, const size_t *widths,
			size_t n_widths)
{
	for (size_t i = from; i < to; i++) {
		const struct line *l = &lines[i];
		for (size_t j = 0; j < l->n; j++) {
			fwrite(l->cells[j].text, 1, l->cells[j].len, out);
			if (j < n_widths)
				for (size_t k = l->cells[j].width; k < widths[j]; k++)
					fputc(' ', out);
		}
		fputc('\n', out);
	}
}

/* Writer.format: lines [line0, line1) with the widths of columns 0 .. n_widths-1 known. */
static void format(FILE *out, const struct line *lines, size_t line0, size_t line1, size_t *widths, size_t n_widths)
{
	size_t column = n_widths;
	for (size_t this = line0; this < line1; this ++) {
		if (column + 1 >= lines[this].n)
			continue;
		/* A cell in this column: print the lines before, then the block that has one. */
		write_lines(out, lines, line0, this, widths, n_widths);
		line0 = this;
		size_t width = 0;
		for (; this < line1 && column + 1 < lines[this].n; this ++)
			if (lines[this].cells[column].width + PADDING > width)
				width = lines[this].cells[column].width + PADDING;
		widths[n_widths] = width;
		format(out, lines, line0, this, widths, n_widths + 1);
		line0 = this;
		/* The loop's this++ passes over the line that ended the block: it has no cell here. */
	}
	write_lines(out, lines, line0, line1, widths, n_widths);
}

void tabwriter_flush(struct tabwriter *w, FILE *out)
{
	if (!w->text.len)
		return;
	/* Split into lines and cells; a final line without its newline still counts. */
	size_t n_lines = 0, max_cells = 1;
	for (size_t i = 0; i < w->text.len; i++)
		n_lines += w->text.data[i] == '\n';
	bool tail = w->text.data[w->text.len - 1] != '\n';
	n_lines += tail;
	struct line *lines = cc_xcalloc(n_lines, sizeof(*lines));
	const char *p = w->text.data, *end = w->text.data + w->text.len;
	for (size_t li = 0; li < n_lines; li++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		size_t n = 1;
		for (const char *q = p; q < eol; q++)
			n += *q == '\t';
		if (n > max_cells)
			max_cells = n;
		lines[li].cells = cc_xcalloc(n, sizeof(struct cell));
		lines[li].n = n;
		for (size_t c = 0; c < n; c++) {
			const char *tab = memchr(p, '\t', (size_t)(eol - p));
			const char *stop = tab ? tab : eol;
			lines[li].cells[c] = (struct cell){ p, (size_t)(stop - p), utf8_width(p, (size_t)(stop - p)) };
			p = tab ? tab + 1 : eol;
		}
		p = eol + 1;
	}
	size_t *widths = cc_xcalloc(max_cells, sizeof(size_t));
	format(out, lines, 0, n_lines, widths, 0); /* a last line without its newline gets one */
	free(widths);
	for (size_t i = 0; i < n_lines; i++)
		free(lines[i].cells);
	free(lines);
	cc_buf_reset(&w->text);
}

void tabwriter_free(struct tabwriter *w)
{
	cc_buf_free(&w->text);
}
