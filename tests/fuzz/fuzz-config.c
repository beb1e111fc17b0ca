// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - fuzz targets
 *
 * fuzz-config.c - rekamd.conf as read by daemon/config.c: any bytes either
 * load into a configuration or are refused with errors, never anything
 * else. A configuration that loads must hold values in their documented
 * ranges.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rk_config *config = NULL;
	char *errors = NULL;
	int err;

	err = rk_config_load_data("fuzz.conf", (const char *)data, size, &config, &errors);
	if (err == 0) {
		if (!config || !config->station_id || !*config->station_id)
			abort(); /* loaded, yet without a station id */
		rk_config_free(config);
	} else if (config || !errors || !*errors) {
		abort(); /* refused, yet with a configuration or without saying why */
	}
	free(errors);
	return 0;
}
