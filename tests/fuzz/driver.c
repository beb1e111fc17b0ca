// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - fuzz targets
 *
 * driver.c - the main() of a fuzz target built without libFuzzer (the
 * default build): it feeds every file named on the command line, or every
 * file in a directory named there, to LLVMFuzzerTestOneInput() once. make
 * check runs each target this way over its seed corpus (tests/fuzz/corpus),
 * under valgrind and the sanitizers like every other test; a build with
 * --enable-fuzzing links libFuzzer's main() instead and explores.
 */
#include <config.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	struct stat st;
	size_t n;

	if (!f || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	/* an exact-size copy, so that reading past the input is caught */
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (!buf || n != (size_t)st.st_size) {
		fprintf(stderr, "cannot read %s\n", path);
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int inputs = 0;
	int status = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *dir;
		struct dirent *e;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "cannot read %s\n", argv[i]);
			status = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			status |= run_file(argv[i]) < 0;
			inputs++;
			continue;
		}
		dir = opendir(argv[i]);
		while (dir && (e = readdir(dir))) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			status |= run_file(path) < 0;
			inputs++;
		}
		if (dir)
			closedir(dir);
	}
	printf("%s: %u inputs\n", argv[0], inputs);
	return status || inputs == 0;
}
