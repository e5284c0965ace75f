/* SPDX-License-Identifier: MIT */
/* The project's version, set by the Makefile from VERSION. */
#ifndef VPOWERCAP_VERSION_H
#define VPOWERCAP_VERSION_H

#ifndef VPOWERCAP_VERSION
#define VPOWERCAP_VERSION "0.1.0"
#endif

#endif
