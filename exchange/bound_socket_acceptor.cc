#include "exchange/bound_socket_acceptor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <quickfix/Log.h>
#include <quickfix/ThreadedSocketConnection.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace triad {
namespace exchange {
namespace {

// How long the accept loop waits before trying again when accept() fails
// for want of resources (descriptors, memory), so that it does not spin.
constexpr int kAcceptRetryMillis = 100;

std::string endpoint(const std::string& address, uint16_t port) {
  return address + ":" + std::to_string(port);
}

}  // namespace

BoundSocketAcceptor::BoundSocketAcceptor(FIX::Application& application,
                                         FIX::MessageStoreFactory& stores,
                                         const FIX::SessionSettings& settings,
                                         FIX::LogFactory& logs, std::string address, uint16_t port)
    : FIX::Acceptor(application, stores, settings, logs),
      address_(std::move(address)),
      port_(port) {}

BoundSocketAcceptor::~BoundSocketAcceptor() {
  stop(true);  // a no-op unless started and not yet stopped
  for (int fd : {listener_, wakeRead_, wakeWrite_}) {
    if (fd >= 0) ::close(fd);
  }
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated"
void BoundSocketAcceptor::onInitialize(const FIX::SessionSettings&) throw(FIX::RuntimeError) {
#pragma GCC diagnostic pop
  const std::string where = endpoint(address_, port_);
  sockaddr_in bound;
  std::memset(&bound, 0, sizeof bound);
  bound.sin_family = AF_INET;
  bound.sin_port = htons(port_);
  if (::inet_pton(AF_INET, address_.c_str(), &bound.sin_addr) != 1) {
    throw FIX::RuntimeError("cannot listen on " + where + ": not an IPv4 address");
  }
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) throw FIX::RuntimeError("cannot listen on " + where + ": " + strerror(errno));
  const int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listener_, reinterpret_cast<const sockaddr*>(&bound), sizeof bound) != 0 ||
      ::listen(listener_, SOMAXCONN) != 0) {
    throw FIX::RuntimeError("cannot listen on " + where + ": " + strerror(errno));
  }
  socklen_t length = sizeof bound;
  if (::getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &length) == 0) {
    boundPort_ = ntohs(bound.sin_port);
  }
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) {
    throw FIX::RuntimeError("cannot listen on " + where + ": pipe: " + strerror(errno));
  }
  wakeRead_ = wake[0];
  wakeWrite_ = wake[1];
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = false;
}

void BoundSocketAcceptor::onStart() {
  for (;;) {
    pollfd watched[2] = {{listener_, POLLIN, 0}, {wakeRead_, POLLIN, 0}};
    const int ready = ::poll(watched, 2, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || watched[1].revents != 0 || isStopped()) return;
    if ((watched[0].revents & POLLIN) == 0) continue;

    const int socket = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (socket < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        getLog()->onEvent(std::string("accept failed: ") + strerror(errno));
        pollfd wake = {wakeRead_, POLLIN, 0};
        ::poll(&wake, 1, kAcceptRetryMillis);
      }
      continue;
    }
    if (socket >= FD_SETSIZE) {
      getLog()->onEvent("refused a connection: descriptor " + std::to_string(socket) +
                        " is beyond FD_SETSIZE");
      ::close(socket);
      continue;
    }
    const int one = 1;
    ::setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    std::lock_guard<std::mutex> lock(mutex_);
    joinFinished();
    if (stopping_) {
      ::close(socket);
      return;
    }
    connections_.emplace_back();
    Connection& connection = connections_.back();
    connection.socket = socket;
    connection.thread =
        std::thread(&BoundSocketAcceptor::serve, this, std::ref(connection), socket);
    getLog()->onEvent("accepted a connection on " + endpoint(address_, boundPort_));
  }
}

void BoundSocketAcceptor::serve(Connection& connection, int socket) {
  {
    // Closes the socket itself when the peer or the session goes away.
    FIX::ThreadedSocketConnection fix(socket, getSessions(), getLog());
    while (fix.read()) {
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  connection.finished = true;
}

void BoundSocketAcceptor::joinFinished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->finished) {
      it->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void BoundSocketAcceptor::onStop() {
  std::list<Connection> connections;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    // Wakes each connection's read(): it sees end of file, disconnects its
    // session and closes the socket on its own thread.
    for (const Connection& connection : connections_) {
      if (!connection.finished) ::shutdown(connection.socket, SHUT_RDWR);
    }
    connections.splice(connections.end(), connections_);
  }
  if (wakeWrite_ >= 0) {
    const char wake = 1;
    while (::write(wakeWrite_, &wake, 1) < 0 && errno == EINTR) {
    }
  }
  for (Connection& connection : connections) {
    if (connection.thread.joinable()) connection.thread.join();
  }
}

}  // namespace exchange
}  // namespace triad
