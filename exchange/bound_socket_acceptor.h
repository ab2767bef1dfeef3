// A QuickFIX acceptor that listens on one address, not on every interface.
//
// QuickFIX 1.15.1 (Debian 12) has no SocketAcceptAddress: its acceptors bind
// INADDR_ANY, which would put a firm-side service on every network (DESIGN
// §1 forbids it). This acceptor does what ThreadedSocketAcceptor does, with
// QuickFIX's own ThreadedSocketConnection for each connection (framing,
// session lookup by CompIDs, one session per connection, heartbeats), but on
// a socket it binds itself to `address:port`.
//
// Threads: start() runs the accept loop on the acceptor's thread; each
// connection gets its own thread, on which QuickFIX calls the Application.
// stop() logs every session out (waiting up to 10 s unless forced), then
// shuts the connections down and joins every thread it started.
//
// Limits: ThreadedSocketConnection select()s on its socket, so a descriptor
// at or above FD_SETSIZE is refused rather than overrun.
//
// QuickFIX header: compile as C++14 (see fix_messages.h).

#pragma once

#include <quickfix/Acceptor.h>

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace triad {
namespace exchange {

class BoundSocketAcceptor : public FIX::Acceptor {
 public:
  // Accepts every session in `settings` on address:port. Nothing is bound
  // until start(). Throws FIX::ConfigError like any QuickFIX acceptor.
  BoundSocketAcceptor(FIX::Application& application, FIX::MessageStoreFactory& stores,
                      const FIX::SessionSettings& settings, FIX::LogFactory& logs,
                      std::string address, uint16_t port);
  ~BoundSocketAcceptor() override;

  BoundSocketAcceptor(const BoundSocketAcceptor&) = delete;
  BoundSocketAcceptor& operator=(const BoundSocketAcceptor&) = delete;

  // The port bound (useful when constructed with port 0); 0 before start().
  uint16_t boundPort() const { return boundPort_; }

 private:
  struct Connection {
    int socket;
    std::thread thread;
    bool finished = false;  // guarded by mutex_
  };

// QuickFIX declares these with dynamic exception specifications, which an
// override must repeat; C++14 deprecates them (see fix_messages.h).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated"
  void onInitialize(const FIX::SessionSettings&) throw(FIX::RuntimeError) override;
#pragma GCC diagnostic pop
  void onStart() override;
  bool onPoll(double) override { return false; }
  void onStop() override;

  void serve(Connection& connection, int socket);
  void joinFinished();  // REQUIRES: mutex_ held

  const std::string address_;
  const uint16_t port_;
  uint16_t boundPort_ = 0;
  int listener_ = -1;
  int wakeRead_ = -1;  // a pipe that interrupts the accept loop's poll()
  int wakeWrite_ = -1;

  std::mutex mutex_;  // guards connections_ and stopping_
  std::list<Connection> connections_;
  bool stopping_ = false;
};

}  // namespace exchange
}  // namespace triad
