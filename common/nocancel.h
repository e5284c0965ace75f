/* SPDX-License-Identifier: MIT */
/*
 * The system calls of the per-tick loops (a stat file per VM or process, a
 * counter per zone) without glibc's cancellation point. In a process with
 * threads (the exporter's, the tree server's), glibc's pread(), read(),
 * openat() and close() switch the caller to asynchronous cancellation
 * around the call and back, two atomic operations each time: at 5,000 VMs
 * that was 3% of a tick. No thread of the project is ever cancelled
 * (nothing calls pthread_cancel()), so there is nothing for them to do.
 * Same results and errno as the libc calls.
 */
#ifndef VPOWERCAP_NOCANCEL_H
#define VPOWERCAP_NOCANCEL_H

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static inline ssize_t pread_nocancel(int fd, void *buf, size_t count, off_t offset)
{
	return syscall(SYS_pread64, fd, buf, count, offset);
}

static inline ssize_t read_nocancel(int fd, void *buf, size_t count)
{
	return syscall(SYS_read, fd, buf, count);
}

static inline int openat_nocancel(int dirfd, const char *path, int flags)
{
	return (int)syscall(SYS_openat, dirfd, path, flags);
}

static inline int close_nocancel(int fd)
{
	return (int)syscall(SYS_close, fd);
}

#endif
