#include "utilities/common/admin_server.h"

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "tests/support/free_port.h"
#include "tests/support/site_certificates.h"
#include "tests/support/temp_dir.h"

namespace triad::common {
namespace {

constexpr int64_t kStartedAt = 1714564800'000'000'000;

// A site of the smallest valid topology: the firm utility (which must exist)
// and both brokers, plus one customer utility that never runs, so that the
// firm also holds a replica that cannot join its owner.
class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 random(std::random_device{}());
    const std::string net = std::to_string(std::uniform_int_distribution<int>(1, 250)(random));
    const std::string firmHost = "127.2." + net + ".10";
    const std::string cf1Host = "127.2." + net + ".1";
    std::ofstream out(dir_ / "topology.conf");
    out << "[network]\ncustomer-facing = 127.1.0.0/16\nfirm-side = 127.2.0.0/16\n\n"
        << "[cf1]\nrole = customer\ngroup-index = 0\ncustomer-address = 127.1." << net
        << ".1\nfirm-address = " << cf1Host << "\ngateway-port = 7100\nadmin-port = 7200\n"
        << "replication-port = " << testing::freePort(cf1Host) << "\n\n"
        << "[firm]\nrole = firm\ngroup-index = 1\nfirm-address = " << firmHost
        << "\nadmin-port = " << testing::freePort(firmHost)
        << "\nreplication-port = " << testing::freePort(firmHost) << "\n\n"
        << "[bus-customer]\nrole = broker\nbus = customer\naddress = 127.1." << net
        << ".250\npublish-port = 7400\nsubscribe-port = 7401\nfirm-address = 127.2." << net
        << ".250\nadmin-port = 7200\n\n"
        << "[bus-firm]\nrole = broker\nbus = firm\naddress = 127.2." << net
        << ".251\npublish-port = 7400\nsubscribe-port = 7401\nfirm-address = 127.2." << net
        << ".251\nadmin-port = 7200\n";
    out.close();
    auto loaded = topology::Topology::load(dir_ / "topology.conf");
    ASSERT_TRUE(std::holds_alternative<topology::Topology>(loaded))
        << std::get<topology::TopologyError>(loaded).message;
    topology_.emplace(std::move(std::get<topology::Topology>(loaded)));

    SiteStorageOptions options;
    options.dataRoot = dir_ / "data";
    options.tls = dir_ / "replication-tls";
    testing::makeSiteCertificates(options.tls, *topology_);
    options.ackTimeout = std::chrono::milliseconds(500);
    bdb::Status s = SiteStorage::open(*topology_, "firm", options, &storage_);
    ASSERT_TRUE(s.isOk()) << s.toString();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (storage_->owned().status().role != bdb::ReplicationRole::kMaster &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  DaemonIdentity identity() const { return {"triad-testd", "firm", "firm", "1.2.3", kStartedAt}; }

  // Serves `server` over an in-process pipe and returns the client's view.
  idl::Admin::Client connect(kj::Own<AdminServer> server) {
    auto pipe = kj::newTwoWayPipe();
    rpc_->server = kj::heap<capnp::TwoPartyServer>(kj::mv(server));
    rpc_->server->accept(kj::mv(pipe.ends[1]));
    rpc_->clientEnd = kj::mv(pipe.ends[0]);
    rpc_->client = kj::heap<capnp::TwoPartyClient>(*rpc_->clientEnd);
    return rpc_->client->bootstrap().castAs<idl::Admin>();
  }

  idl::Admin::Client connectDefault() {
    return connect(kj::heap<AdminServer>(identity(), storage_.get(), health_));
  }

  static std::vector<std::string> problemsOf(idl::Health::Reader health) {
    std::vector<std::string> problems;
    for (capnp::Text::Reader problem : health.getProblems()) problems.emplace_back(problem);
    return problems;
  }

  static bool anyContains(const std::vector<std::string>& lines, std::string_view part) {
    return std::any_of(lines.begin(), lines.end(), [part](const std::string& line) {
      return line.find(part) != std::string::npos;
    });
  }

  testing::TempDir dir_;
  std::optional<topology::Topology> topology_;
  std::unique_ptr<SiteStorage> storage_;  // outlives the RPC objects below
  ServiceHealth health_;

  // kj's destructors may throw, gtest's may not: hold them behind a pointer.
  struct Rpc {
    kj::EventLoop loop;
    kj::WaitScope waitScope{loop};
    kj::Own<capnp::TwoPartyServer> server;
    kj::Own<kj::AsyncIoStream> clientEnd;
    kj::Own<capnp::TwoPartyClient> client;
  };
  std::unique_ptr<Rpc> rpc_ = std::make_unique<Rpc>();
  kj::WaitScope& waitScope_ = rpc_->waitScope;
};

TEST_F(AdminServerTest, HealthNamesTheDaemonAndItsReadiness) {
  idl::Admin::Client admin = connectDefault();
  auto before = admin.healthRequest().send().wait(waitScope_);
  EXPECT_EQ(before.getHealth().getId(), "firm");
  EXPECT_EQ(before.getHealth().getRole(), "firm");
  EXPECT_EQ(before.getHealth().getVersion(), "1.2.3");
  EXPECT_EQ(before.getHealth().getStartedAtNanos(), kStartedAt);
  EXPECT_FALSE(before.getHealth().getReady());

  health_.setReady(true);
  auto after = admin.healthRequest().send().wait(waitScope_);
  EXPECT_TRUE(after.getHealth().getReady());
}

TEST_F(AdminServerTest, HealthListsReplicationProblemsAndReportedOnes) {
  idl::Admin::Client admin = connectDefault();
  health_.report("bus", "firm bus: no heartbeat for 5 s");
  std::vector<std::string> problems =
      problemsOf(admin.healthRequest().send().wait(waitScope_).getHealth());
  // The firm owns its group but no replica runs; cf1's owner never started.
  EXPECT_TRUE(anyContains(problems, "group firm: no replica is connected")) << problems.size();
  EXPECT_TRUE(anyContains(problems, "group cf1: this replica has not joined its owner"));
  EXPECT_TRUE(anyContains(problems, "firm bus: no heartbeat for 5 s"));

  health_.clear("bus");
  problems = problemsOf(admin.healthRequest().send().wait(waitScope_).getHealth());
  EXPECT_FALSE(anyContains(problems, "firm bus"));
}

TEST_F(AdminServerTest, GroupsReportsEveryGroupWithItsRole) {
  idl::Admin::Client admin = connectDefault();
  auto response = admin.groupsRequest().send().wait(waitScope_);
  auto groups = response.getGroups();
  ASSERT_EQ(groups.size(), 2u);

  // The owned group first (SiteStorage opens it first).
  idl::GroupStatus::Reader firm = groups[0];
  EXPECT_EQ(firm.getGroup(), "firm");
  EXPECT_EQ(firm.getSite(), "firm");
  EXPECT_EQ(firm.getRole(), idl::ReplicationRole::MASTER);
  EXPECT_EQ(firm.getMaster(), "firm");
  // Creating the tables with no replica connected already counts here.
  EXPECT_EQ(firm.getPermFailures(), storage_->owned().status().permFailures);
  EXPECT_GT(firm.getLsn().getFile(), 0u);  // Berkeley DB's log files start at 1

  idl::GroupStatus::Reader cf1 = groups[1];
  EXPECT_EQ(cf1.getGroup(), "cf1");
  EXPECT_EQ(cf1.getSite(), "firm");
  EXPECT_EQ(cf1.getRole(), idl::ReplicationRole::DOWN);
  EXPECT_EQ(cf1.getMaster(), "");
  EXPECT_EQ(cf1.getCommitSequence(), 0u);
}

TEST_F(AdminServerTest, MethodsNotServedAnswerUnavailableWithTheReason) {
  idl::Admin::Client admin = connectDefault();
  auto halt = admin.haltRequest();
  halt.setSymbol("ACME");
  halt.setReason("news pending");
  // The reader points into the response: keep the response alive.
  auto haltResponse = halt.send().wait(waitScope_);
  auto halted = haltResponse.getResult();
  ASSERT_TRUE(halted.isError());
  EXPECT_EQ(halted.getError().getCode(), idl::ErrorCode::UNAVAILABLE);
  EXPECT_EQ(halted.getError().getReason(), "halt is not served by triad-testd");

  auto deposit = admin.depositRequest();
  deposit.setAccount("acct-1");
  deposit.setAmountMicros(1'000'000);
  auto depositResponse = deposit.send().wait(waitScope_);
  auto deposited = depositResponse.getResult();
  ASSERT_TRUE(deposited.isError());
  EXPECT_EQ(deposited.getError().getReason(), "deposit is not served by triad-testd");
}

TEST_F(AdminServerTest, ListMethodsNotServedFailAsUnimplementedWithTheReason) {
  idl::Admin::Client admin = connectDefault();
  kj::Maybe<kj::Exception> failure =
      kj::runCatchingExceptions([&] { admin.accountsRequest().send().wait(waitScope_); });
  KJ_IF_MAYBE (exception, failure) {
    EXPECT_EQ(exception->getType(), kj::Exception::Type::UNIMPLEMENTED);
    EXPECT_NE(std::string(exception->getDescription().cStr())
                  .find("accounts is not served by triad-testd"),
              std::string::npos)
        << exception->getDescription().cStr();
  } else {
    ADD_FAILURE() << "accounts answered";
  }
}

// A daemon serves more by overriding Admin::Server's methods.
class HaltingAdmin : public AdminServer {
 public:
  using AdminServer::AdminServer;

 protected:
  kj::Promise<void> halt(HaltContext context) override {
    context.getResults().initResult().setOk(
        kj::str("halted ", context.getParams().getSymbol()).cStr());
    return kj::READY_NOW;
  }
};

TEST_F(AdminServerTest, ADaemonOverridesTheMethodsItServes) {
  idl::Admin::Client admin = connect(kj::heap<HaltingAdmin>(identity(), storage_.get(), health_));
  auto halt = admin.haltRequest();
  halt.setSymbol("ACME");
  // The reader points into the response: keep the response alive.
  auto haltResponse = halt.send().wait(waitScope_);
  auto halted = haltResponse.getResult();
  ASSERT_TRUE(halted.isOk());
  EXPECT_EQ(halted.getOk(), "halted ACME");

  auto resumeResponse = admin.resumeRequest().send().wait(waitScope_);
  auto resumed = resumeResponse.getResult();
  ASSERT_TRUE(resumed.isError());
  EXPECT_EQ(resumed.getError().getReason(), "resume is not served by triad-testd");
  EXPECT_EQ(admin.healthRequest().send().wait(waitScope_).getHealth().getId(), "firm");
}

TEST_F(AdminServerTest, ADaemonWithoutStorageReportsNoGroups) {
  idl::Admin::Client admin = connect(kj::heap<AdminServer>(
      DaemonIdentity{"triad-brokerd", "bus-firm", "broker", "1.2.3", kStartedAt}, nullptr,
      health_));
  EXPECT_EQ(admin.groupsRequest().send().wait(waitScope_).getGroups().size(), 0u);
  auto healthResponse = admin.healthRequest().send().wait(waitScope_);
  auto health = healthResponse.getHealth();
  EXPECT_EQ(health.getRole(), "broker");
  EXPECT_EQ(health.getProblems().size(), 0u);
}

}  // namespace
}  // namespace triad::common
