// SPDX-License-Identifier: MIT
/*
 * bench-run-measured: run a command (its standard output to /dev/null) and
 * print what it cost:
 *
 *   bench-run-measured COMMAND [ARG...]
 *   cpu_us=N maxrss_kb=N anon_kb=N file_kb=N status=N
 *
 * cpu_us is user + system time of every thread (wait4's rusage, to the
 * microsecond); maxrss_kb its peak resident set; anon_kb and file_kb the
 * peaks of its private memory (RssAnon) and of the shared files' pages it
 * has resident (RssFile, libraries other processes share), sampled from
 * /proc/PID/status every 10 ms.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long field_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? atol(p + strlen(key)) : 0;
}

int main(int argc, char **argv)
{
	char path[64], text[4096];
	long anon = 0, file = 0;
	struct rusage ru;
	int status = 0;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: bench-run-measured COMMAND [ARG...]\n");
		return 2;
	}
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "bench-run-measured: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	for (;;) {
		struct timespec ts = { 0, 10000000 };
		FILE *f;
		size_t n;
		pid_t w = wait4(pid, &status, WNOHANG, &ru);

		if (w == pid)
			break;
		if (w < 0)
			return 2;
		f = fopen(path, "r");
		if (f) {
			n = fread(text, 1, sizeof(text) - 1, f);
			text[n] = '\0';
			fclose(f);
			if (field_kb(text, "RssAnon:") > anon)
				anon = field_kb(text, "RssAnon:");
			if (field_kb(text, "RssFile:") > file)
				file = field_kb(text, "RssFile:");
		}
		nanosleep(&ts, NULL);
	}
	printf("cpu_us=%ld maxrss_kb=%ld anon_kb=%ld file_kb=%ld status=%d\n",
	       (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec,
	       ru.ru_maxrss, anon, file, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
