/* SVG of a simulation (plot.h). Step lines (a value holds until the next point), at most one
 * vertex pair per horizontal pixel column so a month-long trace stays a small file: within a
 * column the line keeps the column's last value, and the column's maximum is drawn as well so a
 * short peak does not vanish. */
#include "scale/plot.h"

#include "lib/base/error.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>

#define WIDTH  960
#define HEIGHT 480
#define LEFT   64
#define RIGHT  180
#define TOP    40
#define BOTTOM 48

struct frame {
	int64_t start, end;
	double max;
};

static double x_of(const struct frame *f, int64_t t)
{
	double span = (double)(f->end > f->start ? f->end - f->start : 1);
	return LEFT + (double)(t - f->start) / span * (WIDTH - LEFT - RIGHT);
}

static double y_of(const struct frame *f, double v)
{
	return TOP + (1 - v / f->max) * (HEIGHT - TOP - BOTTOM);
}

static void polyline(FILE *out, const struct frame *f, const struct scale_sim_series *s, const char *color,
		     const char *dash)
{
	fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s%s%s points=\"", color,
		dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
	double value = 0, last_x = -1;
	for (size_t i = 0; i < s->n; i++) {
		double x = x_of(f, s->points[i].time);
		double y = y_of(f, s->points[i].value);
		if (i > 0 && floor(x) == floor(last_x) && i + 1 < s->n &&
		    floor(x_of(f, s->points[i + 1].time)) == floor(x)) {
			if (s->points[i].value > value) /* keep a peak inside one column */
				fprintf(out, "%.1f,%.1f %.1f,%.1f ", x, y_of(f, value), x, y);
			value = s->points[i].value;
			continue;
		}
		if (i > 0)
			fprintf(out, "%.1f,%.1f ", x, y_of(f, value));
		fprintf(out, "%.1f,%.1f ", x, y);
		value = s->points[i].value;
		last_x = x;
	}
	fprintf(out, "%.1f,%.1f\"/>\n", x_of(f, f->end), y_of(f, value));
}

static double series_max(const struct scale_sim_series *s)
{
	double m = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->points[i].value > m)
			m = s->points[i].value;
	return m;
}

static void axes(FILE *out, const struct frame *f)
{
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", LEFT, HEIGHT - BOTTOM,
		WIDTH - RIGHT, HEIGHT - BOTTOM);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", LEFT, TOP, LEFT,
		HEIGHT - BOTTOM);
	for (int k = 0; k <= 4; k++) {
		double v = f->max * k / 4;
		fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n", LEFT - 6, y_of(f, v) + 4,
			v);
		double hours = (double)(f->end - f->start) / 3600.0 * k / 4;
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.1f h</text>\n",
			LEFT + (WIDTH - LEFT - RIGHT) * k / 4.0, HEIGHT - BOTTOM + 18, hours);
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\">nodes</text>\n", 8, TOP - 12);
}

int scale_plot_svg(FILE *out, const struct scale_sim_report *rep, struct cc_error *err)
{
	struct frame f = { rep->start, rep->end, 1 };
	const struct scale_sim_series *all[] = { &rep->static_peak.nodes, &rep->node_by_node.nodes, &rep->blocks.nodes,
						 &rep->demand };
	for (size_t i = 0; i < 4; i++)
		if (series_max(all[i]) > f.max)
			f.max = series_max(all[i]);
	f.max = ceil(f.max * 1.1);
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"sans-serif\" font-size=\"12\">\n"
		"<title>cocoon scale simulate: nodes over time</title>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		WIDTH, HEIGHT, WIDTH, HEIGHT);
	axes(out, &f);
	static const char *const colors[] = { "#888888", "#e6772e", "#1f5fbf", "#2a9d4b" };
	static const char *const labels[] = { "static for the peak", "node by node", "blocks", "demand" };
	for (size_t i = 0; i < 4; i++)
		polyline(out, &f, all[i], colors[i], i == 3 ? "4 3" : NULL);
	for (size_t i = 0; i < 4; i++) {
		int y = TOP + 20 * (int)i;
		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>\n",
			WIDTH - RIGHT + 16, y, WIDTH - RIGHT + 40, y, colors[i]);
		fprintf(out, "<text x=\"%d\" y=\"%d\">%s</text>\n", WIDTH - RIGHT + 46, y + 4, labels[i]);
	}
	fprintf(out, "</svg>\n");
	if (fflush(out) != 0 || ferror(out))
		return cc_error_set_errno(err, errno ? errno : EIO, "write the plot");
	return 0;
}
