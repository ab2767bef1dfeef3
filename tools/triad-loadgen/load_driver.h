// The load generator's engine: sessions at the customer utilities' Gateways,
// all on one kj event loop with many calls in flight (Cap'n Proto
// pipelining; no thread per session), driven closed-loop (N workers, each
// with one operation in flight) or open-loop (a target rate; latency counted
// from when each operation was due, so a stall shows as latency instead of
// as fewer samples: no coordinated omission).
//
// Alongside the load, a probe account places one marketable buy at a time at
// the first utility and polls another utility: orderStatus until the fill is
// visible there, then positions until the firm's booking of it has reached
// that utility's firm replica ("booked"; the customer API's only view of a
// booking, so the figure includes the firm group's replication to it).
//
// Thread-safety: none; everything runs on the caller's event loop.

#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/topology.h"
#include "idl/admin.capnp.h"
#include "idl/customer.capnp.h"
#include "tools/triad-loadgen/client_order_ids.h"
#include "tools/triad-loadgen/latency_samples.h"
#include "tools/triad-loadgen/load_options.h"

namespace triad::loadgen {

using Clock = std::chrono::steady_clock;

struct LoadResult {
  std::string mode;  // "closed" or "open"
  unsigned concurrency = 0, sessions = 0;
  double targetRate = 0;
  double elapsedSeconds = 0;
  uint64_t operations = 0;  // attempted
  uint64_t placed = 0, cancelled = 0, statuses = 0;
  uint64_t fillable = 0;  // buys and sells accepted (and probe orders): each should fill
  LatencySamples place, cancel, status, fillVisible, booked;
  std::map<std::string, uint64_t> errors;  // by reason
  // --drain
  bool drained = false;           // every order reached a final state
  bool verifyClean = false;       // the firm's verify found nothing
  double drainSeconds = 0;        // after the last operation, until drained and clean
  uint64_t executionsBooked = 0;  // during the run and drain
  std::vector<std::string> findings;
};

class LoadDriver {
 public:
  LoadDriver(kj::AsyncIoContext& io, const topology::Topology& topology, LoadOptions options);
  ~LoadDriver() noexcept;
  LoadDriver(const LoadDriver&) = delete;
  LoadDriver& operator=(const LoadDriver&) = delete;

  // --setup through the firm's Admin: accounts, deposits, the route, and
  // inventory to sell. Throws std::runtime_error with the reason.
  void setUp();
  // Logs in every session, runs the load, and drains if asked. Throws
  // std::runtime_error when it cannot log in.
  LoadResult run();

 private:
  struct Link;
  struct SessionState;
  struct AccountState {
    AccountLogin login;
    int64_t sellBudget = 0;  // shares this account may still sell without going short
  };
  class TaskErrors;
  struct Verified {
    uint64_t executionsBooked = 0;
    bool clean = false;
    std::vector<std::string> findings;
  };

  std::unique_ptr<Link> connectGateway(size_t utility);
  std::unique_ptr<Link> connectFirmAdmin();
  idl::Session::Client loginWithRetry(Link& link, const AccountLogin& login,
                                      std::chrono::seconds patience);
  int64_t positionOf(idl::Session::Client& session);
  void buyInventory(idl::Session::Client& session, int64_t shares);

  bool stopping();
  kj::Promise<void> workerLoop(size_t worker);
  kj::Promise<void> paceLoop();
  kj::Promise<void> operate(SessionState& session, Clock::time_point intended);
  kj::Promise<void> place(SessionState& session, idl::Side side, Clock::time_point intended);
  kj::Promise<void> cancelResting(SessionState& session, Clock::time_point intended);
  kj::Promise<void> status(SessionState& session, Clock::time_point intended);
  kj::Promise<void> progressLoop();
  kj::Promise<void> probeLoop();
  kj::Promise<void> probeOnce();
  kj::Promise<void> pollFilled(std::string orderId, Clock::time_point sent,
                               Clock::time_point deadline);
  kj::Promise<void> pollBooked(int64_t expected, Clock::time_point sent,
                               Clock::time_point deadline);
  // The firm's verify, or nullopt (the reason in lastVerifyError_) when it
  // refuses, e.g. "overloaded" while its books keep changing.
  std::optional<Verified> verifyOnce(idl::Admin::Client& admin);
  void countError(const std::string& reason) { ++result_.errors[reason]; }
  void countError(idl::Error::Reader error);

  kj::AsyncIoContext& io_;
  common::GatewayDialer gatewayDialer_;  // TLS when options_.tls says so
  common::GatewayDialer adminDialer_;    // the firm's Admin: mutual TLS (options_.adminTls)
  const topology::Topology& topology_;
  LoadOptions options_;
  std::vector<const topology::Utility*> utilities_;
  std::vector<AccountState> accounts_;
  std::vector<std::unique_ptr<SessionState>> sessions_;
  std::unique_ptr<Link> probeAtLink_, probeSeenLink_;
  kj::Maybe<idl::Session::Client> probeAt_, probeSeen_;
  int64_t probeHeld_ = 0;
  std::mt19937_64 random_{42};     // the mix: the same sequence of kinds every run
  ClientOrderIds clientOrderIds_;  // unique to this run
  LoadResult result_;
  std::map<std::string, std::string> firstReasons_;
  std::string lastVerifyError_;  // error code -> the first reason given
  Clock::time_point start_, deadline_;
  uint64_t issued_ = 0, inFlight_ = 0;
  bool finished_ = false;
  kj::Own<TaskErrors> taskErrors_;
  kj::Own<kj::TaskSet> tasks_;
};

}  // namespace triad::loadgen
