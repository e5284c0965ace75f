// SPDX-License-Identifier: MIT
/*
 * vpowercap-channel: in a guest, reads the VM's counters from the
 * virtio-serial port the host writes them to (common/channel.h) and keeps
 * them as a powercap tree on tmpfs (guest/channel_tree.h), where the agent
 * and any powercap reader find them. Waits for the port to appear (a
 * channel hot-plugged into the running VM) and for the host to connect.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/channel.h"
#include "common/log.h"
#include "common/version.h"
#include "guest/channel_tree.h"

#define TREE_DEFAULT "/run/vpowercap-guest"

struct channel_opts {
	const char *name;      /* the port's name */
	const char *port;      /* its device, if given */
	const char *tree;
	const char *sys_root;  /* where /sys is: tests point it elsewhere */
	int frames;            /* stop after this many frames; 0: never */
};

/*
 * The port's device: /dev/virtio-ports/NAME where udev made it, else the
 * vportNpM whose name sysfs gives as NAME (an initramfs without udev).
 */
static int find_port(const struct channel_opts *o, char *path, size_t size)
{
	char dir[PATH_MAX], file[PATH_MAX + 300], name[256];
	struct dirent *e;
	DIR *d;

	if (o->port) {
		snprintf(path, size, "%s", o->port);
		return 0;
	}
	snprintf(path, size, "/dev/virtio-ports/%s", o->name);
	if (access(path, F_OK) == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s/class/virtio-ports", o->sys_root);
	d = opendir(dir);
	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/name", dir, e->d_name);
		f = fopen(file, "re");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f)) {
			name[strcspn(name, "\n")] = '\0';
			if (!strcmp(name, o->name)) {
				fclose(f);
				snprintf(path, size, "/dev/%s", e->d_name);
				closedir(d);
				return 0;
			}
		}
		fclose(f);
	}
	closedir(d);
	return -ENOENT;
}

/* Read frames from @fd until it ends, a signal comes or enough frames. */
static int read_port(int fd, int sig_fd, struct channel_tree *t, struct channel_reader *r,
		     const struct channel_opts *o, int *taken)
{
	struct complaint bad = { 0 };

	for (;;) {
		struct pollfd pfd[2] = { { .fd = sig_fd, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
		struct channel_frame f;
		char why[160];
		size_t room;
		char *space;
		ssize_t n;
		int ret;

		if (poll(pfd, 2, 1000) < 0 && errno != EINTR)
			return log_error(-errno, "poll: %s", strerror(errno));
		if (pfd[0].revents)
			return 1;
		if (!(pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		space = channel_reader_space(r, &room);
		n = read(fd, space, room);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			/* the host is not connected (yet, or any more): wait for it */
			if (n == 0 || errno == EPIPE) {
				struct pollfd s = { .fd = sig_fd, .events = POLLIN };

				if (poll(&s, 1, 250) > 0)
					return 1;
				continue;
			}
			return log_error(-errno, "reading the port: %s", strerror(errno));
		}
		channel_reader_add(r, (size_t)n);
		while ((ret = channel_reader_next(r, &f, why, sizeof(why))) != 0) {
			if (ret < 0) {
				complain(&bad, LOG_LEVEL_WARNING, "refused a frame: %s (%" PRIu64 " refused so far)",
					 why, r->refused);
				continue;
			}
			complaint_release(&bad, "frames are sound again");
			if (channel_tree_apply(t, &f) == 0 && o->frames && ++*taken >= o->frames)
				return 1;
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vpowercap-channel [--name NAME | --port DEVICE] [--tree DIR] [--frames N] [-v|-q]\n"
		   "Keeps the VM's powercap tree in DIR (default %s) from the host's frames on the\n"
		   "virtio-serial port NAME (default %s). See docs/guest.md.\n",
		   TREE_DEFAULT, CHANNEL_NAME_DEFAULT);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'p' },
		{ "tree", required_argument, NULL, 't' },
		{ "sys-root", required_argument, NULL, 's' },
		{ "frames", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct channel_opts o = { .name = CHANNEL_NAME_DEFAULT, .tree = TREE_DEFAULT, .sys_root = "/sys" };
	static struct channel_reader r;
	static struct channel_tree t;
	int opt, sig_fd, taken = 0, ret = 0;
	bool waiting = false;
	sigset_t mask;
	char *end;

	log_set_program("vpowercap-channel");
	while ((opt = getopt_long(argc, argv, "vq", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n': o.name = optarg; break;
		case 'p': o.port = optarg; break;
		case 't': o.tree = optarg; break;
		case 's': o.sys_root = optarg; break;
		case 'f':
			o.frames = (int)strtol(optarg, &end, 10);
			if (*end || o.frames < 1) {
				fprintf(stderr, "vpowercap-channel: --frames wants a positive number\n");
				return 2;
			}
			break;
		case 'v': log_set_level(LOG_LEVEL_DEBUG); break;
		case 'q': log_set_level(LOG_LEVEL_WARNING); break;
		case 'V': printf("vpowercap-channel %s\n", VPOWERCAP_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !o.name[0] || strchr(o.name, '/')) {
		usage(stderr);
		return 2;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sig_fd < 0)
		return log_error(-errno, "signalfd: %s", strerror(errno)), 1;
	if (channel_tree_open(&t, o.tree) < 0)
		return 1;
	for (;;) {
		char path[PATH_MAX];
		int fd = -1;

		if (find_port(&o, path, sizeof(path)) == 0)
			fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			struct pollfd s = { .fd = sig_fd, .events = POLLIN };

			if (!waiting)
				log_info("waiting for the port '%s'%s", o.port ? o.port : o.name,
					 errno == EBUSY ? " (another reader holds it)" : "");
			waiting = true;
			if (poll(&s, 1, 1000) > 0)
				break;
			continue;
		}
		log_info("reading '%s' into '%s'", path, o.tree);
		waiting = false;
		ret = read_port(fd, sig_fd, &t, &r, &o, &taken);
		close(fd);
		if (ret > 0)
			break;
		/* the port went away (unplugged): wait for it again */
		waiting = false;
	}
	log_info("%" PRIu64 " frames taken, %" PRIu64 " refused, %" PRIu64 " bytes skipped, %" PRIu64
		 " changes of host", r.frames, r.refused, r.skipped, t.senders);
	return 0;
}
