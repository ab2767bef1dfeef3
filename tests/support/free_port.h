// Picks TCP ports the kernel says are free on a loopback address, so tests
// never depend on fixed ports.

#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace triad::testing {

// One free port on `host` (an IPv4 loopback address).
uint16_t freePort(const std::string& host = "127.0.0.1");

// `count` consecutive free ports on `host`: the first is returned. Used where
// a topology derives ports by offset (a site's replication base + group index).
uint16_t freePortRange(const std::string& host, int count);

}  // namespace triad::testing
