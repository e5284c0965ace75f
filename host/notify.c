// SPDX-License-Identifier: MIT
/* Telling the service manager that the daemon is ready: sd_notify's protocol, by hand. */
#include "host/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

int notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	static const char msg[] = "READY=1";
	size_t len;
	socklen_t alen;
	int fd, ret = 0;

	if (!path || !path[0])
		return 0;
	len = strlen(path);
	/* a path, or an abstract address written "@name" */
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path))
		return log_error(-EINVAL, "NOTIFY_SOCKET '%s' is not a socket's address", path);
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0';
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_error(-errno, "cannot tell the service manager we are ready: %s", strerror(errno));
	if (sendto(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL, (struct sockaddr *)&addr, alen) < 0)
		ret = log_error(-errno, "cannot tell the service manager we are ready at '%s': %s", path,
				strerror(errno));
	close(fd);
	return ret;
}
