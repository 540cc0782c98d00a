/* linuxu only: calls the platform and its drivers make to the host (the
 * memory file, sysfs reads, sockets for tap/afpacket/vhost-user, eventfds),
 * passed through unchanged. A kvm image has none of these. Any number not
 * listed in some area is -ENOSYS on linuxu too, like on kvm. */
#include "syscall_priv.h"

#define HOST(nr, name) SYSCALL_DEFINE(nr, name, 0, SYSCALL_F_HOST)

HOST(2, open);
HOST(257, openat);
HOST(4, stat);
HOST(5, fstat);
HOST(6, lstat);
HOST(262, newfstatat);
HOST(8, lseek);
HOST(17, pread64);
HOST(18, pwrite64);
HOST(21, access);
HOST(269, faccessat);
HOST(72, fcntl);
HOST(32, dup);
HOST(33, dup2);
HOST(292, dup3);
HOST(77, ftruncate);
HOST(319, memfd_create);
HOST(89, readlink);
HOST(79, getcwd);
HOST(217, getdents64);
HOST(7, poll);
HOST(271, ppoll);
HOST(23, select);
HOST(41, socket);
HOST(42, connect);
HOST(43, accept);
HOST(288, accept4);
HOST(49, bind);
HOST(50, listen);
HOST(44, sendto);
HOST(45, recvfrom);
HOST(46, sendmsg);
HOST(47, recvmsg);
HOST(48, shutdown);
HOST(51, getsockname);
HOST(54, setsockopt);
HOST(55, getsockopt);
HOST(290, eventfd2);
HOST(62, kill);
HOST(149, mlock);
HOST(151, mlockall);
