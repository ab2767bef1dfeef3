#include "tests/support/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <stdexcept>

namespace triad::testing {
namespace {

// Binds host:port (port 0: any) and returns the bound port, or 0 on failure.
uint16_t tryBind(const std::string& host, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    ::close(fd);
    throw std::invalid_argument("not an IPv4 address: " + host);
  }
  uint16_t bound = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    socklen_t length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      bound = ntohs(address.sin_port);
    }
  }
  ::close(fd);
  return bound;
}

}  // namespace

uint16_t freePort(const std::string& host) {
  uint16_t port = tryBind(host, 0);
  if (port == 0) throw std::runtime_error("no free port on " + host);
  return port;
}

uint16_t freePortRange(const std::string& host, int count) {
  // Ephemeral ports are handed out upwards from 32768: pick ranges below that.
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> start(20000, 32000 - count);
  for (int attempt = 0; attempt < 200; ++attempt) {
    int first = start(random);
    bool allFree = true;
    for (int i = 0; i < count && allFree; ++i) {
      allFree = tryBind(host, static_cast<uint16_t>(first + i)) != 0;
    }
    if (allFree) return static_cast<uint16_t>(first);
  }
  throw std::runtime_error("no range of free ports on " + host);
}

}  // namespace triad::testing
