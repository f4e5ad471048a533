/* Replays a fuzz target's seed corpus without libFuzzer, so `make check` runs every regression
 * input found by fuzzing on every build (deterministic and quick). Linked with one fuzz_*.c in
 * place of libFuzzer's main. Usage: replay DIR...; each regular file is one input. A crash or a
 * hang fails the meson test; under `make sanitize` the same replay runs with ASan and UBSan. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return 0;
	}
	size_t size = (size_t)st.st_size;
	/* A copy of exactly the input's size, so a read past its end is a read past the allocation. */
	uint8_t *data = malloc(size ? size : 1);
	if (!data || fread(data, 1, size, f) != size) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return 1;
}

int main(int argc, char **argv)
{
	int inputs = 0;
	for (int i = 1; i < argc; i++) {
		DIR *dir = opendir(argv[i]);
		if (!dir) {
			perror(argv[i]);
			return 1;
		}
		struct dirent *e;
		while ((e = readdir(dir))) {
			if (e->d_name[0] == '.')
				continue;
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			int r = replay_file(path);
			if (r < 0) {
				closedir(dir);
				return 1;
			}
			inputs += r;
		}
		closedir(dir);
	}
	if (inputs == 0) {
		fprintf(stderr, "no inputs in the corpus\n");
		return 1;
	}
	/* The line run-tests counts, in cmocka's words: one replay, however many inputs. */
	printf("replayed %d inputs\n[  PASSED  ] 1 test(s).\n", inputs);
	return 0;
}
