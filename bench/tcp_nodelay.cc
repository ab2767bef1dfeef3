// Replication Manager (Berkeley DB 5.3) never sets TCP_NODELAY on its
// sockets, and its acknowledgements are small messages: with Nagle's
// algorithm and delayed ACKs every acknowledged commit stalls ~40 ms. It
// offers no option and no hook for its sockets, so the storage floor
// benchmark interposes the two libc calls it makes them with, socket() and
// accept(), and sets TCP_NODELAY on every TCP socket they return; otherwise
// its baseline would measure Nagle, not Replication Manager. libdb calls
// them through its PLT, so these definitions, linked into the benchmark's
// executable only, take precedence; the real calls are found with
// dlsym(RTLD_NEXT).
//
// ZeroMQ sets TCP_NODELAY on its own sockets anyway, so the new stack in the
// same executable is unaffected. Nothing that ships links this file: the
// daemons use Triad's own transport (bdb/replication_transport.h).

#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace {

void applyNoDelay(int fd) {
  if (fd < 0) return;
  int type = 0;
  socklen_t length = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_STREAM) return;
  sockaddr_storage address{};
  length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return;
  if (address.ss_family != AF_INET && address.ss_family != AF_INET6) return;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

template <typename Fn>
Fn realFunction(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

int socket(int domain, int type, int protocol) {
  using SocketFn = int (*)(int, int, int);
  static const SocketFn real = realFunction<SocketFn>("socket");
  int fd = real(domain, type, protocol);
  if ((domain == AF_INET || domain == AF_INET6) && (type & 0xf) == SOCK_STREAM) applyNoDelay(fd);
  return fd;
}

int accept(int listener, sockaddr* address, socklen_t* length) {
  using AcceptFn = int (*)(int, sockaddr*, socklen_t*);
  static const AcceptFn real = realFunction<AcceptFn>("accept");
  int fd = real(listener, address, length);
  applyNoDelay(fd);
  return fd;
}

}  // extern "C"
