/* SPDX-License-Identifier: MIT */
/*
 * vpowercapd attach/detach: add a domain's vpowercap share to its
 * persistent definition, or take away exactly what attach added, through
 * the libvirt API. The share is the VM's powercap tree over 9p or virtiofs
 * (a <filesystem>, from the next start), or the channel (a virtio-serial
 * <channel> that the tree server writes the VM's counters to; hot-plugged
 * into the running domain too, and migrating with it).
 */
#ifndef VPOWERCAP_ATTACH_H
#define VPOWERCAP_ATTACH_H

#include <stdbool.h>

enum share_transport {
	SHARE_9P,
	SHARE_VIRTIOFS,
	SHARE_CHANNEL,
};

#define SHARE_TAG "vpowercap"

/* What to add, and where it leads. */
struct share_request {
	enum share_transport transport;
	const char *mountpoint;       /* 9p, virtiofs: the trees', MOUNTPOINT/UUID */
	const char *channel_socket;   /* channel: the tree server's channel socket */
	bool readonly;                /* 9p: <readonly/> */
	bool live_only;               /* channel: into the running domain alone, never
				       * the persistent definition (a cloud manager's) */
};

/**
 * Add the <filesystem> (tag "vpowercap", source MOUNTPOINT/UUID) to
 * @domain's persistent definition, and for virtiofs the shared memfd
 * <memoryBacking> when it has none; or the channel, to the persistent
 * definition (unless live_only) and into the running domain. Does nothing
 * where the share is there already. Returns 0 or -errno after logging.
 */
int share_attach(const char *uri, const char *domain, const struct share_request *req);

/**
 * share_attach() on every persistent domain at @uri: those that have the
 * share are left alone, each is reported. Goes on past a domain that
 * fails; returns 0, or the first failure's -errno.
 */
int share_attach_all(const char *uri, const struct share_request *req);

/**
 * Remove what share_attach() added, and nothing else (the channel from the
 * running domain too). Returns 0 or -errno.
 */
int share_detach(const char *uri, const char *domain);

#endif
