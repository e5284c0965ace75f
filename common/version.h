/* SPDX-License-Identifier: MIT */
/*
 * The project's version. Its one number is VERSION in the Makefile, which
 * passes it to every compile as -DVPOWERCAP_VERSION and writes it into the
 * copy of this header that 'make install' installs.
 */
#ifndef VPOWERCAP_VERSION_H
#define VPOWERCAP_VERSION_H

#ifndef VPOWERCAP_VERSION
#error "VPOWERCAP_VERSION comes from the Makefile's VERSION: build with make"
#endif

#endif
