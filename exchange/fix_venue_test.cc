// triad-exchanged as a process, with QuickFIX initiators in the test playing
// the street utilities ss1 and ss2: orders fill against the liquidity
// provider, cancels are confirmed or refused, bad and duplicate orders are
// rejected, market data flows, DAY orders expire, and a street utility that
// crashes and comes back with its persistent store gets every report exactly
// once. Status requests are answered; each venue mode (--only-limit-day,
// --no-cancel, --no-status-requests, --ignore-poss-resend,
// --exec-ids-restart, --no-market-data) shows what it changes on the wire.
// Every test runs against a FIX.4.4 venue (xnys) and a FIX.4.2 one (xlon).
//
// Addresses are on the firm-side loopback range, ports are picked free, every
// wait has a deadline, and ChildProcess kills and reaps the daemon even when
// an assertion fails.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "exchange/fix_test_client.h"
#include "tests/support/child_process.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"

namespace triad::exchange {
namespace {

using namespace std::chrono_literals;
using triad::testing::ChildProcess;

constexpr std::chrono::milliseconds kTimeout = 15s;
constexpr int64_t kDollar = 1'000'000;
constexpr int64_t kCent = 10'000;
constexpr int64_t kAcme = 100 * kDollar;  // ACME's reference price; the provider quotes ±1..3 cents

// Addresses of one test's deployment, spread by pid so that concurrent runs
// of this test do not compete for the same address and port.
struct Deployment {
  Deployment() {
    const std::string subnet = std::to_string(getpid() % 250 + 1);
    const std::string firmSide = "127.2." + subnet + ".";
    customerAddress = "127.1." + subnet + ".1";
    cf1Address = firmSide + "1";
    ss1Address = firmSide + "21";
    ss2Address = firmSide + "22";
    firmAddress = firmSide + "10";
    busAddress = firmSide + "250";
    customerBusAddress = "127.1." + subnet + ".250";
    exchangeAddress["xnys"] = firmSide + "41";
    exchangeAddress["xlon"] = firmSide + "42";
    for (const auto& [id, address] : exchangeAddress) fixPort[id] = port(address);
  }

  // A free port on `address` that this deployment does not use yet.
  uint16_t port(const std::string& address) {
    for (;;) {
      const uint16_t candidate = testing::freePort(address);
      if (used.insert(address + ":" + std::to_string(candidate)).second) return candidate;
    }
  }

  // `count` consecutive free ports: a utility's replication base (one per group).
  uint16_t range(const std::string& address, int count) {
    const uint16_t first = testing::freePortRange(address, count);
    for (int i = 0; i < count; ++i) used.insert(address + ":" + std::to_string(first + i));
    return first;
  }

  std::string utility(const std::string& id, const std::string& role, int groupIndex,
                      const std::string& address, const std::string& extra) {
    std::ostringstream out;
    out << "\n[" << id << "]\nrole = " << role << "\ngroup-index = " << groupIndex << "\n"
        << extra << "firm-address = " << address << "\n"
        << "admin-port = " << port(address) << "\n"
        << "replication-port = " << range(address, kUtilities) << "\n";
    return out.str();
  }

  std::string topology() {
    std::ostringstream out;
    out << "[network]\ncustomer-facing = 127.1.0.0/16\nfirm-side = 127.2.0.0/16\n";
    out << utility("cf1", "customer", 0, cf1Address,
                   "customer-address = " + customerAddress +
                       "\ngateway-port = " + std::to_string(port(customerAddress)) + "\n");
    out << utility("ss1", "street", 1, ss1Address, "venue = xnys\nvenue = xlon\n");
    out << utility("ss2", "street", 2, ss2Address, "venue = xnys\nvenue = xlon\n");
    out << utility("firm", "firm", 3, firmAddress, "");
    out << "\n[bus-customer]\nrole = broker\nbus = customer\n"
        << "address = " << customerBusAddress << "\n"
        << "publish-port = " << port(customerBusAddress) << "\n"
        << "subscribe-port = " << port(customerBusAddress) << "\n"
        << "firm-address = " << busAddress << "\n"
        << "admin-port = " << port(busAddress) << "\n";
    out << "\n[bus-firm]\nrole = broker\nbus = firm\n"
        << "address = " << busAddress << "\n"
        << "publish-port = " << port(busAddress) << "\n"
        << "subscribe-port = " << port(busAddress) << "\n"
        << "firm-address = " << busAddress << "\n"
        << "admin-port = " << port(busAddress) << "\n";
    for (const auto& [id, version] : {std::pair{"xnys", "FIX.4.4"}, std::pair{"xlon", "FIX.4.2"}}) {
      out << "\n[" << id << "]\nrole = exchange\nfirm-address = " << exchangeAddress[id] << "\n"
          << "fix-port = " << fixPort[id] << "\nfix-version = " << version << "\n";
    }
    return out.str();
  }

  static constexpr int kUtilities = 4;
  std::string customerAddress, cf1Address, ss1Address, ss2Address, firmAddress, busAddress,
      customerBusAddress;
  std::map<std::string, std::string> exchangeAddress;
  std::map<std::string, uint16_t> fixPort;
  std::set<std::string> used;  // "address:port" already given out
};

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// True if something accepts TCP connections on address:port.
bool listening(const std::string& address, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &peer.sin_addr);
  const bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) == 0;
  ::close(fd);
  return connected;
}

NewOrderMessage limitOrder(std::string clOrdId, char side, int64_t priceMicros, int64_t quantity,
                           char timeInForce = '0') {
  NewOrderMessage order;
  order.clOrdId = std::move(clOrdId);
  order.symbol = "ACME";
  order.side = side;
  order.ordType = '2';
  order.timeInForce = timeInForce;
  order.priceMicros = priceMicros;
  order.quantity = quantity;
  return order;
}

CancelRequestMessage cancelOf(std::string clOrdId, std::string origClOrdId) {
  CancelRequestMessage request;
  request.clOrdId = std::move(clOrdId);
  request.origClOrdId = std::move(origClOrdId);
  request.symbol = "ACME";
  request.side = '1';
  return request;
}

std::function<bool(const ReceivedMessage&)> reportOf(std::string clOrdId, ExecutionKind kind) {
  return [clOrdId, kind](const ReceivedMessage& message) {
    return message.msgType == "8" && message.report.clOrdId == clOrdId &&
           message.report.kind == kind;
  };
}

std::function<bool(const ReceivedMessage&)> cancelRejectOf(std::string clOrdId) {
  return [clOrdId](const ReceivedMessage& message) {
    return message.msgType == "9" && message.cancelReject.clOrdId == clOrdId;
  };
}

std::function<bool(const ReceivedMessage&)> marketDataOf(std::string symbol,
                                                         MarketDataEntryType type) {
  return [symbol, type](const ReceivedMessage& message) {
    return message.msgType == "X" && message.marketData.symbol == symbol &&
           message.marketData.type == type;
  };
}

std::function<bool(const ReceivedMessage&)> statusOf(std::string clOrdId) {
  return [clOrdId](const ReceivedMessage& message) {
    return message.msgType == "8" && message.isStatus && message.status.clOrdId == clOrdId;
  };
}

std::function<bool(const ReceivedMessage&)> sessionRejectOf(int refSeqNum) {
  return [refSeqNum](const ReceivedMessage& message) {
    return message.msgType == "3" && message.sessionReject.refSeqNum == refSeqNum;
  };
}

std::function<bool(const ReceivedMessage&)> businessRejectOf(std::string refId) {
  return [refId](const ReceivedMessage& message) {
    return message.msgType == "j" && message.businessReject.refId == refId;
  };
}

StatusRequestMessage statusRequestOf(std::string clOrdId) {
  StatusRequestMessage request;
  request.clOrdId = std::move(clOrdId);
  request.symbol = "ACME";
  request.side = '1';
  return request;
}

size_t countMessages(const FixTestClient& client,
                     const std::function<bool(const ReceivedMessage&)>& match) {
  size_t count = 0;
  for (const ReceivedMessage& message : client.received()) count += match(message) ? 1 : 0;
  return count;
}

size_t countReports(const FixTestClient& client, const std::string& clOrdId) {
  size_t count = 0;
  for (const ReceivedMessage& message : client.received()) {
    if (message.msgType == "8" && message.report.clOrdId == clOrdId) ++count;
  }
  return count;
}

std::string transcript(const FixTestClient& client) {
  std::string text;
  for (const ReceivedMessage& message : client.received()) text += message.text + "\n";
  return text;
}

// The parameter is the exchange's id: xnys speaks FIX.4.4, xlon FIX.4.2.
class FixVenueTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::ofstream(directory_ / "topology.conf") << deployment_.topology();
    std::ofstream(directory_ / "symbols.conf") << "# reference prices\n"
                                               << "symbol = ACME 100.00 0.01 3 100\n"
                                               << "symbol = MEME 20.00\n";
    startExchange();
  }

  void TearDown() override {
    clients_.clear();
    if (exchange_ && exchange_->running()) {
      exchange_->kill(SIGTERM);
      EXPECT_EQ(exchange_->wait(kTimeout), 0) << stderrText();
    }
  }

  std::string id() const { return GetParam(); }
  std::string version() const { return id() == "xnys" ? "FIX.4.4" : "FIX.4.2"; }
  std::string address() { return deployment_.exchangeAddress[id()]; }
  uint16_t port() { return deployment_.fixPort[id()]; }
  std::string stderrText() const { return readFile(directory_ / "exchanged.stderr"); }

  // `modes`: venue modes, e.g. "--no-cancel"; none is the simulator's default.
  void startExchange(const std::vector<std::string>& modes = {}) {
    std::vector<std::string> arguments{"--topology", (directory_ / "topology.conf").string(),
                                       "--id",       id(),
                                       "--data",     (directory_ / "exchange").string(),
                                       "--symbols",  (directory_ / "symbols.conf").string()};
    arguments.insert(arguments.end(), modes.begin(), modes.end());
    exchange_ =
        std::make_unique<ChildProcess>(testing::builtProgram("exchange/triad-exchanged"), arguments,
                                       (directory_ / "exchanged.stderr").string());
    const std::optional<std::string> line = exchange_->readLine(kTimeout);
    ASSERT_TRUE(line) << stderrText();
    EXPECT_EQ(*line, "triad-exchanged id=" + id() + " fix=" + version() + " listen=" + address() +
                         ":" + std::to_string(port()));
  }

  // Stops the venue as its operators would (SIGTERM) and starts it again
  // with `modes`, on the same data folder: same FIX stores, new run.
  void restartExchange(const std::vector<std::string>& modes) {
    exchange_->kill(SIGTERM);
    ASSERT_EQ(exchange_->wait(kTimeout), 0) << stderrText();
    startExchange(modes);
  }

  // A street utility's initiator, logged on; its store survives it, so a
  // second connect() for the same street resumes the session.
  FixTestClient& connect(const std::string& street) {
    std::string error;
    std::unique_ptr<FixTestClient> client =
        FixTestClient::start({.beginString = version(),
                              .senderCompId = street,
                              .targetCompId = id(),
                              .host = address(),
                              .port = port(),
                              .storeDirectory = (directory_ / (street + "-store")).string(),
                              .logDirectory = (directory_ / (street + "-log")).string()},
                             error);
    if (!client) throw std::runtime_error("QuickFIX refused the initiator: " + error);
    EXPECT_TRUE(client->waitForLogon(kTimeout)) << stderrText();
    clients_.push_back(std::move(client));
    return *clients_.back();
  }

  ExecutionReportMessage awaitReport(FixTestClient& client, const std::string& clOrdId,
                                     ExecutionKind kind) {
    ReceivedMessage found;
    EXPECT_TRUE(client.waitFor(reportOf(clOrdId, kind), kTimeout, &found))
        << "no report for " << clOrdId << "; received:\n"
        << transcript(client);
    return found.report;
  }

  CancelRejectMessage awaitCancelReject(FixTestClient& client, const std::string& clOrdId) {
    ReceivedMessage found;
    EXPECT_TRUE(client.waitFor(cancelRejectOf(clOrdId), kTimeout, &found))
        << "no cancel reject for " << clOrdId << "; received:\n"
        << transcript(client);
    return found.cancelReject;
  }

  // Messages of one session are handled in order: once the venue has
  // answered this (refused) cancel, it has answered everything sent before.
  // (Under --no-cancel the answer is a BusinessMessageReject.)
  void awaitEverythingSentSoFar(FixTestClient& client) {
    const std::string sentinel = "SENTINEL-" + std::to_string(++sentinels_);
    ASSERT_TRUE(client.send(cancelOf(sentinel, "NO-SUCH-ORDER")));
    const auto rejected = cancelRejectOf(sentinel);
    const auto unsupported = businessRejectOf(sentinel);
    EXPECT_TRUE(client.waitFor(
        [&](const ReceivedMessage& message) { return rejected(message) || unsupported(message); },
        kTimeout))
        << "no answer to " << sentinel << "; received:\n"
        << transcript(client);
  }

  testing::TempDir directory_;
  Deployment deployment_;
  std::unique_ptr<ChildProcess> exchange_;
  std::vector<std::unique_ptr<FixTestClient>> clients_;
  int sentinels_ = 0;
};

TEST_P(FixVenueTest, MarketableLimitBuyFillsAgainstTheLiquidityProvider) {
  FixTestClient& ss1 = connect("ss1");
  ASSERT_TRUE(ss1.send(limitOrder("B1", '1', kAcme + kCent, 50)));

  const ExecutionReportMessage accepted = awaitReport(ss1, "B1", ExecutionKind::kNew);
  EXPECT_EQ(accepted.leavesQuantity, 50);
  EXPECT_EQ(accepted.symbol, "ACME");
  EXPECT_NE(accepted.orderId, "NONE");
  const ExecutionReportMessage filled = awaitReport(ss1, "B1", ExecutionKind::kFill);
  EXPECT_EQ(filled.orderId, accepted.orderId);
  EXPECT_EQ(filled.lastQuantity, 50);
  EXPECT_EQ(filled.lastPriceMicros, kAcme + kCent);
  EXPECT_EQ(filled.cumulativeQuantity, 50);
  EXPECT_EQ(filled.leavesQuantity, 0);
  EXPECT_EQ(filled.averagePriceMicros, kAcme + kCent);
  EXPECT_NE(filled.execId, accepted.execId);
  EXPECT_EQ(filled.execId.rfind(id() + "-1-", 0), 0u) << filled.execId;

  // The trade is published, and the offer it took from.
  ReceivedMessage trade;
  EXPECT_TRUE(ss1.waitFor(marketDataOf("ACME", MarketDataEntryType::kTrade), kTimeout, &trade))
      << transcript(ss1);
  EXPECT_EQ(trade.marketData.priceMicros, kAcme + kCent);
  EXPECT_EQ(trade.marketData.quantity, 50);
  ReceivedMessage offer;
  EXPECT_TRUE(ss1.waitFor(
      [](const ReceivedMessage& message) {
        return marketDataOf("ACME", MarketDataEntryType::kOffer)(message) &&
               message.marketData.quantity == 50;
      },
      kTimeout, &offer))
      << transcript(ss1);
  EXPECT_EQ(offer.marketData.priceMicros, kAcme + kCent);
  EXPECT_TRUE(offer.marketData.present);
}

TEST_P(FixVenueTest, ALogonIsSentEveryBook) {
  FixTestClient& ss2 = connect("ss2");
  ReceivedMessage bid, offer;
  EXPECT_TRUE(ss2.waitFor(marketDataOf("MEME", MarketDataEntryType::kBid), kTimeout, &bid))
      << transcript(ss2);
  EXPECT_TRUE(ss2.waitFor(marketDataOf("MEME", MarketDataEntryType::kOffer), kTimeout, &offer))
      << transcript(ss2);
  EXPECT_EQ(bid.marketData.priceMicros, 20 * kDollar - kCent);
  EXPECT_EQ(bid.marketData.quantity, 500);
  EXPECT_EQ(offer.marketData.priceMicros, 20 * kDollar + kCent);
}

TEST_P(FixVenueTest, ARestingOrderIsCancelledOnRequest) {
  FixTestClient& ss1 = connect("ss1");
  ASSERT_TRUE(ss1.send(limitOrder("R1", '1', 99 * kDollar, 10)));
  const ExecutionReportMessage accepted = awaitReport(ss1, "R1", ExecutionKind::kNew);
  ASSERT_TRUE(ss1.send(cancelOf("C1", "R1")));
  const ExecutionReportMessage cancelled = awaitReport(ss1, "C1", ExecutionKind::kCancelled);
  EXPECT_EQ(cancelled.origClOrdId, "R1");
  EXPECT_EQ(cancelled.orderId, accepted.orderId);
  EXPECT_EQ(cancelled.leavesQuantity, 0);
  EXPECT_EQ(cancelled.cumulativeQuantity, 0);
}

TEST_P(FixVenueTest, CancellingAnUnknownOrderIsRejected) {
  FixTestClient& ss1 = connect("ss1");
  ASSERT_TRUE(ss1.send(cancelOf("C1", "NEVER-SENT")));
  const CancelRejectMessage reject = awaitCancelReject(ss1, "C1");
  EXPECT_EQ(reject.reason, CancelRejectReason::kUnknownOrder);
  EXPECT_EQ(reject.origClOrdId, "NEVER-SENT");
  EXPECT_EQ(reject.orderId, "NONE");
  EXPECT_NE(reject.text.find("unknown order"), std::string::npos) << reject.text;
}

TEST_P(FixVenueTest, AZeroQuantityOrderIsRejectedWithAReason) {
  FixTestClient& ss1 = connect("ss1");
  ASSERT_TRUE(ss1.send(limitOrder("Z1", '1', kAcme, 0)));
  const ExecutionReportMessage rejected = awaitReport(ss1, "Z1", ExecutionKind::kRejected);
  EXPECT_EQ(rejected.text, "order quantity must be at least one share");
  EXPECT_EQ(rejected.orderId, "NONE");
  EXPECT_EQ(rejected.ordRejReason, 0);

  NewOrderMessage unknown = limitOrder("U1", '1', kAcme, 10);
  unknown.symbol = "NOPE";
  ASSERT_TRUE(ss1.send(unknown));
  const ExecutionReportMessage refused = awaitReport(ss1, "U1", ExecutionKind::kRejected);
  EXPECT_EQ(refused.ordRejReason, 1);
  EXPECT_EQ(refused.text, "symbol is not traded on this exchange");
}

TEST_P(FixVenueTest, ADuplicateClOrdIdIsRejectedAndAResendIsIgnored) {
  FixTestClient& ss1 = connect("ss1");
  ASSERT_TRUE(ss1.send(limitOrder("D1", '1', kAcme, 10)));
  awaitReport(ss1, "D1", ExecutionKind::kNew);

  ASSERT_TRUE(ss1.send(limitOrder("D1", '1', kAcme, 10)));
  const ExecutionReportMessage rejected = awaitReport(ss1, "D1", ExecutionKind::kRejected);
  EXPECT_EQ(rejected.ordRejReason, 6);
  EXPECT_NE(rejected.text.find("duplicate ClOrdID"), std::string::npos) << rejected.text;

  // A session-level resend (PossDupFlag=Y) and an application resend
  // (PossResend=Y) of an order the venue has seen create nothing; the
  // latter is answered with the order's status (ExecType I), which is not
  // an execution.
  ASSERT_TRUE(ss1.send(limitOrder("D1", '1', kAcme, 10), /*markPossDup=*/true));
  NewOrderMessage possResend = limitOrder("D1", '1', kAcme, 10);
  possResend.possResend = true;
  ASSERT_TRUE(ss1.send(possResend));
  awaitEverythingSentSoFar(ss1);
  EXPECT_EQ(countReports(ss1, "D1"), 2u) << transcript(ss1);
  EXPECT_EQ(countMessages(ss1, statusOf("D1")), 1u) << transcript(ss1);

  // One order of 10 at 100.00 is the best bid, not two.
  ASSERT_TRUE(ss1.send(limitOrder("S1", '2', kAcme, 15)));
  const ExecutionReportMessage sold = awaitReport(ss1, "S1", ExecutionKind::kPartialFill);
  EXPECT_EQ(sold.lastQuantity, 10);
  EXPECT_EQ(sold.leavesQuantity, 5);
  awaitReport(ss1, "D1", ExecutionKind::kFill);
}

TEST_P(FixVenueTest, ReportsReachAStreetUtilityThatWasDownExactlyOnce) {
  {
    FixTestClient& ss1 = connect("ss1");
    ASSERT_TRUE(ss1.send(limitOrder("P1", '1', kAcme, 10)));
    awaitReport(ss1, "P1", ExecutionKind::kNew);
    ss1.crash();  // no Logout: the venue only sees the connection drop
  }
  clients_.clear();

  // While ss1 is away, ss2 trades with ss1's resting order.
  FixTestClient& ss2 = connect("ss2");
  ASSERT_TRUE(ss2.send(limitOrder("S1", '2', kAcme, 10)));
  awaitReport(ss2, "S1", ExecutionKind::kFill);

  // ss1 comes back with its persistent store: the venue resends the fill it
  // missed, once, and nothing it already had.
  FixTestClient& again = connect("ss1");
  const ExecutionReportMessage fill = awaitReport(again, "P1", ExecutionKind::kFill);
  EXPECT_EQ(fill.lastQuantity, 10);
  EXPECT_EQ(fill.lastPriceMicros, kAcme);

  // Nor does a resend of the order from ss1's side create a second one.
  ASSERT_TRUE(again.send(limitOrder("P1", '1', kAcme, 10), /*markPossDup=*/true));
  awaitEverythingSentSoFar(again);
  EXPECT_EQ(countReports(again, "P1"), 1u) << transcript(again);
  for (const ReceivedMessage& message : again.received()) {
    if (message.msgType == "8" && message.report.clOrdId == "P1") {
      EXPECT_TRUE(message.possDup) << message.text;
    }
  }

  // The session carries on where it was: a new order works.
  ASSERT_TRUE(again.send(limitOrder("P2", '1', 99 * kDollar, 10)));
  awaitReport(again, "P2", ExecutionKind::kNew);
}

TEST_P(FixVenueTest, AnOrderSentWhileDisconnectedIsDeliveredOnce) {
  {
    FixTestClient& ss1 = connect("ss1");
    ss1.crash();
  }
  clients_.clear();
  // Not logged on: QuickFIX keeps it in ss1's store; the venue asks for it
  // (ResendRequest) when ss1 logs on again and gets it with PossDupFlag=Y.
  {
    std::string error;
    std::unique_ptr<FixTestClient> offline =
        FixTestClient::start({.beginString = version(),
                              .senderCompId = "ss1",
                              .targetCompId = id(),
                              .host = "127.0.0.1",  // nothing listens here: it stays disconnected
                              .port = port(),
                              .storeDirectory = (directory_ / "ss1-store").string(),
                              .logDirectory = (directory_ / "ss1-log").string()},
                             error);
    ASSERT_TRUE(offline) << error;
    ASSERT_TRUE(offline->send(limitOrder("Q1", '1', 99 * kDollar, 10)));
    offline->crash();
  }
  FixTestClient& ss1 = connect("ss1");
  awaitReport(ss1, "Q1", ExecutionKind::kNew);
  awaitEverythingSentSoFar(ss1);
  EXPECT_EQ(countReports(ss1, "Q1"), 1u) << transcript(ss1);
}

TEST_P(FixVenueTest, DayOrdersExpireAtTheEndOfTheDay) {
  FixTestClient& ss1 = connect("ss1");
  ASSERT_TRUE(ss1.send(limitOrder("DAY1", '1', 99 * kDollar, 10, '0')));
  ASSERT_TRUE(ss1.send(limitOrder("GTC1", '1', 98 * kDollar, 10, '1')));
  awaitReport(ss1, "GTC1", ExecutionKind::kNew);

  exchange_->kill(SIGUSR1);  // what --day-end does daily
  const std::optional<std::string> line = exchange_->readLine(kTimeout);
  ASSERT_TRUE(line) << stderrText();
  EXPECT_EQ(*line, "triad-exchanged id=" + id() + " day-ended");
  const ExecutionReportMessage expired = awaitReport(ss1, "DAY1", ExecutionKind::kExpired);
  EXPECT_EQ(expired.leavesQuantity, 0);
  awaitEverythingSentSoFar(ss1);
  EXPECT_EQ(countReports(ss1, "GTC1"), 1u) << transcript(ss1);
}

TEST_P(FixVenueTest, ListensOnlyOnItsFirmSideAddressAndStopsOnSigterm) {
  EXPECT_TRUE(listening(address(), port()));
  EXPECT_FALSE(listening("127.0.0.1", port()));
  FixTestClient& ss1 = connect("ss1");
  (void)ss1;

  exchange_->kill(SIGTERM);
  EXPECT_EQ(exchange_->wait(kTimeout), 0) << stderrText();
  const std::optional<std::string> stopped = exchange_->readLine(kTimeout);
  ASSERT_TRUE(stopped);
  EXPECT_EQ(*stopped, "triad-exchanged id=" + id() + " stopped signal=SIGTERM");
  EXPECT_FALSE(listening(address(), port()));
}

TEST_P(FixVenueTest, RefusesAnExchangeTheTopologyDoesNotName) {
  ChildProcess other(testing::builtProgram("exchange/triad-exchanged"),
                     {"--topology", (directory_ / "topology.conf").string(), "--id", "xpar",
                      "--data", (directory_ / "other").string()},
                     (directory_ / "other.stderr").string());
  EXPECT_EQ(other.wait(kTimeout), 1);
  EXPECT_NE(readFile(directory_ / "other.stderr").find("no exchange 'xpar'"), std::string::npos)
      << readFile(directory_ / "other.stderr");
}

// ---- Status requests ----------------------------------------------------------

TEST_P(FixVenueTest, AStatusRequestIsAnsweredWithTheOrdersStatus) {
  FixTestClient& ss1 = connect("ss1");
  ASSERT_TRUE(ss1.send(limitOrder("B1", '1', kAcme + kCent, 150)));  // 100 fill, 50 rest
  const ExecutionReportMessage partly = awaitReport(ss1, "B1", ExecutionKind::kPartialFill);
  ASSERT_TRUE(ss1.send(statusRequestOf("B1")));
  ReceivedMessage answer;
  ASSERT_TRUE(ss1.waitFor(statusOf("B1"), kTimeout, &answer)) << transcript(ss1);
  EXPECT_EQ(answer.status.orderId, partly.orderId);
  EXPECT_EQ(answer.status.ordStatus, '1');
  EXPECT_EQ(answer.status.cumulativeQuantity, 100);
  EXPECT_EQ(answer.status.leavesQuantity, 50);
  EXPECT_EQ(answer.status.averagePriceMicros, kAcme + kCent);
  EXPECT_NE(answer.text.find("|17=0|"), std::string::npos) << answer.text;  // ExecID 0
  const std::string form = version() == "FIX.4.4" ? "|150=I|" : "|20=3|";
  EXPECT_NE(answer.text.find(form), std::string::npos) << answer.text;

  ASSERT_TRUE(ss1.send(statusRequestOf("NEVER-SENT")));
  ReceivedMessage unknown;
  ASSERT_TRUE(ss1.waitFor(statusOf("NEVER-SENT"), kTimeout, &unknown)) << transcript(ss1);
  EXPECT_EQ(unknown.status.orderId, "NONE");
  EXPECT_EQ(unknown.status.ordStatus, '8');
  EXPECT_EQ(unknown.status.ordRejReason, 5);
  EXPECT_NE(unknown.text.find("|103=5|"), std::string::npos) << unknown.text;

  // Without Side (required, and needed for the answer): QuickFIX's answer
  // to a missing field in an application message, a BusinessMessageReject
  // 380=5 (conditionally required field missing) naming tag 54; the
  // session carries on.
  StatusRequestMessage sideless = statusRequestOf("B1");
  sideless.side = 0;
  ASSERT_TRUE(ss1.send(sideless));
  const int sidelessSeqNum = ss1.sentSeqNum("B1");
  ReceivedMessage refused;
  ASSERT_TRUE(ss1.waitFor(
      [&](const ReceivedMessage& message) {
        return message.msgType == "j" && message.businessReject.refSeqNum == sidelessSeqNum;
      },
      kTimeout, &refused))
      << transcript(ss1);
  EXPECT_EQ(refused.businessReject.refMsgType, "H");
  EXPECT_EQ(refused.businessReject.reason, 5);
  EXPECT_NE(refused.businessReject.text.find("(54)"), std::string::npos) << refused.text;
  ASSERT_TRUE(ss1.send(limitOrder("B2", '1', 99 * kDollar, 10)));
  awaitReport(ss1, "B2", ExecutionKind::kNew);
}

// ---- Venue modes -----------------------------------------------------------------

TEST_P(FixVenueTest, NoStatusRequestsAnswersThemWithABusinessReject) {
  restartExchange({"--no-status-requests"});
  FixTestClient& ss1 = connect("ss1");
  ASSERT_TRUE(ss1.send(limitOrder("R1", '1', 99 * kDollar, 10)));
  awaitReport(ss1, "R1", ExecutionKind::kNew);
  ASSERT_TRUE(ss1.send(statusRequestOf("R1")));
  ReceivedMessage reject;
  ASSERT_TRUE(ss1.waitFor(businessRejectOf("R1"), kTimeout, &reject)) << transcript(ss1);
  EXPECT_EQ(reject.businessReject.refMsgType, "H");
  EXPECT_EQ(reject.businessReject.reason, 3);
  EXPECT_EQ(reject.businessReject.refSeqNum, ss1.sentSeqNum("R1"));
  EXPECT_EQ(countMessages(ss1, statusOf("R1")), 0u);
}

TEST_P(FixVenueTest, OnlyLimitDayRefusesOtherOrdersWithASessionReject) {
  restartExchange({"--only-limit-day"});
  FixTestClient& ss1 = connect("ss1");
  NewOrderMessage market = limitOrder("M1", '1', 0, 10);
  market.ordType = '1';
  ASSERT_TRUE(ss1.send(market));
  ReceivedMessage byType;
  ASSERT_TRUE(ss1.waitFor(sessionRejectOf(ss1.sentSeqNum("M1")), kTimeout, &byType))
      << transcript(ss1);
  EXPECT_EQ(byType.sessionReject.refTagId, 40);
  EXPECT_EQ(byType.sessionReject.refMsgType, "D");
  EXPECT_EQ(byType.sessionReject.reason, 5);
  EXPECT_NE(byType.sessionReject.text.find("OrdType (40)"), std::string::npos) << byType.text;

  ASSERT_TRUE(ss1.send(limitOrder("G1", '1', 99 * kDollar, 10, '1')));  // GTC
  ReceivedMessage byTimeInForce;
  ASSERT_TRUE(ss1.waitFor(sessionRejectOf(ss1.sentSeqNum("G1")), kTimeout, &byTimeInForce))
      << transcript(ss1);
  EXPECT_EQ(byTimeInForce.sessionReject.refTagId, 59);
  EXPECT_EQ(byTimeInForce.sessionReject.refMsgType, "D");
  EXPECT_EQ(byTimeInForce.sessionReject.reason, 5);
  EXPECT_NE(byTimeInForce.sessionReject.text.find("TimeInForce (59)"), std::string::npos);

  // The session carries on, and a limit DAY order is taken.
  ASSERT_TRUE(ss1.send(limitOrder("L1", '1', 99 * kDollar, 10)));
  awaitReport(ss1, "L1", ExecutionKind::kNew);
  awaitEverythingSentSoFar(ss1);
  EXPECT_EQ(countReports(ss1, "M1"), 0u) << transcript(ss1);
  EXPECT_EQ(countReports(ss1, "G1"), 0u) << transcript(ss1);
}

TEST_P(FixVenueTest, NoCancelAnswersACancelWithABusinessRejectAndKeepsTheOrder) {
  restartExchange({"--no-cancel"});
  FixTestClient& ss1 = connect("ss1");
  ASSERT_TRUE(ss1.send(limitOrder("R1", '1', kAcme, 10)));
  awaitReport(ss1, "R1", ExecutionKind::kNew);
  ASSERT_TRUE(ss1.send(cancelOf("C1", "R1")));
  ReceivedMessage reject;
  ASSERT_TRUE(ss1.waitFor(businessRejectOf("C1"), kTimeout, &reject)) << transcript(ss1);
  EXPECT_EQ(reject.businessReject.refMsgType, "F");
  EXPECT_EQ(reject.businessReject.reason, 3);
  EXPECT_EQ(reject.businessReject.refSeqNum, ss1.sentSeqNum("C1"));
  EXPECT_FALSE(reject.businessReject.text.empty());

  // Still in the book: a sell at its price fills against it.
  ASSERT_TRUE(ss1.send(limitOrder("S1", '2', kAcme, 10)));
  awaitReport(ss1, "R1", ExecutionKind::kFill);
  EXPECT_EQ(countReports(ss1, "C1"), 0u) << transcript(ss1);
}

size_t countFills(const FixTestClient& client, const std::string& clOrdId) {
  return countMessages(client, reportOf(clOrdId, ExecutionKind::kFill));
}

TEST_P(FixVenueTest, APossResendOrderExecutesOnceByDefault) {
  FixTestClient& ss1 = connect("ss1");
  ASSERT_TRUE(ss1.send(limitOrder("B1", '1', kAcme + kCent, 50)));
  awaitReport(ss1, "B1", ExecutionKind::kFill);
  NewOrderMessage resend = limitOrder("B1", '1', kAcme + kCent, 50);
  resend.possResend = true;
  ASSERT_TRUE(ss1.send(resend));
  ReceivedMessage status;
  ASSERT_TRUE(ss1.waitFor(statusOf("B1"), kTimeout, &status)) << transcript(ss1);
  EXPECT_EQ(status.status.ordStatus, '2');
  EXPECT_EQ(status.status.cumulativeQuantity, 50);
  awaitEverythingSentSoFar(ss1);
  EXPECT_EQ(countFills(ss1, "B1"), 1u) << transcript(ss1);
}

TEST_P(FixVenueTest, IgnorePossResendExecutesAResentOrderTwice) {
  restartExchange({"--ignore-poss-resend"});
  FixTestClient& ss1 = connect("ss1");
  ASSERT_TRUE(ss1.send(limitOrder("B1", '1', kAcme + kCent, 50)));
  const ExecutionReportMessage first = awaitReport(ss1, "B1", ExecutionKind::kFill);
  NewOrderMessage resend = limitOrder("B1", '1', kAcme + kCent, 50);
  resend.possResend = true;
  ASSERT_TRUE(ss1.send(resend));
  ASSERT_TRUE(ss1.waitFor(
      [&](const ReceivedMessage& message) {
        return reportOf("B1", ExecutionKind::kFill)(message) &&
               message.report.orderId != first.orderId;
      },
      kTimeout))
      << transcript(ss1);
  awaitEverythingSentSoFar(ss1);
  EXPECT_EQ(countFills(ss1, "B1"), 2u) << transcript(ss1);
  EXPECT_EQ(countMessages(ss1, statusOf("B1")), 0u) << transcript(ss1);
}

TEST_P(FixVenueTest, ExecIdsRestartAtOneAfterTheVenueRestarts) {
  restartExchange({"--exec-ids-restart"});
  FixTestClient& ss1 = connect("ss1");
  ASSERT_TRUE(ss1.send(limitOrder("B1", '1', kAcme + kCent, 50)));
  EXPECT_EQ(awaitReport(ss1, "B1", ExecutionKind::kNew).execId, "1");
  EXPECT_EQ(awaitReport(ss1, "B1", ExecutionKind::kFill).execId, "2");

  restartExchange({"--exec-ids-restart"});
  ASSERT_TRUE(ss1.waitForLogons(2, kTimeout)) << stderrText();
  ASSERT_TRUE(ss1.send(limitOrder("B2", '1', kAcme + kCent, 50)));
  EXPECT_EQ(awaitReport(ss1, "B2", ExecutionKind::kNew).execId, "1");
  EXPECT_EQ(awaitReport(ss1, "B2", ExecutionKind::kFill).execId, "2");

  // The restarted venue knows none of the orders before it (venue.h, "Memory").
  ASSERT_TRUE(ss1.send(statusRequestOf("B1")));
  ReceivedMessage forgotten;
  ASSERT_TRUE(ss1.waitFor(statusOf("B1"), kTimeout, &forgotten)) << transcript(ss1);
  EXPECT_EQ(forgotten.status.ordRejReason, 5);
}

TEST_P(FixVenueTest, NoMarketDataPublishesNothing) {
  restartExchange({"--no-market-data"});
  FixTestClient& ss1 = connect("ss1");
  ASSERT_TRUE(ss1.send(limitOrder("B1", '1', kAcme + kCent, 50)));  // trades, moves the offer
  awaitReport(ss1, "B1", ExecutionKind::kFill);
  FixTestClient& ss2 = connect("ss2");
  awaitEverythingSentSoFar(ss1);
  awaitEverythingSentSoFar(ss2);
  const auto anyMarketData = [](const ReceivedMessage& message) { return message.msgType == "X"; };
  EXPECT_EQ(countMessages(ss1, anyMarketData), 0u) << transcript(ss1);
  EXPECT_EQ(countMessages(ss2, anyMarketData), 0u) << transcript(ss2);
}

INSTANTIATE_TEST_SUITE_P(BothFixVersions, FixVenueTest, ::testing::Values("xnys", "xlon"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param == "xnys" ? std::string("Fix44")
                                                       : std::string("Fix42");
                         });

}  // namespace
}  // namespace triad::exchange
