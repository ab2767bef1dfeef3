// The replication transport between real sites on 127.0.0.1, with mutual
// TLS: messages tagged with their group reach the right group from the
// right (authenticated) site, bufferable messages wait for a permanent one,
// strangers and impostors are refused, and a lost peer is noticed.

#include "bdb/replication_transport.h"

#include <db.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <capnp/message.h>
#include <capnp/serialize-async.h>
#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include "bdb/test_sites.h"
#include "idl/replication.capnp.h"

namespace triad::bdb {
namespace {

using namespace std::chrono_literals;

// Records what a group is handed.
class Recorder : public ReplicationEndpoint {
 public:
  struct Seen {
    InboundMessage::Kind kind;
    int fromEid;
    std::string control;
    std::string record;
  };

  void deliver(std::span<const InboundMessage> messages) override {
    std::lock_guard lock(mutex_);
    for (const InboundMessage& m : messages) {
      seen_.push_back({m.kind, m.fromEid, std::string(m.control), std::string(m.record)});
    }
    deliveries_++;
    changed_.notify_all();
  }
  void acknowledged(int fromEid, Lsn lsn) override {
    std::lock_guard lock(mutex_);
    acks_.emplace_back(fromEid, lsn);
    changed_.notify_all();
  }

  // Waits until `count` Berkeley DB messages have arrived; returns them.
  std::vector<Seen> messages(size_t count, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return berkeleyDb().size() >= count; });
    return berkeleyDb();
  }
  std::vector<std::pair<int, Lsn>> acks(size_t count, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return acks_.size() >= count; });
    return acks_;
  }
  bool sawPeer(InboundMessage::Kind kind, int eid, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      for (const Seen& s : seen_) {
        if (s.kind == kind && s.fromEid == eid) return true;
      }
      return false;
    });
  }

 private:
  std::vector<Seen> berkeleyDb() const {
    std::vector<Seen> out;
    for (const Seen& s : seen_) {
      if (s.kind == InboundMessage::Kind::kBerkeleyDb) out.push_back(s);
    }
    return out;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Seen> seen_;
  std::vector<std::pair<int, Lsn>> acks_;
  int deliveries_ = 0;
};

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class ReplicationTransportTest : public ::testing::Test {
 protected:
  testing::TestSites sites_{{"cf1", "ss1", "firm"}};
};

TEST_F(ReplicationTransportTest, MessagesReachTheirGroupFromTheirOwner) {
  auto cf1 = sites_.open("cf1");
  auto ss1 = sites_.open("ss1");
  Recorder cf1AtSs1, ss1AtSs1, cf1AtCf1;
  ss1->attach(0, &cf1AtSs1);  // ss1's replica of cf1's group
  ss1->attach(1, &ss1AtSs1);  // ss1's own group
  cf1->attach(0, &cf1AtCf1);  // cf1's own group
  ASSERT_TRUE(eventually([&] { return cf1->connected(1) && ss1->connected(0); }));

  // The owner broadcasts in its group: the replica's copy of that group gets it.
  EXPECT_EQ(cf1->send(0, DB_EID_BROADCAST, "control", "record", DB_REP_PERMANENT), 0);
  auto seen = cf1AtSs1.messages(1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].fromEid, 0);
  EXPECT_EQ(seen[0].control, "control");
  EXPECT_EQ(seen[0].record, "record");

  // The replica answers in cf1's group (whatever Berkeley DB addresses): it
  // goes to cf1, the owner, and its acknowledgement too.
  EXPECT_EQ(ss1->send(0, DB_EID_BROADCAST, "request", "", DB_REP_NOBUFFER), 0);
  seen = cf1AtCf1.messages(1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].fromEid, 1);
  EXPECT_EQ(seen[0].control, "request");
  EXPECT_TRUE(seen[0].record.empty());
  ss1->sendAck(0, {3, 4096});
  auto acks = cf1AtCf1.acks(1);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].first, 1);
  EXPECT_EQ(acks[0].second, (Lsn{3, 4096}));

  EXPECT_TRUE(ss1AtSs1.messages(0, 0ms).empty());  // nothing of ss1's own group
  cf1->detach(0);
  ss1->detach(0);
  ss1->detach(1);
}

TEST_F(ReplicationTransportTest, BufferedMessagesLeaveWithTheNextPermanentOne) {
  auto cf1 = sites_.open("cf1");
  auto ss1 = sites_.open("ss1");
  Recorder replica;
  ss1->attach(0, &replica);
  ASSERT_TRUE(eventually([&] { return cf1->connected(1) && ss1->connected(0); }));
  // Heartbeats are batches too: settle, then count the batches a
  // transaction's records make.
  auto batchesTo = [&] { return cf1->peers()[0].batchesSent; };
  const uint64_t before = batchesTo();
  for (int i = 0; i < 9; ++i) {
    cf1->send(0, DB_EID_BROADCAST, "log", std::to_string(i), 0);
  }
  cf1->send(0, DB_EID_BROADCAST, "log", "commit", DB_REP_PERMANENT);
  auto seen = replica.messages(10);
  ASSERT_EQ(seen.size(), 10u);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(seen[i].record, std::to_string(i));
  EXPECT_EQ(seen[9].record, "commit");
  // One write for the transaction (a heartbeat may have slipped in).
  EXPECT_LE(batchesTo() - before, 2u);

  // A bufferable message with nothing after it still leaves, within its bound.
  const auto sent = std::chrono::steady_clock::now();
  cf1->send(0, DB_EID_BROADCAST, "log", "alone", 0);
  seen = replica.messages(11);
  ASSERT_EQ(seen.size(), 11u);
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 500ms);
  ss1->detach(0);
}

TEST_F(ReplicationTransportTest, ASiteThatIsNotTheOwnerCannotSpeakForItsGroup) {
  auto ss1 = sites_.open("ss1");
  Recorder firmAtSs1;
  ss1->attach(2, &firmAtSs1);
  // cf1, a genuine site with its own certificate, dials ss1 by hand and
  // sends a message tagged with the firm's group, as if it were the firm.
  const TransportCredentials cf1 = sites_.credentials("cf1");
  auto io = kj::setupAsyncIo();
  kj::TlsCertificate authority(cf1.certificateAuthority);
  kj::TlsKeypair keypair{kj::TlsPrivateKey(cf1.privateKey), kj::TlsCertificate(cf1.certificate)};
  kj::TlsContext::Options options;
  options.useSystemTrustStore = false;
  options.trustedCertificates = kj::arrayPtr(&authority, 1);
  options.defaultKeypair = keypair;
  kj::TlsContext tls(kj::mv(options));
  auto address = io.provider->getNetwork()
                     .parseAddress("127.0.0.1", sites_.sites()[1].port)
                     .wait(io.waitScope);
  auto stream = tls.wrapClient(address->connect().wait(io.waitScope), "ss1").wait(io.waitScope);
  capnp::MallocMessageBuilder builder;
  auto message = builder.initRoot<idl::ReplicationBatch>().initMessages(1)[0];
  message.setGroup(2);
  message.initBerkeleyDb().setControl(kj::heapArray<kj::byte>(8));
  capnp::writeMessage(*stream, builder).wait(io.waitScope);
  ASSERT_TRUE(eventually([&] { return ss1->counters().refusedMessages > 0; }));
  EXPECT_TRUE(ss1->connected(0));  // the connection itself is genuine
  EXPECT_TRUE(firmAtSs1.messages(1, 0ms).empty());
  ss1->detach(2);
}

TEST_F(ReplicationTransportTest, AHostThatIsNotInTheTopologyIsRefused) {
  auto ss1 = sites_.open("ss1");
  Recorder cf1AtSs1;
  ss1->attach(0, &cf1AtSs1);
  // A stranger with a certificate from a CA of its own, naming itself cf1
  // (the lowest id, so it dials ss1): ss1 does not trust its issuer.
  testing::TestSites elsewhere({"cf1", "ss1", "firm"});
  TransportOptions stranger = sites_.options("cf1");
  stranger.tls = elsewhere.credentials("cf1");
  auto impostor = testing::TestSites::open(stranger);
  ASSERT_TRUE(eventually([&] { return ss1->counters().refusedConnections > 0; }));
  impostor->send(0, DB_EID_BROADCAST, "forged", "", DB_REP_PERMANENT);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(cf1AtSs1.messages(1, 0ms).empty());
  EXPECT_FALSE(ss1->connected(0));
  ss1->detach(0);
}

TEST_F(ReplicationTransportTest, ATopologySiteCannotPoseAsAnother) {
  auto firm = sites_.open("firm");
  Recorder cf1AtFirm;
  firm->attach(0, &cf1AtFirm);
  // ss1, with its own certificate, runs as cf1 (the owner of group 0) and
  // dials the firm: its certificate makes it ss1 there, and ss1 does not own
  // group 0.
  TransportOptions posing = sites_.options("cf1");
  posing.tls = sites_.credentials("ss1");
  auto impostor = testing::TestSites::open(posing);
  ASSERT_TRUE(eventually([&] {
    impostor->send(0, DB_EID_BROADCAST, "forged", "", DB_REP_PERMANENT);
    return firm->counters().refusedMessages > 0;
  }));
  EXPECT_TRUE(firm->connected(1));  // as ss1
  EXPECT_FALSE(firm->connected(0));
  EXPECT_TRUE(cf1AtFirm.messages(1, 0ms).empty());
  firm->detach(0);
}

TEST_F(ReplicationTransportTest, ALostPeerIsNoticedAndItsReturnToo) {
  auto cf1 = sites_.open("cf1");
  Recorder cf1Group;
  cf1->attach(0, &cf1Group);
  auto ss1 = sites_.open("ss1");
  ASSERT_TRUE(cf1Group.sawPeer(InboundMessage::Kind::kPeerUp, 1));
  ss1.reset();
  ASSERT_TRUE(cf1Group.sawPeer(InboundMessage::Kind::kPeerDown, 1));
  EXPECT_FALSE(cf1->connected(1));
  // Messages for a peer that is down are dropped, not queued without end.
  EXPECT_NE(cf1->send(0, 1, "lost", "", DB_REP_NOBUFFER), 0);
  ss1 = sites_.open("ss1");
  ASSERT_TRUE(eventually([&] { return cf1->connected(1); }));
  cf1->detach(0);
}

}  // namespace
}  // namespace triad::bdb
