// SPDX-License-Identifier: MIT
/*
 * bench-run-measured: run a command (its standard output to /dev/null) and
 * print what it cost:
 *
 *   bench-run-measured [--descendants] COMMAND [ARG...]
 *   cpu_us=N maxrss_kb=N anon_kb=N file_kb=N status=N [rest_cpu_us=N]
 *
 * --descendants: the processes COMMAND leaves behind (a daemon's tree
 * server, which outlives it by design) are counted too. This program is
 * their subreaper: once COMMAND has exited, it stops them (SIGTERM) and
 * waits for them, and cpu_us is COMMAND's and theirs, rest_cpu_us theirs.
 *
 * cpu_us is user + system time of every thread (wait4's rusage, to the
 * microsecond); maxrss_kb its peak resident set; anon_kb and file_kb the
 * peaks of its private memory (RssAnon) and of the shared files' pages it
 * has resident (RssFile, libraries other processes share), sampled from
 * /proc/PID/status every 10 ms.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long field_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? atol(p + strlen(key)) : 0;
}

static long cpu_of(const struct rusage *ru)
{
	return (long)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000L + ru->ru_utime.tv_usec +
	       ru->ru_stime.tv_usec;
}

/* Send @sig to the processes whose parent this process is now. */
static void signal_children(int sig)
{
	DIR *d = opendir("/proc");

	for (struct dirent *e; d && (e = readdir(d)); ) {
		char path[300], text[4096];
		pid_t p = (pid_t)atoi(e->d_name);
		FILE *f;
		size_t n;

		if (p <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", (int)p);
		if (!(f = fopen(path, "r")))
			continue;
		n = fread(text, 1, sizeof(text) - 1, f);
		text[n] = '\0';
		fclose(f);
		if (field_kb(text, "\nPPid:") == (long)getpid())
			kill(p, sig);
	}
	if (d)
		closedir(d);
}

/* Stop the processes left to this subreaper and wait for them: their CPU, in us. */
static long reap_rest(void)
{
	long cpu = 0;
	int polls = 0;

	signal_children(SIGTERM);
	for (;;) {
		struct timespec ts = { 0, 10000000 };
		struct rusage ru;
		int st;
		pid_t w = wait4(-1, &st, WNOHANG, &ru);

		if (w > 0) {
			cpu += cpu_of(&ru);
			continue;
		}
		if (w < 0)
			return cpu;  /* ECHILD: none left */
		if (++polls == 1000)  /* 10 s */
			signal_children(SIGKILL);
		nanosleep(&ts, NULL);
	}
}

int main(int argc, char **argv)
{
	char path[64], text[4096];
	long anon = 0, file = 0, rest = -1;
	bool descendants = argc > 1 && !strcmp(argv[1], "--descendants");
	struct rusage ru;
	int status = 0;
	pid_t pid;

	if (descendants) {
		argv++;
		argc--;
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
			return 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: bench-run-measured [--descendants] COMMAND [ARG...]\n");
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
	if (descendants)
		rest = reap_rest();
	printf("cpu_us=%ld maxrss_kb=%ld anon_kb=%ld file_kb=%ld status=%d",
	       cpu_of(&ru) + (rest > 0 ? rest : 0), ru.ru_maxrss, anon, file,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	if (descendants)
		printf(" rest_cpu_us=%ld", rest);
	printf("\n");
	return 0;
}
