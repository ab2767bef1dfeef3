// The options triadctl's commands take besides their positional words, as
// main.cc parsed them.

#pragma once

#include <kj/compat/tls.h>
#include <kj/time.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace triad::ctl {

struct CommandOptions {
  kj::Duration timeout = 1500 * kj::MILLISECONDS;  // status, bus, orders: per daemon
  kj::Duration writeTimeout = 30 * kj::SECONDS;    // the firm's writes (replica ack, Argon2id)
  uint64_t maxLagRecords = 0;                      // status: a replica further behind alarms
  // accounts create
  std::string secret, name, currency = "USD";
  // deposit, withdraw: the posting's reference (empty: a new one); reusing
  // it never posts twice
  std::string reference;
  // route
  std::string last;
  // accounts limits
  std::optional<std::string> maxNotional;
  std::optional<int64_t> maxPosition;
  std::vector<std::string> allowedSymbols;
  bool allowShort = false;
  // orders
  std::string account, symbol, status, utility;
  // audit: filters (account above too); times are UTC "YYYY-MM-DDTHH:MM:SS" or nanoseconds
  std::string operatorName, call, from, to;
  uint32_t limit = 0;
  // Admin's mutual TLS: the operator's certificate (operator_credentials.h). Not owned.
  kj::TlsContext* tls = nullptr;
};

}  // namespace triad::ctl
