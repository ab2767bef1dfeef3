// TLS on the customer Gateways (issue 7, Security; utilities/common/tls_options.h),
// with triad-customerd as a process and a private CA made by scripts/make-ca:
// a client that trusts the CA logs in and trades; a plaintext client, one that
// trusts another CA, and (when client certificates are required) one without
// a certificate the CA signed are refused. After every refusal the daemon is
// still running and serves a trusted client's login, and the login guard
// still limits failures by the peer's address.
//
// Processes: triad-firmd, triad-customerd (cf1, TLS), triad-utilityd as ss1.

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "idl/customer.capnp.h"
#include "tests/support/customer_session.h"
#include "tests/support/invariants.h"
#include "tests/support/temp_dir.h"
#include "utilities/common/tls_options.h"

namespace triad {
namespace {

using namespace std::chrono_literals;
using common::GatewayDialer;
using common::TlsClientFiles;
using testing::AdminConnection;
using testing::GatewayConnection;

constexpr int64_t kDollar = 1'000'000;
constexpr const char* kLoggedIn = "logged in";

class GatewayTlsTest : public ::testing::Test {
 protected:
  ~GatewayTlsTest() noexcept override {}

  // Two CAs, each with a server certificate for cf1's customer address and
  // a client certificate for "alice": "ca" is the deployment's, "other" a
  // stranger's.
  void SetUp() override {
    const std::string address = *deployment_.site("cf1").customerAddress;
    for (const char* ca : {"ca", "other"}) {
      ASSERT_EQ(makeCa({"--server", "cf1=" + address, "--client", "alice", (tls_ / ca).string()}),
                0);
    }
    // Idempotent: a second run keeps every file.
    const auto before = std::filesystem::last_write_time(tls_ / "ca" / "cf1.crt");
    ASSERT_EQ(makeCa({"--server", "cf1=" + address, "--client", "alice", (tls_ / "ca").string()}),
              0);
    EXPECT_EQ(std::filesystem::last_write_time(tls_ / "ca" / "cf1.crt"), before);
  }

  // Starts the deployment, cf1 serving TLS with the CA's server certificate
  // (and requiring client certificates signed by it, if asked).
  void startDeployment(bool requireClientCertificates) {
    std::vector<std::string> tls{"--tls-cert",          file("ca", "cf1.crt"), "--tls-key",
                                 file("ca", "cf1.key"), "--login-failures",    "3"};
    if (requireClientCertificates) {
      tls.insert(tls.end(), {"--tls-client-ca", file("ca", "ca.crt")});
    }
    deployment_.start("utilities/firm/triad-firmd", "firm");
    deployment_.start("utilities/customer/triad-customerd", "cf1", tls);
    deployment_.start("utilities/common/triad-utilityd", "ss1");
    std::string lastError;
    for (const char* id : {"firm", "cf1", "ss1"}) {
      admin_[id] = testing::connectWhenReady(io_, deployment_.site(id), 120s, &lastError);
      ASSERT_NE(admin_[id], nullptr) << id << ": " << lastError;
    }
    for (const char* account : {"alice", "bob"}) {
      testing::openFundedAccount(*admin_["firm"], account, 10'000);
    }
    testing::routeEverySymbol(*admin_["firm"], "ss1", "xtst", 10);
    testing::waitForFirmReplicas(*admin_["firm"], {admin_["cf1"].get()});
  }

  void TearDown() override {
    if (!HasFatalFailure() && !admin_.empty()) {
      for (const std::string& violation :
           testing::awaitInvariants(io_, deployment_, "firm", {"cf1"})) {
        ADD_FAILURE() << violation;
      }
    }
    admin_.clear();
    for (const char* id : {"cf1", "ss1", "firm"}) {
      if (!deployment_.process(id).running()) continue;
      deployment_.process(id).kill(SIGTERM);
      EXPECT_EQ(deployment_.process(id).wait(60s), 0) << id << "\n" << deployment_.log(id);
    }
  }

  int makeCa(const std::vector<std::string>& args) {
    const char* source = std::getenv("TRIAD_SOURCE_DIR");
    if (source == nullptr) return -1;
    testing::ChildProcess script(std::string(source) + "/scripts/make-ca", args,
                                 (tls_ / "make-ca.log").string());
    return script.wait(60s).value_or(-1);
  }

  std::string file(const char* ca, const std::string& name) const {
    return (tls_ / ca / name).string();
  }

  // A client trusting `ca`, presenting alice's certificate from `clientCa`
  // (none when empty).
  GatewayDialer dialer(const char* ca, const char* clientCa = "") {
    TlsClientFiles files{.trustedCa = file(ca, "ca.crt")};
    if (*clientCa != '\0') {
      files.certificate = file(clientCa, "client-alice.crt");
      files.privateKey = file(clientCa, "client-alice.key");
    }
    return GatewayDialer::fromFiles(files);
  }

  // Connects through `dialer` and logs in as Alice: kLoggedIn, or why not.
  std::string loginThrough(GatewayDialer& dialer) {
    std::string outcome;
    KJ_IF_MAYBE (failed, kj::runCatchingExceptions([&] {
                   GatewayConnection gateway(io_, deployment_.site("cf1"), dialer);
                   auto login = gateway.login("alice", "alice-secret");
                   outcome = std::holds_alternative<idl::Session::Client>(login)
                                 ? kLoggedIn
                                 : "refused: " + std::get<std::string>(login);
                 })) {
      outcome = std::string("failed: ") + failed->getDescription().cStr();
    }
    return outcome;
  }

  // The daemon survived whatever came before: still running, healthy, and a
  // client the deployment trusts logs in.
  void expectServing(GatewayDialer& trusted, const std::string& after) {
    EXPECT_TRUE(deployment_.process("cf1").running()) << after;
    auto health = admin_["cf1"]->call((*admin_["cf1"])->healthRequest());
    EXPECT_TRUE(health.getHealth().getReady()) << after;
    EXPECT_EQ(loginThrough(trusted), kLoggedIn) << after;
  }

  testing::Deployment deployment_{{.customers = {"cf1"}, .streets = {"ss1"}}};
  testing::TempDir tls_;
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  std::map<std::string, std::unique_ptr<AdminConnection>> admin_;
};

TEST_F(GatewayTlsTest, TrustedClientTradesPlaintextAndOtherCaAreRefused) {
  ASSERT_NO_FATAL_FAILURE(startDeployment(false));
  GatewayDialer trusted = dialer("ca");

  // A client trusting the CA logs in, places an order and reads it back.
  {
    GatewayConnection gateway(io_, deployment_.site("cf1"), trusted);
    auto login = gateway.login("alice", "alice-secret");
    ASSERT_TRUE(std::holds_alternative<idl::Session::Client>(login))
        << std::get<std::string>(login);
    idl::Session::Client session = std::get<idl::Session::Client>(kj::mv(login));
    auto place = session.placeOrderRequest();
    testing::fillLimitBuy(place.initRequest(), "tls-1", 10, 10 * kDollar);
    auto placed = gateway.wait(place.send());
    ASSERT_TRUE(placed.getResult().isStatus()) << placed.getResult().getError().getReason().cStr();
    const std::string orderId = placed.getResult().getStatus().getOrder().getId().cStr();
    auto status = session.orderStatusRequest();
    status.setOrderId(orderId);
    auto found = gateway.wait(status.send());
    ASSERT_TRUE(found.getResult().isStatus()) << found.getResult().getError().getReason().cStr();
    EXPECT_EQ(std::string(found.getResult().getStatus().getOrder().getClientOrderId().cStr()),
              "tls-1");
    EXPECT_EQ(found.getResult().getStatus().getOrder().getQuantity(), 10);
  }
  expectServing(trusted, "after a trusted session");

  // Plaintext: the connection opens (TCP), but the first bytes are no TLS
  // handshake, so the Gateway drops it; no login is answered.
  {
    GatewayDialer plaintext;
    const std::string outcome = loginThrough(plaintext);
    EXPECT_EQ(outcome.rfind("failed: ", 0), 0u) << outcome;
  }
  expectServing(trusted, "after a plaintext client");
  EXPECT_NE(deployment_.log("cf1").find("gateway-tls-refused"), std::string::npos);

  // A client trusting another CA refuses the server's certificate.
  {
    GatewayDialer stranger = dialer("other");
    const std::string outcome = loginThrough(stranger);
    EXPECT_EQ(outcome.rfind("failed: ", 0), 0u) << outcome;
    EXPECT_NE(outcome.find("certificate"), std::string::npos) << outcome;
  }
  expectServing(trusted, "after a client trusting another CA");

  // A CA file with two CAs (a rotation: the old and the new) trusts both.
  {
    const std::string bundle = (tls_ / "bundle.crt").string();
    std::ofstream(bundle) << std::ifstream(file("other", "ca.crt")).rdbuf()
                          << std::ifstream(file("ca", "ca.crt")).rdbuf();
    GatewayDialer rotating = GatewayDialer::fromFiles(TlsClientFiles{.trustedCa = bundle});
    EXPECT_EQ(loginThrough(rotating), kLoggedIn);
  }

  // The certificate names cf1's address: dialled under another name, the
  // client refuses it too.
  {
    GatewayDialer misnamed = dialer("ca");
    misnamed.serverName = "cf2.example";
    const std::string outcome = loginThrough(misnamed);
    EXPECT_EQ(outcome.rfind("failed: ", 0), 0u) << outcome;
  }
  expectServing(trusted, "after a client expecting another name");

  // Through TLS the login guard still knows the peer's address: 3 failures
  // from here (--login-failures 3) lock out another account too.
  GatewayConnection gateway(io_, deployment_.site("cf1"), trusted);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(std::holds_alternative<std::string>(gateway.login("alice", "wrong"))) << i;
  }
  auto bob = gateway.login("bob", "bob-secret");
  ASSERT_TRUE(std::holds_alternative<std::string>(bob)) << "bob logged in";
  EXPECT_EQ(std::get<std::string>(bob).rfind("too many failed logins from this address", 0), 0u)
      << std::get<std::string>(bob);
}

TEST_F(GatewayTlsTest, ClientCertificatesRequiredWhenConfigured) {
  ASSERT_NO_FATAL_FAILURE(startDeployment(true));
  GatewayDialer withCertificate = dialer("ca", "ca");

  EXPECT_EQ(loginThrough(withCertificate), kLoggedIn);

  // Trusting the right CA is not enough without a certificate of one's own.
  {
    GatewayDialer withoutCertificate = dialer("ca");
    const std::string outcome = loginThrough(withoutCertificate);
    EXPECT_EQ(outcome.rfind("failed: ", 0), 0u) << outcome;
  }
  expectServing(withCertificate, "after a client without a certificate");

  // A certificate another CA signed is refused as well.
  {
    GatewayDialer strangersCertificate = dialer("ca", "other");
    const std::string outcome = loginThrough(strangersCertificate);
    EXPECT_EQ(outcome.rfind("failed: ", 0), 0u) << outcome;
  }
  expectServing(withCertificate, "after a client with another CA's certificate");

  {
    GatewayDialer plaintext;
    const std::string outcome = loginThrough(plaintext);
    EXPECT_EQ(outcome.rfind("failed: ", 0), 0u) << outcome;
  }
  expectServing(withCertificate, "after a plaintext client");

  // Told to serve TLS with a key it cannot read, the daemon does not start
  // (and so never serves plaintext instead).
  admin_.erase("cf1");
  deployment_.process("cf1").kill(SIGTERM);
  ASSERT_EQ(deployment_.process("cf1").wait(60s), 0) << deployment_.log("cf1");
  deployment_.start("utilities/customer/triad-customerd", "cf1",
                    {"--tls-cert", file("ca", "cf1.crt"), "--tls-key", file("ca", "missing.key")});
  EXPECT_EQ(deployment_.process("cf1").wait(90s), 1) << deployment_.log("cf1");
  EXPECT_NE(deployment_.log("cf1").find("cannot read the TLS file"), std::string::npos)
      << deployment_.log("cf1");
  // Back as configured, for the closing invariants.
  deployment_.start("utilities/customer/triad-customerd", "cf1",
                    {"--tls-cert", file("ca", "cf1.crt"), "--tls-key", file("ca", "cf1.key"),
                     "--tls-client-ca", file("ca", "ca.crt")});
  std::string lastError;
  admin_["cf1"] = testing::connectWhenReady(io_, deployment_.site("cf1"), 120s, &lastError);
  ASSERT_NE(admin_["cf1"], nullptr) << lastError;
  expectServing(withCertificate, "after a restart");
}

}  // namespace
}  // namespace triad
