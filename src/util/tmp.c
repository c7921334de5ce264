#include "util/tmp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *tmp_dir(void)
{
	const char *d = getenv("TMPDIR");

	return d && *d ? d : "/tmp";
}

FILE *tmp_file(void)
{
	const char *dir = tmp_dir();
	size_t n = strlen(dir);
	char *path = malloc(n + sizeof "/logwhy-XXXXXX");
	FILE *f = NULL;
	int fd, e;

	if (!path)
		return NULL;
	memcpy(path, dir, n);
	memcpy(path + n, "/logwhy-XXXXXX", sizeof "/logwhy-XXXXXX");
	fd = mkstemp(path);
	if (fd >= 0) {
		unlink(path);
		f = fdopen(fd, "w+b");
		if (!f) {
			e = errno;
			close(fd);
			errno = e;
		}
	}
	e = errno;
	free(path);
	errno = e;
	return f;
}

int tmp_full(int err)
{
	return err == ENOSPC || err == EFBIG
#ifdef EDQUOT
	       || err == EDQUOT
#endif
		;
}
