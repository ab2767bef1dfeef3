// One group, three sites in this process: the owner and two replicas, each
// with its own replication transport (real ZeroMQ sockets with CURVE on
// 127.0.0.1), replicating through Berkeley DB's Base API. The multi-process
// tests (tests/integration) repeat the important cases with one process per
// site.

#include "bdb/ownership_group.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "bdb/replication_transport.h"
#include "bdb/table.h"
#include "bdb/test_sites.h"
#include "idl/records.capnp.h"
#include "tests/support/temp_dir.h"

namespace triad::bdb {
namespace {

using namespace std::chrono_literals;

#define ASSERT_OK(expr)                                \
  do {                                                 \
    Status status_ = (expr);                           \
    ASSERT_TRUE(status_.isOk()) << status_.toString(); \
  } while (0)

// A site of the test deployment: its transport and its copy of the group.
struct Site {
  std::unique_ptr<ReplicationTransport> transport;  // outlives the group
  std::unique_ptr<OwnershipGroup> group;
  OwnershipGroup* operator->() const { return group.get(); }
  OwnershipGroup& operator*() const { return *group; }
};

class OwnershipGroupTest : public ::testing::Test {
 protected:
  GroupOptions optionsFor(const std::string& site, ReplicationTransport& transport) {
    GroupOptions options;
    options.group = "owner";
    options.groupEid = sites_.eid("owner");
    options.home = dir_ / site;
    options.transport = &transport;
    options.tables = {{"orders"}, {"routes", TableKind::kHashed}};
    options.ackTimeout = 1000ms;
    options.checkpointInterval = 0ms;
    if (std::getenv("TRIAD_TEST_VERBOSE") != nullptr) {
      options.log = [site](std::string_view line) {
        fprintf(stderr, "%lld [%s] %.*s\n",
                static_cast<long long>(std::chrono::steady_clock::now().time_since_epoch().count() /
                                       1000000 % 100000),
                site.c_str(), (int)line.size(), line.data());
      };
    }
    return options;
  }

  Site openSite(const std::string& site,
                const std::function<void(GroupOptions&)>& adjust = nullptr) {
    Site opened{sites_.open(site), nullptr};
    GroupOptions options = optionsFor(site, *opened.transport);
    if (adjust) adjust(options);
    Status s = OwnershipGroup::open(options, &opened.group);
    EXPECT_TRUE(s.isOk()) << s.toString();
    return opened;
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

  testing::TestSites sites_{{"owner", "c1", "c2"}};
  triad::testing::TempDir dir_;
};

TEST_F(OwnershipGroupTest, ClientsReadWhatTheOwnerWrote) {
  Site owner = openSite("owner");
  Site c1 = openSite("c1");
  Site c2 = openSite("c2");
  ASSERT_TRUE(owner->waitForReplicas(2, 20s));
  ASSERT_TRUE(owner->isOwner());
  ASSERT_FALSE(c1->isOwner());
  const uint64_t before = owner->commitPosition().sequence;

  ASSERT_OK(putOrder(*owner, "owner-000000001", 100));
  for (OwnershipGroup* client : {c1.group.get(), c2.group.get()}) {
    ASSERT_TRUE(eventuallyReads(*client, "owner-000000001"));
    Value value;
    ASSERT_TRUE(client->get("orders", Key::of("owner-000000001"), &value).isOk());
    EXPECT_EQ(value.as<idl::Order>().getQuantity(), 100);
  }
  const uint64_t after = owner->commitPosition().sequence;
  EXPECT_GT(after, before);
  ASSERT_TRUE(c1->waitForCommit(after, 10s));
  ASSERT_TRUE(c2->waitForCommit(after, 10s));
}

TEST_F(OwnershipGroupTest, BerkeleyDbRefusesAWriteAtAClient) {
  Site owner = openSite("owner");
  Site c1 = openSite("c1");
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
  Site owner = openSite("owner");
  Status s = putOrder(*owner, "owner-000000001", 1);
  EXPECT_EQ(s.code(), Status::Code::kNotReplicated) << s.toString();
  Value value;
  EXPECT_TRUE(owner->get("orders", Key::of("owner-000000001"), &value).isNotFound())
      << "a refused write must leave nothing behind";
}

TEST_F(OwnershipGroupTest, ReplicaThatStopsAnsweringMakesCommitsNotReplicated) {
  Site owner = openSite("owner");
  Site c1 = openSite("c1");
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  ASSERT_OK(putOrder(*owner, "owner-000000001", 1));
  ASSERT_TRUE(eventuallyReads(*c1, "owner-000000001"));
  c1.group.reset();  // the only replica goes away
  c1.transport.reset();

  // Until the owner notices the lost connection, the commit waits for an
  // acknowledgement that never comes; either way it is never a silent success.
  const auto start = std::chrono::steady_clock::now();
  Status s = putOrder(*owner, "owner-000000002", 2);
  EXPECT_EQ(s.code(), Status::Code::kNotReplicated) << s.toString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(OwnershipGroupTest, AStalledReplicaDoesNotMakeEveryCommitWaitTheTimeout) {
  // The replica stops answering but its connection stays up (its
  // environment is gone, its transport is not): the first commit waits the
  // timeout, the next ones are refused at once, and the first
  // acknowledgement after it comes back ends the stall.
  Site owner = openSite("owner");
  Site c1 = openSite("c1");
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  ASSERT_OK(putOrder(*owner, "owner-000000001", 1));
  c1.group.reset();
  auto start = std::chrono::steady_clock::now();
  Status s = putOrder(*owner, "owner-000000002", 2);
  EXPECT_EQ(s.code(), Status::Code::kNotReplicated) << s.toString();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
  EXPECT_TRUE(owner->status().stalled);
  start = std::chrono::steady_clock::now();
  s = putOrder(*owner, "owner-000000003", 3);
  EXPECT_EQ(s.code(), Status::Code::kNotReplicated) << s.toString();
  EXPECT_NE(s.message().find("nothing was written"), std::string::npos) << s.toString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 200ms);
  Value value;
  EXPECT_TRUE(owner->get("orders", Key::of("owner-000000003"), &value).isNotFound());

  GroupOptions options = optionsFor("c1", *c1.transport);
  ASSERT_OK(OwnershipGroup::open(options, &c1.group));
  ASSERT_TRUE(eventuallyReads(*c1, "owner-000000002"));
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (owner->status().stalled && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_FALSE(owner->status().stalled);
  ASSERT_OK(putOrder(*owner, "owner-000000004", 4));
}

TEST_F(OwnershipGroupTest, FailedWriteInABatchDoesNotSinkTheOthers) {
  Site owner = openSite("owner");
  Site c1 = openSite("c1");
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  ASSERT_OK(putOrder(*owner, "owner-000000000", 1));
  const uint64_t before = owner->status().commits;

  // A first write holds the group's committer until the 15 others have
  // queued behind it, so they are one batch whatever the machine's timing:
  // three of them fail in their callbacks, the other twelve commit.
  constexpr int kWriters = 16;
  std::atomic<int> submitted{0};
  std::atomic<bool> leading{false};
  std::thread first([&] {
    bool waited = false;
    ASSERT_OK(owner->write([&](WriteTxn& txn) {
      leading = true;
      while (!waited && submitted < kWriters - 1) std::this_thread::sleep_for(1ms);
      if (!waited) std::this_thread::sleep_for(100ms);  // the last ones reach the queue
      waited = true;
      capnp::MallocMessageBuilder message;
      message.initRoot<idl::Order>().setId("first");
      return txn.put("orders", Key::of("first"), message);
    }));
  });
  while (!leading) std::this_thread::sleep_for(1ms);
  std::vector<Status> results(kWriters);
  std::vector<std::thread> threads;
  for (int i = 1; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      submitted++;
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
  first.join();
  for (std::thread& thread : threads) thread.join();
  for (int i = 1; i < kWriters; ++i) {
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
  // The first write's commit, then one for the twelve gathered behind it (a
  // thread the machine held back past the 100 ms may make a third).
  EXPECT_LE(owner->status().commits - before, 3u);
}

TEST_F(OwnershipGroupTest, ScanVisitsKeysInOrderFromAStartKey) {
  Site owner = openSite("owner");
  Site c1 = openSite("c1");
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
  Site owner = openSite("owner");
  Site c1 = openSite("c1");
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
  Site owner = openSite("owner");
  Value value;
  Status s = owner->get("no_such_table", Key::of("x"), &value);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("no_such_table"), std::string::npos);
}

TEST_F(OwnershipGroupTest, StatusReportsRolesMasterAndPeers) {
  Site owner = openSite("owner");
  Site c1 = openSite("c1");
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
  // The owner knows what each replica has on its disk.
  bool sawC1 = false;
  for (const PeerLink& peer : master.peers) {
    if (peer.site != "c1") continue;
    sawC1 = true;
    EXPECT_TRUE(peer.connected);
    EXPECT_EQ(peer.acknowledged.packed(), sequence);
    EXPECT_EQ(peer.commitsBehind, 0u);
  }
  EXPECT_TRUE(sawC1);
}

TEST_F(OwnershipGroupTest, HashedTableAnswersPointReadsAndWholeScans) {
  Site owner = openSite("owner");
  Site c1 = openSite("c1");
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(owner->write([&](WriteTxn& txn) {
      capnp::MallocMessageBuilder message;
      message.initRoot<idl::Route>().setOrderId("o" + std::to_string(i));
      return txn.put("routes", Key::of("o" + std::to_string(i)), message);
    }));
  }
  ASSERT_TRUE(c1->waitForCommit(owner->commitPosition().sequence, 10s));
  Value value;
  ASSERT_OK(c1->get("routes", Key::of("o3"), &value));
  EXPECT_EQ(std::string(value.as<idl::Route>().getOrderId().cStr()), "o3");
  int visited = 0;
  ASSERT_OK(c1->scan("routes", "", [&](std::string_view, const Value&) { return ++visited; }));
  EXPECT_EQ(visited, 5);
  Status s = c1->scan("routes", "o2", [&](std::string_view, const Value&) { return true; });
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.toString();
}

TEST_F(OwnershipGroupTest, SequencesNeverRepeatAcrossARestart) {
  std::vector<uint64_t> drawn;
  auto draw = [&](OwnershipGroup& group, int count) {
    for (int i = 0; i < count; ++i) {
      ASSERT_OK(group.write([&](WriteTxn& txn) {
        uint64_t sequence = 0;
        Status s = txn.nextSequence(&sequence);
        if (s.isOk()) drawn.push_back(sequence);
        return s;
      }));
    }
  };
  {
    Site owner = openSite("owner");
    Site c1 = openSite("c1");
    ASSERT_TRUE(owner->waitForReplicas(1, 20s));
    draw(*owner, 3);
    EXPECT_EQ(owner->lastSequence(), drawn.back());
    // A replica draws nothing: Berkeley DB's role decides.
    Status s = c1->write([](WriteTxn& txn) {
      uint64_t sequence = 0;
      return txn.nextSequence(&sequence);
    });
    EXPECT_EQ(s.code(), Status::Code::kNotOwner) << s.toString();
  }
  Site owner = openSite("owner");
  Site c1 = openSite("c1");
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  draw(*owner, 2);
  ASSERT_EQ(drawn.size(), 5u);
  for (size_t i = 1; i < drawn.size(); ++i) EXPECT_GT(drawn[i], drawn[i - 1]);
}

TEST_F(OwnershipGroupTest, AReplicaBehindTheArchivedLogsIsReinitialised) {
  auto smallLogs = [](GroupOptions& options) { options.logFileBytes = 64 * 1024; };
  Site owner = openSite("owner", smallLogs);
  Site c1 = openSite("c1", smallLogs);
  ASSERT_TRUE(owner->waitForReplicas(1, 20s));
  // Enough to fill several log files, then archive all but the last.
  for (int i = 0; i < 300; ++i) {
    ASSERT_OK(putOrder(*owner, "bulk-" + std::to_string(i), i));
  }
  ASSERT_OK(owner->checkpointAndArchive());
  ASSERT_OK(owner->checkpointAndArchive());
  // c2 has never seen the group: its first log file is gone at the owner.
  Site c2 = openSite("c2", smallLogs);
  ASSERT_TRUE(eventuallyReads(*c2, "bulk-0", 30s));
  ASSERT_TRUE(eventuallyReads(*c2, "bulk-299", 30s));
  ASSERT_OK(putOrder(*owner, "after", 1));
  ASSERT_TRUE(eventuallyReads(*c2, "after"));
}

}  // namespace
}  // namespace triad::bdb
