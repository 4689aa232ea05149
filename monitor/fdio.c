/*
 * fdio.c: all of a buffer to a descriptor.  The control socket, the GDB
 * stub and the snapshot and migration streams each write whole messages
 * to a socket or a file; a short write or EINTR goes on where it stopped.
 * A socket is written with MSG_NOSIGNAL, so a peer that went away is an
 * error here, never a SIGPIPE (which the unit tests, without main()'s
 * SIG_IGN, would die of); anything else with write().
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vm.h"

int fd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	bool sock = true;

	while (len) {
		ssize_t n = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
		if (n < 0 && errno == ENOTSOCK && sock) {
			sock = false;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
