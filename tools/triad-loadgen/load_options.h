// What triad-loadgen is asked to do (its command line, parsed).

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "utilities/common/tls_options.h"

namespace triad::loadgen {

// Relative weights of the operations a worker picks from.
struct Mix {
  unsigned buy = 45, sell = 45, cancel = 5, status = 5;
  unsigned total() const { return buy + sell + cancel + status; }
};

// "buy=45,sell=45,cancel=5,status=5" (any subset; missing kinds weigh 0), or
// the fault in it.
std::optional<std::string> parseMix(const std::string& text, Mix& mix);

struct AccountLogin {
  std::string id, secret;
};

struct LoadOptions {
  std::string topologyPath;
  std::vector<std::string> utilities;  // customer utility ids; sessions spread over them
  std::vector<AccountLogin> accounts;  // given, or made by --setup
  std::optional<AccountLogin> probe;   // the sampling account (--setup makes one)

  // --setup: the firm's Admin creates `accountCount` accounts (and the probe),
  // deposits, routes every symbol to `street` at `venue`, buys inventory.
  bool setup = false;
  unsigned accountCount = 8;
  std::string accountPrefix = "loadgen";
  std::string street = "ss1", venue = "xnys";
  int64_t inventory = 5'000;  // shares each account holds before the run (sells draw on it)

  std::string symbol = "ACME";
  int64_t referencePriceMicros = 100'000'000;  // the venue's reference (ACME 100.00)
  int64_t quantity = 1;

  unsigned sessions = 0;          // logins; 0: one per concurrent worker (closed loop) or 16
  unsigned concurrency = 0;       // closed loop: workers each with one call in flight
  double rate = 0;                // open loop: orders/s, latency from the intended send time
  unsigned maxInFlight = 20'000;  // open loop: beyond this a send is counted as "backlog"
  double durationSeconds = 10;
  uint64_t orders = 0;  // stop after this many operations instead (0: use the duration)
  Mix mix;

  double probeIntervalMs = 50;  // one sampled order per interval (0: no sampling)
  bool drain = false;           // after the run: wait for every order to finish and verify
  double drainTimeoutSeconds = 120;
  bool json = false;
  bool progress = true;

  std::optional<common::TlsClientFiles> tls;  // --tls-ca ...: to the Gateways over TLS
  // --admin-ca/--admin-cert/--admin-key: the operator's certificate for the
  // firm's Admin (mutual TLS only, issue 17); --setup and --drain need it.
  std::optional<common::TlsClientFiles> adminTls;
};

}  // namespace triad::loadgen
