/*
 * socket.c: the socket system calls of a kernel built with no address
 * family, as Linux is with CONFIG_NET but neither CONFIG_UNIX nor
 * CONFIG_INET.  socket() and socketpair() of a well-formed type fail with
 * EAFNOSUPPORT (a malformed type or flag: EINVAL), and every call on a
 * descriptor finds no socket there: EBADF if none is open, else ENOTSOCK.
 * Programs that try a socket and go on without one (bash and glibc's name
 * service lookups, busybox's syslog) then behave as they do on such a
 * Linux, instead of meeting ENOSYS.  socket(2), socketpair(2).
 */
#include "defs.h"

#define SOCK_TYPE_MASK 0xf
#define SOCK_MAX       11         /* SOCK_PACKET + 1 */

/* socket(2)'s type argument as Linux checks it before the family: no flag
 * but SOCK_NONBLOCK and SOCK_CLOEXEC (O_NONBLOCK's and O_CLOEXEC's bits on
 * x86-64), a type below SOCK_MAX. */
static bool type_ok(u64 type)
{
	if ((u32)type & ~(u32)(SOCK_TYPE_MASK | O_NONBLOCK | O_CLOEXEC))
		return false;
	return (type & SOCK_TYPE_MASK) < SOCK_MAX;
}

s64 sys_socket(u64 family, u64 type, u64 protocol)
{
	(void)family, (void)protocol;
	return type_ok(type) ? -EAFNOSUPPORT : -EINVAL;
}

s64 sys_socketpair(u64 family, u64 type, u64 protocol, u64 sv_va)
{
	(void)family, (void)protocol, (void)sv_va;
	return type_ok(type) ? -EAFNOSUPPORT : -EINVAL;
}

/* connect, bind, listen, accept, send*, recv*, shutdown, get/setsockopt,
 * getsockname, getpeername: the first argument is a descriptor. */
s64 sys_socket_fd_call(u64 fd)
{
	return fd_file(fd) ? -ENOTSOCK : -EBADF;
}
