// Operators (issue 17) against real processes: triad-firmd and a replica site
// (triad-utilityd as cf1) on loopback, Admin reached only over mutual TLS.
//
//   - no certificate, plaintext, or a certificate from another CA: refused;
//   - a viewer's deposit: permissionDenied naming the role, nothing written;
//   - a treasury operator's deposit: one audit entry with their name,
//     readable at every site;
//   - four eyes: a withdrawal above the firm's amount waits for a second,
//     different treasury operator; its cash is held meanwhile; an expired
//     request posts nothing;
//   - an operator revoked in the role map is refused at their next call on
//     a connection already open, once the daemon has its SIGHUP;
//   - a role map with a fault stops the daemon at start, naming the line.

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "idl/admin.capnp.h"
#include "tests/support/deployment.h"
#include "tests/support/site_certificates.h"

namespace triad {
namespace {

using namespace std::chrono_literals;
using testing::AdminConnection;
using testing::connectWhenReady;
using testing::Deployment;
using testing::IssuedCertificate;

constexpr int64_t kDollar = 1'000'000;
constexpr int kRequestTtlSeconds = 6;

void writeRoleMap(const Deployment& deployment, const std::string& extra) {
  std::ofstream(deployment.operatorsPath())
      << "[test-admin]\nroles = viewer, operator, treasury, admin\n\n"
      << "[vera]\nroles = viewer\n\n"
      << "[tess]\nroles = viewer, treasury\n\n"
      << "[dave]\nroles = treasury\n"
      << extra;
}

// Whether a health call over `stream` fails (the daemon refused the connection).
bool healthFails(kj::AsyncIoContext& io, kj::Own<kj::AsyncIoStream> stream) {
  bool failed = false;
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] {
                 capnp::TwoPartyClient client(*stream);
                 auto admin = client.bootstrap().castAs<idl::Admin>();
                 io.provider->getTimer()
                     .timeoutAfter(20 * kj::SECONDS, admin.healthRequest().send())
                     .wait(io.waitScope);
               })) {
    failed = true;
  }
  return failed;
}

size_t auditCount(AdminConnection& admin, const std::string& operatorName,
                  const std::string& call) {
  auto request = admin->auditRequest();
  request.initFilter().setOperatorName(operatorName);
  request.getFilter().setCall(call);
  return admin.call(kj::mv(request)).getEntries().size();
}

// A write's answer, copied out of its response.
struct Answer {
  bool ok = false;
  idl::ErrorCode code = idl::ErrorCode::INTERNAL;
  std::string reason;
};

class OperatorAccessTest : public ::testing::Test {
 protected:
  ~OperatorAccessTest() noexcept override {}

  void SetUp() override {
    writeRoleMap(deployment_, "");
    // Four eyes above 1,000.00; requests expire after kRequestTtlSeconds.
    deployment_.start("utilities/firm/triad-firmd", "firm",
                      {"--four-eyes-above", "1000.00", "--withdrawal-request-ttl-s",
                       std::to_string(kRequestTtlSeconds)});
    deployment_.start("utilities/common/triad-utilityd", "cf1");
    std::string lastError;
    firm_ = connectWhenReady(io_, deployment_.site("firm"), 120s, &lastError);
    ASSERT_NE(firm_, nullptr) << lastError << "\n" << deployment_.log("firm");
    cf1_ = connectWhenReady(io_, deployment_.site("cf1"), 120s, &lastError);
    ASSERT_NE(cf1_, nullptr) << lastError << "\n" << deployment_.log("cf1");
    auto create = (*firm_)->createAccountRequest();
    auto account = create.initRequest();
    account.setId("alice");
    account.setName("Alice");
    account.setSecret("alice-secret");
    account.setCurrency("USD");
    auto created = firm_->call(kj::mv(create));
    ASSERT_TRUE(created.getResult().isOk()) << created.getResult().getError().getReason().cStr();
  }

  std::unique_ptr<AdminConnection> as(const std::string& name) {
    return std::make_unique<AdminConnection>(io_, deployment_.site("firm"),
                                             testing::testOperatorsAuthority().issue(name));
  }

  Answer deposit(AdminConnection& admin, int64_t dollars) {
    auto request = admin->depositRequest();
    request.setAccount("alice");
    request.setCurrency("USD");
    request.setAmountMicros(dollars * kDollar);
    auto response = admin.call(kj::mv(request));
    idl::AdminResult::Reader result = response.getResult();
    if (result.isOk()) return {true, idl::ErrorCode::INTERNAL, result.getOk().cStr()};
    return {false, result.getError().getCode(), result.getError().getReason().cStr()};
  }

  Answer withdraw(AdminConnection& admin, int64_t dollars, std::string* pending) {
    auto request = admin->withdrawRequest();
    request.setAccount("alice");
    request.setCurrency("USD");
    request.setAmountMicros(dollars * kDollar);
    auto response = admin.call(kj::mv(request));
    *pending = response.getPendingRequest().cStr();
    idl::AdminResult::Reader result = response.getResult();
    if (result.isOk()) return {true, idl::ErrorCode::INTERNAL, result.getOk().cStr()};
    return {false, result.getError().getCode(), result.getError().getReason().cStr()};
  }

  Answer approve(AdminConnection& admin, const std::string& requestId) {
    auto request = admin->approveWithdrawalRequest();
    request.setRequestId(requestId);
    auto response = admin.call(kj::mv(request));
    idl::AdminResult::Reader result = response.getResult();
    if (result.isOk()) return {true, idl::ErrorCode::INTERNAL, result.getOk().cStr()};
    return {false, result.getError().getCode(), result.getError().getReason().cStr()};
  }

  Deployment deployment_{{.customers = {"cf1"}, .streets = {"ss1"}}};
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  std::unique_ptr<AdminConnection> firm_, cf1_;
};

TEST_F(OperatorAccessTest, AdminRefusesPlaintextNoCertificateAndAnotherCa) {
  const topology::Utility& site = deployment_.site("firm");
  auto tcp = [&] {
    return io_.provider->getNetwork()
        .parseAddress(site.firmAddress, site.adminPort)
        .then([](kj::Own<kj::NetworkAddress> address) { return address->connect(); })
        .wait(io_.waitScope);
  };
  // Plaintext Cap'n Proto.
  EXPECT_TRUE(healthFails(io_, tcp()));

  // TLS that trusts the daemon but presents no certificate.
  {
    kj::TlsCertificate trusted(testing::testOperatorsAuthority().certificate().c_str());
    kj::TlsContext::Options options;
    options.useSystemTrustStore = false;
    options.trustedCertificates = kj::arrayPtr(&trusted, 1);
    kj::TlsContext tls(kj::mv(options));
    bool refused = false;
    KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] {
                   refused = healthFails(io_, tls.wrapClient(tcp(), "firm").wait(io_.waitScope));
                 })) {
      refused = true;  // refused during the handshake
    }
    EXPECT_TRUE(refused);
  }

  // A certificate with an operator's name, from another CA.
  {
    testing::CertificateAuthority stranger("Not the operators' CA");
    bool refused = false;
    KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] {
                   AdminConnection impostor(io_, "firm", site.firmAddress, site.adminPort,
                                            stranger.issue("test-admin"));
                   impostor.call(impostor->healthRequest());
                 })) {
      refused = true;
    }
    EXPECT_TRUE(refused);
  }

  auto stats = firm_->call((*firm_)->accessStatsRequest());
  EXPECT_GE(stats.getStats().getRefusedConnections(), 3u) << deployment_.log("firm");
  EXPECT_NE(deployment_.log("firm").find("admin-connection-refused"), std::string::npos);
}

TEST_F(OperatorAccessTest, AViewersDepositIsDeniedAndWritesNothing) {
  auto vera = as("vera");
  Answer result = deposit(*vera, 100);
  ASSERT_FALSE(result.ok);
  EXPECT_EQ(result.code, idl::ErrorCode::PERMISSION_DENIED);
  EXPECT_NE(result.reason.find("deposit needs role treasury; operator 'vera' has viewer"),
            std::string::npos)
      << result.reason;
  // A viewer reads.
  EXPECT_EQ(vera->call((*vera)->accountsRequest()).getAccounts().size(), 1u);
  // Nothing in the books: no audit entry of any deposit.
  EXPECT_EQ(auditCount(*firm_, "", "deposit"), 0u);
  auto stats = firm_->call((*firm_)->accessStatsRequest());
  EXPECT_EQ(stats.getStats().getPermissionDenied(), 1u);
  EXPECT_NE(deployment_.log("firm").find("event=permission-denied"), std::string::npos);
  // A call without an AdminResult fails with the reason.
  auto request = (*vera)->rolesRequest();
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] { vera->call(kj::mv(request)); })) {
    EXPECT_NE(std::string(exception->getDescription().cStr())
                  .find("permissionDenied: roles needs role admin"),
              std::string::npos)
        << exception->getDescription().cStr();
  } else {
    ADD_FAILURE() << "a viewer read the role map";
  }
}

TEST_F(OperatorAccessTest, ATreasuryDepositIsAuditedAndEverySiteReadsIt) {
  auto tess = as("tess");
  Answer result = deposit(*tess, 250);
  ASSERT_TRUE(result.ok) << result.reason;

  auto request = (*firm_)->auditRequest();
  request.initFilter().setOperatorName("tess");
  auto response = firm_->call(kj::mv(request));
  ASSERT_EQ(response.getEntries().size(), 1u);
  idl::AdminAudit::Reader entry = response.getEntries()[0];
  EXPECT_EQ(std::string(entry.getOperatorName().cStr()), "tess");
  EXPECT_EQ(std::string(entry.getCall().cStr()), "deposit");
  EXPECT_EQ(std::string(entry.getAccount().cStr()), "alice");
  EXPECT_TRUE(entry.getOk());
  EXPECT_FALSE(entry.getPostingId().size() == 0);
  EXPECT_NE(std::string(entry.getPeer().cStr()), "");
  EXPECT_NE(std::string(entry.getArguments().cStr()).find("250000000"), std::string::npos)
      << entry.getArguments().cStr();

  // cf1's replica of the firm group holds the same entry.
  size_t atCf1 = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       atCf1 == 0 && std::chrono::steady_clock::now() < deadline;) {
    atCf1 = auditCount(*cf1_, "tess", "deposit");
    if (atCf1 == 0) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(atCf1, 1u);

  // The books are clean: the posting names its entry.
  auto verified = firm_->call((*firm_)->verifyRequest());
  EXPECT_TRUE(verified.getReport().getClean())
      << (verified.getReport().getFindings().size() > 0
              ? verified.getReport().getFindings()[0].cStr()
              : "");
}

TEST_F(OperatorAccessTest, ALargeWithdrawalNeedsASecondTreasuryOperator) {
  ASSERT_TRUE(deposit(*firm_, 5000).ok);
  auto tess = as("tess");
  auto dave = as("dave");
  std::string pending;

  // At or below the amount: posted at once.
  Answer small = withdraw(*tess, 100, &pending);
  ASSERT_TRUE(small.ok) << small.reason;
  EXPECT_EQ(pending, "");

  // Above it: a request; its cash is held (4,900.00 - 2,000.00 left).
  Answer large = withdraw(*tess, 2000, &pending);
  ASSERT_TRUE(large.ok) << large.reason;
  ASSERT_NE(pending, "") << large.reason;
  const std::string requestId = pending;
  std::string other;
  Answer tooMuch = withdraw(*dave, 2950, &other);
  ASSERT_FALSE(tooMuch.ok);
  EXPECT_EQ(tooMuch.code, idl::ErrorCode::INSUFFICIENT_BUYING_POWER);
  EXPECT_NE(tooMuch.reason.find("has 2,900.00"), std::string::npos) << tooMuch.reason;

  // The operator who asked cannot approve; a second treasury operator can, once.
  Answer own = approve(*tess, requestId);
  ASSERT_FALSE(own.ok);
  EXPECT_EQ(own.code, idl::ErrorCode::PERMISSION_DENIED);
  EXPECT_NE(own.reason.find("a second, different treasury operator"), std::string::npos)
      << own.reason;
  Answer approved = approve(*dave, requestId);
  ASSERT_TRUE(approved.ok) << approved.reason;
  Answer again = approve(*firm_, requestId);
  ASSERT_FALSE(again.ok);
  EXPECT_EQ(again.code, idl::ErrorCode::TOO_LATE);

  // The trail: asked by tess, approved by dave, naming the request.
  auto audit = (*firm_)->auditRequest();
  audit.initFilter().setCall("approveWithdrawal");
  auto entries = firm_->call(kj::mv(audit));
  size_t byDave = 0, refusedForTess = 0;
  for (idl::AdminAudit::Reader entry : entries.getEntries()) {
    if (!entry.getOk() && std::string(entry.getOperatorName().cStr()) == "tess") {
      ++refusedForTess;
      EXPECT_EQ(std::string(entry.getAccount().cStr()), "alice");
      EXPECT_EQ(std::string(entry.getErrorCode().cStr()), "permissionDenied");
    }
    if (entry.getOk() && std::string(entry.getOperatorName().cStr()) == "dave") {
      ++byDave;
      EXPECT_EQ(std::string(entry.getRequestId().cStr()), requestId);
      EXPECT_NE(std::string(entry.getPostingId().cStr()), "");
    }
  }
  EXPECT_EQ(byDave, 1u);
  EXPECT_EQ(refusedForTess, 1u) << "the asker's refused approval is on the trail";

  // A request nobody approves in time expires and posts nothing.
  Answer late = withdraw(*tess, 1500, &pending);
  ASSERT_TRUE(late.ok) << late.reason;
  const std::string lateId = pending;
  bool expired = false;
  for (auto deadline =
           std::chrono::steady_clock::now() + std::chrono::seconds(kRequestTtlSeconds + 20);
       !expired && std::chrono::steady_clock::now() < deadline;) {
    auto list = (*firm_)->withdrawalsRequest();
    list.setAll(true);
    auto response = firm_->call(kj::mv(list));
    for (idl::WithdrawalRequest::Reader r : response.getRequests()) {
      if (std::string(r.getId().cStr()) == lateId) {
        expired = r.getExpiresAtNanos() <= response.getAsOfNanos();
      }
    }
    if (!expired) std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(expired);
  Answer tooLate = approve(*dave, lateId);
  ASSERT_FALSE(tooLate.ok);
  EXPECT_EQ(tooLate.code, idl::ErrorCode::TOO_LATE);
  EXPECT_NE(tooLate.reason.find("expired"), std::string::npos) << tooLate.reason;
  // Its cash is free again: 2,900.00 can leave (above the amount: a request).
  Answer freed = withdraw(*tess, 2900, &pending);
  EXPECT_TRUE(freed.ok) << freed.reason;

  auto verified = firm_->call((*firm_)->verifyRequest());
  EXPECT_TRUE(verified.getReport().getClean());
}

TEST_F(OperatorAccessTest, ARevokedOperatorIsRefusedOnAnOpenConnectionAfterSighup) {
  auto dave = as("dave");
  ASSERT_TRUE(deposit(*dave, 10).ok);

  writeRoleMap(deployment_, "revoked = 2026-12-07 laptop lost (OPS-1)\n");
  deployment_.process("firm").kill(SIGHUP);
  bool refused = false;
  std::string reason;
  for (auto deadline = std::chrono::steady_clock::now() + 20s;
       !refused && std::chrono::steady_clock::now() < deadline;) {
    Answer result = deposit(*dave, 10);
    if (!result.ok) {
      EXPECT_EQ(result.code, idl::ErrorCode::PERMISSION_DENIED);
      reason = result.reason;
      refused = true;
    } else {
      std::this_thread::sleep_for(100ms);
    }
  }
  EXPECT_TRUE(refused) << deployment_.log("firm");
  EXPECT_NE(reason.find("revoked (2026-12-07 laptop lost (OPS-1))"), std::string::npos) << reason;
  EXPECT_NE(deployment_.log("firm").find("event=operators-reloaded"), std::string::npos);

  // A role map with a fault is refused on SIGHUP; the one in force stays.
  std::ofstream(deployment_.operatorsPath()) << "[test-admin]\nroles = everything\n";
  deployment_.process("firm").kill(SIGHUP);
  uint64_t refusedReloads = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 20s;
       refusedReloads == 0 && std::chrono::steady_clock::now() < deadline;) {
    refusedReloads =
        firm_->call((*firm_)->accessStatsRequest()).getStats().getRolesReloadsRefused();
    if (refusedReloads == 0) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(refusedReloads, 1u);
  EXPECT_NE(deployment_.log("firm").find("operators.conf:2: unknown role 'everything'"),
            std::string::npos);
}

TEST(OperatorAccessStartTest, ARoleMapWithAFaultStopsTheDaemonNamingTheLine) {
  Deployment deployment({.customers = {"cf1"}, .streets = {"ss1"}});
  std::ofstream(deployment.operatorsPath()) << "[alice]\nroles = viewer\nrole = admin\n";
  deployment.start("utilities/common/triad-utilityd", "firm");
  std::optional<int> code = deployment.process("firm").wait(60s);
  ASSERT_TRUE(code.has_value()) << deployment.log("firm");
  EXPECT_EQ(*code, 2);
  EXPECT_NE(deployment.log("firm").find("operators.conf:3: unknown key 'role'"), std::string::npos)
      << deployment.log("firm");
}

}  // namespace
}  // namespace triad
