// A customer's side of a test deployment (tests/support/deployment.h): a
// Gateway connection with its own time limits, and the helpers every
// multi-process customer test needs.

#pragma once

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>

#include <string>
#include <variant>
#include <vector>

#include "idl/customer.capnp.h"
#include "tests/support/deployment.h"
#include "utilities/common/tls_options.h"

namespace triad::testing {

// A customer's connection to one utility's Gateway: plaintext, or through
// `dialer` (TLS when it has a context; the test then links triad::tls_options).
class GatewayConnection {
 public:
  GatewayConnection(kj::AsyncIoContext& io, const topology::Utility& site,
                    common::GatewayDialer& dialer)
      : io_(io),
        stream_(wait(
            dialer.connect(io.provider->getNetwork(), *site.customerAddress, site.gatewayPort))),
        client_(*stream_),
        gateway_(client_.bootstrap().castAs<idl::Gateway>()) {}

  GatewayConnection(kj::AsyncIoContext& io, const topology::Utility& site)
      : io_(io),
        stream_(io.provider->getNetwork()
                    .parseAddress(*site.customerAddress, site.gatewayPort)
                    .then([](kj::Own<kj::NetworkAddress> a) { return a->connect(); })
                    .wait(io.waitScope)),
        client_(*stream_),
        gateway_(client_.bootstrap().castAs<idl::Gateway>()) {}

  // Logs in; the session, or the refusal's reason.
  std::variant<idl::Session::Client, std::string> login(const std::string& account,
                                                        const std::string& secret) {
    auto request = gateway_.loginRequest();
    request.setAccount(account);
    request.setSecret(secret);
    auto response = wait(request.send());
    if (response.getResult().isError()) {
      return std::string(response.getResult().getError().getReason().cStr());
    }
    return response.getResult().getSession();
  }

  template <typename T>
  T wait(kj::Promise<T>&& promise) {
    return io_.provider->getTimer()
        .timeoutAfter(30 * kj::SECONDS, kj::mv(promise))
        .wait(io_.waitScope);
  }

 private:
  kj::AsyncIoContext& io_;
  kj::Own<kj::AsyncIoStream> stream_;
  capnp::TwoPartyClient client_;
  idl::Gateway::Client gateway_;
};

// The firm group's commit sequence as `admin`'s site reports it.
inline uint64_t firmCommitAt(AdminConnection& admin) {
  auto response = admin.call(admin->groupsRequest());
  for (idl::GroupStatus::Reader group : response.getGroups()) {
    if (group.getGroup() == "firm") return group.getCommitSequence();
  }
  return 0;
}

inline void expectOk(idl::AdminResult::Reader result) {
  EXPECT_TRUE(result.isOk()) << result.getError().getReason().cStr();
}

// A limit buy of ACME, the order most customer tests place.
inline void fillLimitBuy(idl::OrderRequest::Builder request, const std::string& clientId,
                         int64_t quantity, int64_t limitMicros,
                         idl::TimeInForce timeInForce = idl::TimeInForce::DAY) {
  request.setClientOrderId(clientId);
  request.setSymbol("ACME");
  request.setSide(idl::Side::BUY);
  request.setType(idl::OrderType::LIMIT);
  request.setTimeInForce(timeInForce);
  request.setQuantity(quantity);
  request.setLimitPriceMicros(limitMicros);
}

// The operator's set-up of a customer test, over the firm's Admin: an
// account "<id>" with the secret "<id>-secret" and `dollars` of USD.
inline void openFundedAccount(AdminConnection& firm, const std::string& id, int64_t dollars) {
  auto create = firm->createAccountRequest();
  auto request = create.initRequest();
  request.setId(id);
  request.setName(id);
  request.setSecret(id + "-secret");
  request.setCurrency("USD");
  expectOk(firm.call(kj::mv(create)).getResult());
  auto deposit = firm->depositRequest();
  deposit.setAccount(id);
  deposit.setCurrency("USD");
  deposit.setAmountMicros(dollars * 1'000'000);
  expectOk(firm.call(kj::mv(deposit)).getResult());
}

// Routes every symbol ("*") to `street` at `venue`, in USD.
inline void routeEverySymbol(AdminConnection& firm, const std::string& street,
                             const std::string& venue, int64_t lastPriceDollars) {
  auto route = firm->setRouteRequest();
  auto r = route.initRoute();
  r.setSymbol("*");
  r.setStreet(street);
  r.setVenue(venue);
  r.setCurrency("USD");
  r.setLastPriceMicros(lastPriceDollars * 1'000'000);
  expectOk(firm.call(kj::mv(route)).getResult());
}

// Waits (at most 30 s) until every site in `replicas` holds everything the
// firm has written.
inline void waitForFirmReplicas(AdminConnection& firm,
                                const std::vector<AdminConnection*>& replicas) {
  const uint64_t target = firmCommitAt(firm);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (AdminConnection* replica : replicas) {
    while (firmCommitAt(*replica) < target && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_GE(firmCommitAt(*replica), target);
  }
}

}  // namespace triad::testing
