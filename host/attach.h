/* SPDX-License-Identifier: MIT */
/*
 * vpowercapd attach/detach: add a domain's vpowercap share to its
 * persistent definition, or take away exactly what attach added, through
 * the libvirt API.
 */
#ifndef VPOWERCAP_ATTACH_H
#define VPOWERCAP_ATTACH_H

#include <stdbool.h>

enum share_transport {
	SHARE_9P,
	SHARE_VIRTIOFS,
};

#define SHARE_TAG "vpowercap"

/**
 * Add the <filesystem> (tag "vpowercap", source MOUNTPOINT/UUID) to
 * @domain's persistent definition, and for virtiofs the shared memfd
 * <memoryBacking> when it has none. Does nothing when the share is there
 * already. Returns 0 or -errno after logging.
 */
int share_attach(const char *uri, const char *domain, const char *mountpoint,
		 enum share_transport transport, bool readonly);

/**
 * share_attach() on every persistent domain at @uri: those that have the
 * share are left alone, each is reported. Goes on past a domain that
 * fails; returns 0, or the first failure's -errno.
 */
int share_attach_all(const char *uri, const char *mountpoint, enum share_transport transport,
		     bool readonly);

/** Remove what share_attach() added, and nothing else. Returns 0 or -errno. */
int share_detach(const char *uri, const char *domain);

#endif
