// The Admin interface (idl/admin.capnp) as every daemon serves it on its
// firm-side address: `health` and `groups` from the daemon's identity, its
// ServiceHealth and its SiteStorage; every other method is not served here.
//
// A daemon that serves more derives from AdminServer and overrides those
// methods (they are Admin::Server's virtuals):
//
//   class FirmAdmin : public common::AdminServer {
//    public:
//     FirmAdmin(common::DaemonContext& c, Ledger& ledger)
//         : AdminServer(c.identity, c.storage, c.health), ledger_(ledger) {}
//    protected:
//     kj::Promise<void> deposit(DepositContext context) override;
//    private:
//     Ledger& ledger_;
//   };
//
// and returns it from its DaemonRole::makeAdmin (daemon.h;
// daemon_testd_main.cc is a complete example).
//
// A method the daemon does not serve answers, where its result is an
// AdminResult, `error{code: unavailable, reason: "deposit is not served by
// triad-customerd"}`; where its result is a list or a report (accounts,
// routes, verify, orders) it has no error field, so the call fails
// with a Cap'n Proto UNIMPLEMENTED exception carrying the same reason.
//
// Thread-safety: runs on the event loop thread that serves the RPC; the
// storage and health it reads are thread-safe.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bdb/ownership_group.h"
#include "idl/admin.capnp.h"
#include "utilities/common/operator_access.h"
#include "utilities/common/service_health.h"
#include "utilities/common/site_storage.h"

namespace triad::common {

// Who answers: written into Health and into every "not served" reason.
struct DaemonIdentity {
  std::string daemon;  // "triad-customerd"
  std::string id;      // "cf1"
  std::string role;    // "customer", as in the topology
  std::string version;
  int64_t startedAtNanos = 0;  // since the Unix epoch
};

class AdminServer : public idl::Admin::Server {
 public:
  // `storage` is null for a daemon that holds no ownership group (a broker):
  // its `groups` answers an empty list. Both referents must outlive the server.
  AdminServer(DaemonIdentity identity, SiteStorage* storage, ServiceHealth& health);

  const DaemonIdentity& identity() const { return identity_; }

  // "halt is not served by triad-customerd".
  std::string notServed(std::string_view method) const;

  // The role map this daemon checks calls against (admin_listener.h does the
  // checking); whoami, accessStats and roles answer from it. Not owned; null
  // (in-process tests): those three answer with no roles and no counts.
  void setAccess(OperatorAccess* access) { access_ = access; }
  // This site's copy of the firm group, where the audit trail is
  // (admin_audit.h): `audit` answers from it at every site. Null: UNIMPLEMENTED.
  void setFirmGroup(bdb::OwnershipGroup* firm) { firmGroup_ = firm; }

  // Serves one call made by `caller` (an authenticated operator, already
  // allowed by the role map): caller() names them while the method runs its
  // first, synchronous part, so a method that records who did what copies
  // caller() before it waits for anything.
  DispatchCallResult dispatchFrom(const OperatorCaller& caller, uint64_t interfaceId,
                                  uint16_t methodId,
                                  capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer> context);

 protected:
  kj::Promise<void> health(HealthContext context) override;
  kj::Promise<void> groups(GroupsContext context) override;

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
  kj::Promise<void> orders(OrdersContext context) override;
  kj::Promise<void> busStats(BusStatsContext context) override;
  kj::Promise<void> replication(ReplicationContext context) override;
  kj::Promise<void> whoami(WhoamiContext context) override;
  kj::Promise<void> accessStats(AccessStatsContext context) override;
  kj::Promise<void> roles(RolesContext context) override;
  kj::Promise<void> audit(AuditContext context) override;

  // The operator whose call is being served (see dispatchFrom).
  const OperatorCaller& caller() const { return caller_; }
  OperatorAccess* access() const { return access_; }

  // What a method this daemon does not serve answers (see the file comment).
  kj::Promise<void> answerNotServed(idl::AdminResult::Builder result,
                                    std::string_view method) const;
  kj::Promise<void> failNotServed(std::string_view method) const;

  SiteStorage* storage() const { return storage_; }
  ServiceHealth& serviceHealth() const { return health_; }

 private:
  DaemonIdentity identity_;
  SiteStorage* storage_;  // not owned; may be null
  ServiceHealth& health_;
  OperatorAccess* access_ = nullptr;          // not owned
  bdb::OwnershipGroup* firmGroup_ = nullptr;  // not owned
  OperatorCaller caller_;                     // of the call being dispatched
};

// Writes `reason` as an AdminResult error with `code`.
void setAdminError(idl::AdminResult::Builder result, idl::ErrorCode code, std::string_view reason);

idl::ReplicationRole toIdl(bdb::ReplicationRole role);
void fillGroupStatus(const bdb::ReplicationStatus& status, idl::GroupStatus::Builder out);

// What is wrong with the site's replication now, one line per fault a person
// can act on: an owned group no replica is connected to, a replica that has
// not joined its owner or is being re-initialised.
std::vector<std::string> replicationProblems(SiteStorage& storage);

}  // namespace triad::common
