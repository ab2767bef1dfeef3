// triad-firmd's Admin (idl/admin.capnp): the operator's writes to the firm's
// books and the reads that go with them, on top of the frame's health and
// groups (common::AdminServer).
//
//   createAccount, deposit, withdraw, setLimits, halt, resume, setRoute,
//   settle    one durable write each through Books: answered once the commit
//             is durable here and acknowledged by a replica. A refusal is an
//             AdminResult error with the Books code and reason
//             ("insufficientBuyingPower", "insufficient settled cash: needs
//             1,000.00, has 250.00"); `ok` says what was done.
//   accounts  every account, in id order, with `secretHash` cleared: the
//             hash never leaves the firm's storage over Admin.
//   routes    the venue routing table, in symbol order ("*" first).
//   verify    the books' invariants, checked against the executions of every
//             street group replica this site holds.
//   settle    `throughTradeDate` is yyyymmdd; 0 means "through yesterday"
//             (the UTC date before the clock's), the T+1 run an operator or a
//             timer starts each morning.
//
// A setRoute must name a street utility of the topology and one of its
// venues: a route nobody can serve is refused here, not discovered when the
// first order finds no street.
//
// accounts, routes and verify have no error field: a storage failure fails
// the call with a Cap'n Proto exception carrying the reason (OVERLOADED when
// retrying may help, FAILED otherwise).
//
// Every write an operator makes is logged (event=admin-<method>, with its
// outcome), so the books' operator changes have a trail beside the ledger.
//
// Blocking: each write blocks the event loop until the group commit is
// acknowledged (~1 ms on a healthy firm-side network, up to the ack timeout
// when no replica answers), and createAccount also pays for one Argon2id
// hash (~0.1 s at the default cost). That is acceptable for operator traffic,
// which is rare and serial, and this loop serves only Admin; it would not be
// for the booking of executions, which must not run here.
//
// Thread-safety: runs on the event loop thread that serves the RPC; Books and
// the storage are thread-safe.

#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "base/topology.h"
#include "bdb/ownership_group.h"
#include "utilities/common/admin_server.h"
#include "utilities/common/site_storage.h"
#include "utilities/firm/books.h"

namespace triad::firm {

// The replicas of every street group the site holds, in topology order: what
// verify checks the bookings against.
std::vector<bdb::OwnershipGroup*> streetReplicas(common::SiteStorage& storage,
                                                 const topology::Topology& topology);

// yyyymmdd of the UTC day before the one `nowNanos` falls in.
int32_t previousTradeDate(int64_t nanosSinceEpoch);

class FirmAdmin final : public common::AdminServer {
 public:
  struct Parts {
    Books& books;                        // writes the site's owned group
    const topology::Topology& topology;  // checks routes; finds the street groups
    base::Logger& logger;                // the operator trail
    std::function<int64_t()> nowNanos;   // dates settle(0); empty: the system clock
  };

  // Every referent, `storage` and `health` included, must outlive the server.
  FirmAdmin(common::DaemonIdentity identity, common::SiteStorage& storage,
            common::ServiceHealth& health, Parts parts);

 protected:
  kj::Promise<void> halt(HaltContext context) override;
  kj::Promise<void> resume(ResumeContext context) override;
  kj::Promise<void> accounts(AccountsContext context) override;
  kj::Promise<void> createAccount(CreateAccountContext context) override;
  kj::Promise<void> deposit(DepositContext context) override;
  kj::Promise<void> withdraw(WithdrawContext context) override;
  kj::Promise<void> setLimits(SetLimitsContext context) override;
  kj::Promise<void> setRoute(SetRouteContext context) override;
  kj::Promise<void> routes(RoutesContext context) override;
  kj::Promise<void> settle(SettleContext context) override;
  kj::Promise<void> verify(VerifyContext context) override;

 private:
  // The route's street and venue as the topology knows them, or why not.
  std::optional<Error> checkRouteTarget(idl::VenueRoute::Reader route) const;

  // Writes the outcome of an operator's write into `result`: `error`'s code
  // and reason, or `done` when `error` is null; and logs it under `method`
  // with `subject` (the account, symbol or trade date written).
  void answer(idl::AdminResult::Builder result, std::string_view method, std::string_view subject,
              const Error* error, std::string_view done);

  Books& books_;
  const topology::Topology& topology_;
  base::Logger& logger_;
  std::function<int64_t()> nowNanos_;
  std::vector<bdb::OwnershipGroup*> streetReplicas_;  // not owned; fixed at open
};

}  // namespace triad::firm
