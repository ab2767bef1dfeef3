// How every fault test ends: the invariants of DESIGN §3, checked at every
// site of a test deployment (tests/support/deployment.h) once replication
// has caught up.
//
// - the firm's `verify` is clean: the ledger sums to zero per currency and
//   per symbol, every street execution is booked exactly once, balances and
//   positions equal their postings;
// - no order's filled quantity exceeds its quantity;
// - every customer utility derives the same status for every order.

#pragma once

#include <kj/async-io.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "idl/admin.capnp.h"
#include "idl/customer.capnp.h"
#include "tests/support/deployment.h"

namespace triad::testing {

// What each customer utility derives for one order, in one line.
inline std::string describeStatus(idl::OrderStatus::Reader status) {
  return std::to_string(static_cast<int>(status.getState())) + " filled " +
         std::to_string(status.getFilledQuantity()) + " leaves " +
         std::to_string(status.getLeavesQuantity()) + " avg " +
         std::to_string(status.getAveragePriceMicros());
}

// The orders a customer utility lists for `account` ("": every account), or
// nullopt while it cannot read its replicas yet: a replica being
// re-initialised from its owner (after a restart, say) refuses with an
// OVERLOADED exception ("unavailable: ...; retry shortly") until it is done,
// and *notYet gets that answer. A test waiting for convergence waits it out;
// any other failure throws.
inline std::optional<capnp::Response<idl::Admin::OrdersResults>> listOrders(
    AdminConnection& admin, const std::string& account, std::string* notYet) {
  auto request = admin->ordersRequest();
  request.setAccount(account);
  request.setSymbol("");
  try {
    return admin.call(kj::mv(request));
  } catch (const kj::Exception& e) {
    if (e.getType() != kj::Exception::Type::OVERLOADED) throw;
    *notYet = e.getDescription().cStr();
    return std::nullopt;
  }
}

// The invariants that do not hold now, one line each; empty when all hold.
// `firm` and `customers` are site ids of `deployment`, all running.
inline std::vector<std::string> invariantViolations(kj::AsyncIoContext& io, Deployment& deployment,
                                                    const std::string& firm,
                                                    const std::vector<std::string>& customers) {
  std::vector<std::string> violations;
  {
    AdminConnection admin(io, deployment.site(firm));
    auto verified = admin.call(admin->verifyRequest());
    auto report = verified.getReport();
    for (auto finding : report.getFindings()) {
      violations.push_back(firm + " verify: " + std::string(finding.cStr()));
    }
    if (!report.getClean() && report.getFindings().size() == 0) {
      violations.push_back(firm + " verify: not clean");
    }
  }
  // order id -> (customer site -> derived status)
  std::map<std::string, std::map<std::string, std::string>> statuses;
  for (const std::string& customer : customers) {
    AdminConnection admin(io, deployment.site(customer));
    std::string notYet;
    auto listed = listOrders(admin, "", &notYet);
    if (!listed) {
      violations.push_back(customer + ": " + notYet);
      continue;  // its orders count as missing there: the check is run again
    }
    for (auto status : listed->getOrders()) {
      const std::string id = status.getOrder().getId().cStr();
      if (status.getFilledQuantity() > status.getOrder().getQuantity()) {
        violations.push_back(customer + ": order " + id + " filled " +
                             std::to_string(status.getFilledQuantity()) + " of " +
                             std::to_string(status.getOrder().getQuantity()));
      }
      statuses[id][customer] = describeStatus(status);
    }
  }
  for (const auto& [id, bySite] : statuses) {
    if (bySite.size() != customers.size()) {
      violations.push_back("order " + id + " is listed at " + std::to_string(bySite.size()) +
                           " of " + std::to_string(customers.size()) + " customer utilities");
      continue;
    }
    for (const auto& [site, status] : bySite) {
      if (status != bySite.begin()->second) {
        violations.push_back("order " + id + ": " + bySite.begin()->first + " says " +
                             bySite.begin()->second + ", " + site + " says " + status);
      }
    }
  }
  return violations;
}

// Waits up to `timeout` for every invariant to hold (replication and
// booking converge after a fault); the violations still seen at the end.
inline std::vector<std::string> awaitInvariants(kj::AsyncIoContext& io, Deployment& deployment,
                                                const std::string& firm,
                                                const std::vector<std::string>& customers,
                                                std::chrono::seconds timeout = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::string> violations;
  for (;;) {
    violations = invariantViolations(io, deployment, firm, customers);
    if (violations.empty() || std::chrono::steady_clock::now() >= deadline) return violations;
    std::this_thread::sleep_for(250ms);
  }
}

}  // namespace triad::testing
