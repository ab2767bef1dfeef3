// One group, three environments in this process: the owner and two clients,
// replicating over real Replication Manager connections on loopback. The
// multi-process tests (tests/integration) repeat the important cases with one
// process per site.

#include "bdb/ownership_group.h"

#include <capnp/message.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "bdb/table.h"
#include "idl/records.capnp.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"

namespace triad::bdb {
namespace {

using namespace std::chrono_literals;

#define ASSERT_OK(expr)                                \
  do {                                                 \
    Status status_ = (expr);                           \
    ASSERT_TRUE(status_.isOk()) << status_.toString(); \
  } while (0)

constexpr const char* kHost = "127.0.0.1";

class OwnershipGroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* site : {"owner", "c1", "c2"}) {
      sites_.push_back({site, kHost, testing::freePort(kHost)});
    }
  }

  GroupOptions optionsFor(const std::string& site) {
    GroupOptions options;
    options.group = "owner";
    options.localSite = site;
    options.home = dir_ / site;
    options.sites = sites_;
    options.tables = {{"orders"}};
    options.ackTimeout = 1000ms;
    options.connectionRetry = 100ms;
    options.checkpointInterval = 0ms;
    if (std::getenv("TRIAD_TEST_VERBOSE") != nullptr) {
      options.log = [site](std::string_view line) {
        fprintf(
            stderr, "%ld [%s] %.*s\n",
            (long)(std::chrono::steady_clock::now().time_since_epoch().count() / 1000000 % 100000),
            site.c_str(), (int)line.size(), line.data());
      };
    }
    return options;
  }

  std::unique_ptr<OwnershipGroup> openSite(const std::string& site) {
    std::unique_ptr<OwnershipGroup> group;
    Status s = OwnershipGroup::open(optionsFor(site), &group);
    EXPECT_TRUE(s.isOk()) << s.toString();
    return group;
  }

  static Status putOrder(OwnershipGroup& group, const std::string& id, int64_t quantity) {
    return group.write([&](WriteTxn& txn) {
      capnp::MallocMessageBuilder message;
      auto order = message.initRoot<idl::Order>();
      order.setId(id);
      order.setQuantity(quantity);
      return txn.put("orders", Key::of(id), message);
    });
  }

  // Waits until `group` reads `id` (replication is asynchronous to readers).
  static bool eventuallyReads(OwnershipGroup& group, const std::string& id,
                              std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      Value value;
      if (group.get("orders", Key::of(id), &value).isOk()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  testing::TempDir dir_;
  std::vector<SiteAddress> sites_;
};

TEST_F(OwnershipGroupTest, ClientsReadWhatTheOwnerWrote) {
  auto owner = openSite("owner");
  auto c1 = openSite("c1");
  auto c2 = openSite("c2");
  ASSERT_TRUE(owner->waitForReplicas(2, 20s));
  ASSERT_TRUE(owner->isOwner());
  ASSERT_FALSE(c1->isOwner());
  const uint64_t before = owner->commitPosition().sequence;

  ASSERT_OK(putOrder(*owner, "owner-000000001", 100));
  for (OwnershipGroup* client : {c1.get(), c2.get()}) {
    ASSERT_TRUE(eventuallyReads(*client, "owner-000000001"));
    Value value;
    ASSERT_TRUE(client->get("orders", Key::of("owner-000000001"), &value).isOk());
    EXPECT_EQ(value.as<idl::Order>().getQuantity(), 100);
  }
  EXPECT_EQ(owner->commitPosition().sequence, before + 1);
  ASSERT_TRUE(c1->waitForCommit(before + 1, 10s));
  ASSERT_TRUE(c2->waitForCommit(before + 1, 10s));
}

TEST_F(OwnershipGroupTest, BerkeleyDbRefusesAWriteAtAClient) {
  auto owner = openSite("owner");
  auto c1 = openSite("c1");
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  ASSERT_OK(putOrder(*owner, "owner-000000001", 1));
  ASSERT_TRUE(eventuallyReads(*c1, "owner-000000001"));

  Status s = putOrder(*c1, "owner-000000002", 5);
  EXPECT_EQ(s.code(), Status::Code::kNotOwner) << s.toString();
  // The refusal comes from Berkeley DB's replication role, and says so.
  EXPECT_NE(s.message().find("refused by Berkeley DB"), std::string::npos) << s.toString();
  Value value;
  EXPECT_TRUE(c1->get("orders", Key::of("owner-000000002"), &value).isNotFound());
  EXPECT_TRUE(owner->get("orders", Key::of("owner-000000002"), &value).isNotFound());
}

TEST_F(OwnershipGroupTest, OwnerWithNoReplicaAnswersNotReplicated) {
  auto owner = openSite("owner");
  Status s = putOrder(*owner, "owner-000000001", 1);
  EXPECT_EQ(s.code(), Status::Code::kNotReplicated) << s.toString();
  Value value;
  EXPECT_TRUE(owner->get("orders", Key::of("owner-000000001"), &value).isNotFound())
      << "a refused write must leave nothing behind";
}

TEST_F(OwnershipGroupTest, ReplicaThatStopsAnsweringMakesCommitsNotReplicated) {
  auto owner = openSite("owner");
  auto c1 = openSite("c1");
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  ASSERT_OK(putOrder(*owner, "owner-000000001", 1));
  ASSERT_TRUE(eventuallyReads(*c1, "owner-000000001"));
  c1.reset();  // the only replica goes away

  // Until the owner notices the broken connection, the commit waits for an
  // acknowledgement that never comes; either way it is never a silent success.
  const auto start = std::chrono::steady_clock::now();
  Status s = putOrder(*owner, "owner-000000002", 2);
  EXPECT_EQ(s.code(), Status::Code::kNotReplicated) << s.toString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(OwnershipGroupTest, FailedWriteInABatchDoesNotSinkTheOthers) {
  auto owner = openSite("owner");
  auto c1 = openSite("c1");
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  ASSERT_OK(putOrder(*owner, "owner-000000000", 1));
  const uint64_t before = owner->commitPosition().sequence;

  constexpr int kWriters = 16;
  std::vector<Status> results(kWriters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      if (i % 4 == 3) {
        results[i] = owner->write([&](WriteTxn& txn) {
          capnp::MallocMessageBuilder message;
          message.initRoot<idl::Order>().setId("doomed");
          Status put = txn.put("orders", Key::of("doomed-" + std::to_string(i)), message);
          if (!put.isOk()) return put;
          return Status::invalidArgument("rejected by validation");
        });
      } else {
        results[i] = putOrder(*owner, "owner-00000010" + std::to_string(i), i);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kWriters; ++i) {
    Value value;
    if (i % 4 == 3) {
      EXPECT_EQ(results[i].code(), Status::Code::kInvalidArgument);
      EXPECT_TRUE(
          owner->get("orders", Key::of("doomed-" + std::to_string(i)), &value).isNotFound());
    } else {
      EXPECT_TRUE(results[i].isOk()) << results[i].toString();
      EXPECT_TRUE(
          owner->get("orders", Key::of("owner-00000010" + std::to_string(i)), &value).isOk());
    }
  }
  // Concurrent writers were gathered: fewer commits than successful writes.
  EXPECT_LT(owner->commitPosition().sequence, before + 12u);
}

TEST_F(OwnershipGroupTest, ScanVisitsKeysInOrderFromAStartKey) {
  auto owner = openSite("owner");
  auto c1 = openSite("c1");
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  for (int i : {3, 1, 2, 5, 4}) {
    ASSERT_OK(putOrder(*owner, "o" + std::to_string(i), i));
  }
  ASSERT_TRUE(eventuallyReads(*c1, "o4"));
  ASSERT_TRUE(c1->waitForCommit(owner->commitPosition().sequence, 10s));
  std::vector<int64_t> seen;
  Status s = c1->scan("orders", "o2", [&](std::string_view, const Value& value) {
    seen.push_back(value.as<idl::Order>().getQuantity());
    return seen.size() < 3;
  });
  ASSERT_TRUE(s.isOk()) << s.toString();
  EXPECT_EQ(seen, (std::vector<int64_t>{2, 3, 4}));
}

TEST_F(OwnershipGroupTest, TypedTableWritesAndReadsItsRecordType) {
  constexpr Table<idl::Order> kOrders{"orders"};
  auto owner = openSite("owner");
  auto c1 = openSite("c1");
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  capnp::MallocMessageBuilder message;
  auto order = message.initRoot<idl::Order>();
  order.setId("owner-000000007");
  order.setSymbol("ACME");
  order.setQuantity(7);
  ASSERT_OK(owner->write([&](WriteTxn& txn) {
    return kOrders.put(txn, Key::of("owner-000000007"), order.asReader());
  }));
  ASSERT_TRUE(eventuallyReads(*c1, "owner-000000007"));
  Record<idl::Order> read;
  ASSERT_OK(kOrders.get(*c1, Key::of("owner-000000007"), &read));
  EXPECT_EQ(read->getQuantity(), 7);
  EXPECT_EQ(std::string(read->getSymbol().cStr()), "ACME");
  int visited = 0;
  ASSERT_OK(kOrders.scan(*c1, "", [&](std::string_view, idl::Order::Reader record) {
    EXPECT_EQ(record.getQuantity(), 7);
    return ++visited < 10;
  }));
  EXPECT_EQ(visited, 1);
}

TEST_F(OwnershipGroupTest, UnknownTableIsACallersMistake) {
  auto owner = openSite("owner");
  Value value;
  Status s = owner->get("no_such_table", Key::of("x"), &value);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("no_such_table"), std::string::npos);
}

TEST_F(OwnershipGroupTest, StatusReportsRolesMasterAndPeers) {
  auto owner = openSite("owner");
  auto c1 = openSite("c1");
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  ASSERT_OK(putOrder(*owner, "owner-000000001", 1));
  const uint64_t sequence = owner->commitPosition().sequence;
  ASSERT_TRUE(c1->waitForCommit(sequence, 10s));
  ReplicationStatus master = owner->status();
  EXPECT_EQ(master.role, ReplicationRole::kMaster);
  EXPECT_EQ(master.master, "owner");
  EXPECT_EQ(master.commit.sequence, sequence);
  ReplicationStatus client = c1->status();
  EXPECT_EQ(client.role, ReplicationRole::kClient);
  EXPECT_EQ(client.master, "owner");
  EXPECT_EQ(client.commit.sequence, sequence);
  EXPECT_LE(client.lsn, master.lsn);
  EXPECT_GT(client.lsn.file, 0u);
  bool sawOwner = false;
  for (const PeerLink& peer : client.peers) sawOwner |= peer.site == "owner" && peer.connected;
  EXPECT_TRUE(sawOwner);
}

// Every TCP socket in this process, found through /proc/self/fd.
std::vector<int> tcpSockets() {
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  while (dirent* entry = readdir(dir)) {
    int fd = atoi(entry->d_name);
    int type = 0;
    socklen_t length = sizeof type;
    sockaddr_storage address{};
    socklen_t addressLength = sizeof address;
    if (fd > 2 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == SOCK_STREAM &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &addressLength) == 0 &&
        address.ss_family == AF_INET) {
      fds.push_back(fd);
    }
  }
  closedir(dir);
  return fds;
}

TEST_F(OwnershipGroupTest, ReplicationSocketsHaveTcpNoDelay) {
  auto owner = openSite("owner");
  auto c1 = openSite("c1");
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  ASSERT_OK(putOrder(*owner, "owner-000000001", 1));
  std::vector<int> sockets = tcpSockets();
  ASSERT_GE(sockets.size(), 3u);  // two listeners and at least one connection
  for (int fd : sockets) {
    int noDelay = 0;
    socklen_t length = sizeof noDelay;
    ASSERT_EQ(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &noDelay, &length), 0);
    EXPECT_NE(noDelay, 0) << "fd " << fd;
  }
}

// A site the topology does not name joins through the owner as its helper
// (its own configuration names the owner): the owner removes it from the
// group and raises an alarm, and goes on serving its known replicas.
TEST_F(OwnershipGroupTest, OwnerRemovesASiteItsTopologyDoesNotName) {
  auto owner = openSite("owner");
  auto c1 = openSite("c1");
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  ASSERT_OK(putOrder(*owner, "before", 1));

  GroupOptions intruderOptions = optionsFor("intruder");
  const uint16_t intruderPort = testing::freePort(kHost);
  intruderOptions.sites.push_back({"intruder", kHost, intruderPort});
  std::unique_ptr<OwnershipGroup> intruder;
  ASSERT_OK(OwnershipGroup::open(intruderOptions, &intruder));

  const std::string intruderAddress = std::string(kHost) + ":" + std::to_string(intruderPort);
  auto listed = [&] {
    for (const PeerLink& peer : owner->status().peers) {
      if (peer.site == intruderAddress) return true;
    }
    return false;
  };
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while ((owner->unknownSitesRemoved() == 0 || listed()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GE(owner->unknownSitesRemoved(), 1u);
  EXPECT_FALSE(listed());

  // The owner goes on, acknowledged by its known replica; the intruder does
  // not follow it.
  ASSERT_OK(putOrder(*owner, "after", 2));
  ASSERT_TRUE(c1->waitForCommit(owner->commitPosition().sequence, 10s));
  std::this_thread::sleep_for(1s);
  EXPECT_LT(intruder->commitPosition().sequence, owner->commitPosition().sequence);
  Value value;
  EXPECT_FALSE(intruder->get("orders", Key::of("after"), &value).isOk());
  EXPECT_FALSE(listed());
  // What, if anything, it got before it was removed.
  std::printf("intruder: commit %llu of the owner's %llu, 'before' %s\n",
              static_cast<unsigned long long>(intruder->commitPosition().sequence),
              static_cast<unsigned long long>(owner->commitPosition().sequence),
              intruder->get("orders", Key::of("before"), &value).isOk() ? "replicated" : "absent");
}

}  // namespace
}  // namespace triad::bdb
