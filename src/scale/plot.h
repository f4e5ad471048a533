/* The simulator's picture (`cocoon scale simulate --plot FILE.svg`): billed nodes over time for the
 * three policies and the demand (the nodes the live pods' requests fill), as a hand-written SVG. */
#pragma once

#include "scale/simulate.h"

#include <stdio.h>

struct cc_error;

int scale_plot_svg(FILE *out, const struct scale_sim_report *report, struct cc_error *err);
