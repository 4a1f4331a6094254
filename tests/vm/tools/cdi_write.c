// SPDX-License-Identifier: MIT
/* cdi_write [DIR]: hv_cdi_write, as `hvdpactl cdi [DIR]` runs it. */
#include <stdio.h>

#include "../../../tools/cdi.h"

int main(int argc, char **argv)
{
	char err[512];

	if (hv_cdi_write(argc > 1 ? argv[1] : NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "cdi_write: %s\n", err);
		return 1;
	}
	return 0;
}
