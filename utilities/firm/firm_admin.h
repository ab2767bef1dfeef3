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
//   withdraw  above the four-eyes amount (FourEyesOptions): posts nothing,
//             answers ok with `pendingRequest`; approveWithdrawal (another
//             treasury operator) posts it; rejectWithdrawal drops it;
//             withdrawals lists requests (pending, or all).
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
// Every write an operator makes is recorded in the books (issue 17;
// utilities/common/admin_audit.h): who (the caller's certificate name), from
// where, the call and its arguments (a new account's secret redacted), and
// the outcome, in the same transaction as the change; a refused write is
// recorded alone with its refusal. It is also logged (event=admin-<method>).
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

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
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

// Four eyes (issue 17): a withdrawal above `aboveMicros` becomes a request a
// second treasury operator approves (Books::requestWithdrawal); it expires
// after `ttlNanos`. From --four-eyes-above AMOUNT (0: off) and
// --withdrawal-request-ttl-s SECONDS.
struct FourEyesOptions {
  int64_t aboveMicros = 0;
  int64_t ttlNanos = int64_t{86'400} * 1'000'000'000;
};
void addFourEyesOptions(boost::program_options::options_description& options);
// REQUIRES: the options were parsed with addFourEyesOptions (which checks them).
FourEyesOptions fourEyesOptionsFrom(const boost::program_options::variables_map& variables);

// yyyymmdd of the UTC day before the one `nowNanos` falls in.
int32_t previousTradeDate(int64_t nanosSinceEpoch);

class FirmAdmin final : public common::AdminServer {
 public:
  struct Parts {
    Books& books;                        // writes the site's owned group
    const topology::Topology& topology;  // checks routes; finds the street groups
    base::Logger& logger;                // the operator trail
    std::function<int64_t()> nowNanos;   // dates settle(0); empty: the system clock
    FourEyesOptions fourEyes{};
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
  kj::Promise<void> withdrawals(WithdrawalsContext context) override;
  kj::Promise<void> approveWithdrawal(ApproveWithdrawalContext context) override;
  kj::Promise<void> rejectWithdrawal(RejectWithdrawalContext context) override;

 private:
  // The route's street and venue as the topology knows them, or why not.
  std::optional<Error> checkRouteTarget(idl::VenueRoute::Reader route) const;

  // Writes the outcome of an operator's write into `result`: `error`'s code
  // and reason, or `done` when `error` is null; and logs it under `method`
  // with `subject` (the account, symbol or trade date written).
  // Records a refused write's audit entry (a storage failure is only logged).
  void answer(idl::AdminResult::Builder result, std::string_view method, std::string_view subject,
              const Error* error, std::string_view done, common::AuditStamp& audit);

  // The audit stamp of a write `caller()` makes now (read it before waiting).
  common::AuditStamp stampFor(std::string_view call, std::string arguments,
                              std::string_view account, std::string_view symbol) const;

  Books& books_;
  const topology::Topology& topology_;
  base::Logger& logger_;
  std::function<int64_t()> nowNanos_;
  FourEyesOptions fourEyes_;
  std::vector<bdb::OwnershipGroup*> streetReplicas_;  // not owned; fixed at open
};

}  // namespace triad::firm
