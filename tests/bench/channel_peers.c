// SPDX-License-Identifier: MIT
/*
 * bench-channel-peers: N processes that each look like a VM's qemu to the
 * tree server (argv[0] qemu-system-x86_64, "-uuid UUID") and read its
 * channel socket, throwing the frames away, until they are stopped:
 *
 *   bench-channel-peers SOCKET N
 *
 * VM i's UUID is 00000000-0000-0000-0000-<i on 12 digits>, as the bench's
 * fixture names them. Prints "ready" once every one has connected; stops
 * them all when it gets SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int peer(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char buf[65536];
	int fd;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return 1;
	if (write(3, "c", 1) != 1)
		return 1;
	close(3);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	static volatile sig_atomic_t stop;
	int pipefd[2], n;
	sigset_t mask;

	if (argc == 7 && !strcmp(argv[5], "--peer"))
		return peer(argv[6]);
	if (argc != 3 || (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: bench-channel-peers SOCKET N\n");
		return 2;
	}
	if (pipe(pipefd) < 0)
		return 1;
	setpgid(0, 0);
	for (int i = 0; i < n; i++) {
		char uuid[48], name[32];
		pid_t pid;

		snprintf(uuid, sizeof(uuid), "00000000-0000-0000-0000-%012d", i);
		snprintf(name, sizeof(name), "guest=vm-%d", i);
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			char *args[] = { (char *)"qemu-system-x86_64", (char *)"-name", name, (char *)"-uuid", uuid,
					 (char *)"--peer", argv[1], NULL };

			close(pipefd[0]);
			if (pipefd[1] != 3) {
				dup2(pipefd[1], 3);
				close(pipefd[1]);
			}
			execv("/proc/self/exe", args);
			_exit(127);
		}
	}
	close(pipefd[1]);
	for (int got = 0; got < n;) {
		char c;
		ssize_t r = read(pipefd[0], &c, 1);

		if (r <= 0)
			break;
		got++;
		if (got == n) {
			printf("ready\n");
			fflush(stdout);
		}
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	{
		int sig;

		sigwait(&mask, &sig);
	}
	(void)stop;
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
