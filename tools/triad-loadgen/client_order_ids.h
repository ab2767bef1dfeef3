// Client order ids unique to one run of the load generator.
//
// placeOrder is idempotent per account and client order id: a repeated id is
// answered with the original order and places nothing. So a run that reuses
// the accounts of an earlier run (--accounts) must not repeat that run's ids,
// or it measures replays of old orders as if they were new ones. Each run
// draws a nonce, and every id it sends is "<kind>-<nonce>-<n>".
//
// Not thread-safe: one per load driver, used from its event loop.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace triad::loadgen {

class ClientOrderIds {
 public:
  ClientOrderIds();                         // a nonce from the system's random source
  explicit ClientOrderIds(uint64_t nonce);  // for tests

  // The next id, e.g. "lg-3f9c0d2e5a7b1c44-17"; at most 48 characters.
  std::string next(std::string_view kind);

 private:
  std::string nonce_;  // 16 hex digits
  uint64_t sent_ = 0;
};

}  // namespace triad::loadgen
