// How every bus socket notices a peer that is gone without closing its TCP
// connection (a cut link, a host that lost power, a network namespace torn
// down). Without this a subscriber would wait forever on a dead connection
// and never reconnect; with it, ZeroMQ pings the peer (ZMTP 3.1 heartbeats)
// and drops the connection when no traffic has come back in time, then
// reconnects. Messages lost meanwhile show up as gaps.

#pragma once

#include <zmq.hpp>

#include <chrono>

namespace triad::brokers {

inline constexpr std::chrono::milliseconds kBusHeartbeatInterval{1000};
inline constexpr std::chrono::milliseconds kBusHeartbeatTimeout{3000};

inline void enableHeartbeats(zmq::socket_t& socket) {
  socket.set(zmq::sockopt::heartbeat_ivl, static_cast<int>(kBusHeartbeatInterval.count()));
  socket.set(zmq::sockopt::heartbeat_timeout, static_cast<int>(kBusHeartbeatTimeout.count()));
}

}  // namespace triad::brokers
