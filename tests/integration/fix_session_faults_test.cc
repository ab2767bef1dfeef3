// FIX session faults between a street utility's QuickFIX initiator (ss1) and
// the exchange (issue 7), every daemon a real process on loopback.
//
// - A session dropped and resumed mid-stream: ss1 reaches the exchange
//   through a TCP proxy in this test, which drops one fill report and later
//   cuts the connection and refuses new ones while orders are placed; then
//   ss1 restarts. After the session resumes (ResendRequest, resends with
//   PossDup), no order reached the venue twice, no fill is recorded twice,
//   the sequence numbers in both sides' QuickFIX stores never went backwards
//   (nor restarted at 1), and every order is filled.
// - A rogue venue: this test accepts ss1's session itself and speaks FIX by
//   hand (fix_wire.h), with a bad checksum, an incomplete report, garbage
//   bytes, a sequence number too high and too low, and unexpected
//   SequenceResets. ss1 answers per the FIX session rules as QuickFIX
//   implements them, logs each, records nothing from them, stays healthy,
//   and a well-behaved fill afterwards is recorded once, however often it is
//   sent again.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "idl/customer.capnp.h"
#include "tests/integration/fix_wire.h"
#include "tests/support/customer_session.h"
#include "tests/support/free_port.h"
#include "tests/support/invariants.h"

namespace triad {
namespace {

using namespace std::chrono_literals;
using testing::AdminConnection;
using testing::awaitInvariants;
using testing::connectWhenReady;
using testing::Deployment;
using testing::GatewayConnection;
namespace fixwire = testing::fixwire;

constexpr int64_t kDollar = 1'000'000;
constexpr auto kPatience = 45s;

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The first session file (not GLOBAL's) under `root` whose name ends with
// `suffix` ("" if none).
std::filesystem::path findFile(const std::filesystem::path& root, const std::string& suffix) {
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(root, error);
       it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("FIX.", 0) == 0 && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return it->path();
    }
  }
  return {};
}

// Every FIX message in a QuickFIX FileLog messages log, both directions.
std::vector<std::string> loggedMessages(const std::filesystem::path& log) {
  std::vector<std::string> out;
  std::istringstream lines(readFile(log));
  std::string line;
  while (std::getline(lines, line)) {
    const size_t begin = line.find("8=FIX");
    if (begin != std::string::npos) out.push_back(line.substr(begin));
  }
  return out;
}

// A QuickFIX FileStore's "<next sender> : <next target>" sequence numbers.
std::pair<int, int> storedSequences(const std::filesystem::path& seqnums) {
  int sender = 0, target = 0;
  std::istringstream in(readFile(seqnums));
  char colon = 0;
  in >> sender >> colon >> target;
  return {sender, target};
}

// ---- Plain sockets on loopback ---------------------------------------------

int listenOn(const std::string& host, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &address.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 8) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int connectTo(const std::string& host, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &address.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

// FIX on one line, its field separators shown as '|'.
std::string printable(std::string raw) {
  std::replace(raw.begin(), raw.end(), '\001', '|');
  return raw;
}

bool writeAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// ---- A TCP proxy that can drop one message or cut the connection -----------

class FixProxy {
 public:
  FixProxy(const std::string& host, uint16_t listenPort, uint16_t venuePort)
      : host_(host), venuePort_(venuePort), listener_(listenOn(host, listenPort)) {
    if (listener_ < 0) throw std::runtime_error("the proxy cannot listen");
    thread_ = std::thread([this] { run(); });
  }
  ~FixProxy() {
    stop_ = true;
    thread_.join();
    closePair();
    ::close(listener_);
  }

  // Drops the next fill (an ExecutionReport with ExecType F) from the venue
  // to the street.
  void dropNextFill() { dropFill_ = true; }
  // Closes the connection and refuses (accepts and closes) new ones while down.
  void setDown(bool down) { down_ = down; }
  int connections() const { return connections_; }
  int dropped() const { return dropped_; }
  std::string droppedFill() const {  // the ClOrdID of the fill dropped, once dropped() > 0
    return droppedFill_;
  }

 private:
  void closePair() {
    if (street_ >= 0) ::close(street_);
    if (venue_ >= 0) ::close(venue_);
    street_ = venue_ = -1;
    fromVenue_.clear();
  }

  void run() {
    char buffer[65536];
    while (!stop_) {
      if (down_ && street_ >= 0) closePair();
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      if (street_ >= 0) {
        fds.push_back({street_, POLLIN, 0});
        fds.push_back({venue_, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int accepted = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (accepted >= 0 && (down_ || street_ >= 0)) {
          ::close(accepted);
        } else if (accepted >= 0) {
          street_ = accepted;
          venue_ = connectTo(host_, venuePort_);
          if (venue_ < 0) {
            closePair();
          } else {
            ++connections_;
          }
        }
        continue;
      }
      if (street_ < 0) continue;
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = ::recv(street_, buffer, sizeof buffer, 0);
        if (n <= 0 || !writeAll(venue_, std::string(buffer, static_cast<size_t>(n)))) {
          closePair();
          continue;
        }
      }
      if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = ::recv(venue_, buffer, sizeof buffer, 0);
        if (n <= 0) {
          closePair();
          continue;
        }
        fromVenue_.append(buffer, static_cast<size_t>(n));
        std::string message, out;
        while (fixwire::takeMessage(fromVenue_, message)) {
          if (dropFill_ && fixwire::field(message, 35) == "8" &&
              fixwire::field(message, 150) == "F") {
            dropFill_ = false;
            droppedFill_ = fixwire::field(message, 11);
            ++dropped_;
            continue;
          }
          out += message;
        }
        if (!out.empty() && !writeAll(street_, out)) closePair();
      }
    }
  }

  const std::string host_;
  const uint16_t venuePort_;
  const int listener_;
  int street_ = -1;
  int venue_ = -1;
  std::string fromVenue_;  // a partial message from the venue
  std::atomic<bool> dropFill_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> down_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> dropped_{0};
  std::string droppedFill_;  // written before dropped_ is incremented
  std::thread thread_;
};

// ---- The deployment ------------------------------------------------------------

class FixSessionFaultsTest : public ::testing::Test {
 protected:
  ~FixSessionFaultsTest() noexcept override {}

  // Brokers, firm, cf1 and ss1 (the exchange is the test's business).
  void startFirmSide() {
    deployment_.startBroker("firm");
    deployment_.startBroker("customer");
    deployment_.start("utilities/firm/triad-firmd", "firm");
    deployment_.start("utilities/customer/triad-customerd", "cf1");
    deployment_.start("utilities/street/triad-streetd", "ss1");
    for (const char* id : {"firm", "cf1", "ss1"}) connect(id);
    AdminConnection& firm = *admin_["firm"];
    testing::openFundedAccount(firm, "alice", 1'000'000);
    testing::routeEverySymbol(firm, "ss1", "xtst", 100);
    testing::waitForFirmReplicas(firm, {admin_["cf1"].get()});
    gateway_ = std::make_unique<GatewayConnection>(io_, deployment_.site("cf1"));
    auto loggedIn = gateway_->login("alice", "alice-secret");
    KJ_REQUIRE(std::holds_alternative<idl::Session::Client>(loggedIn),
               std::get<std::string>(loggedIn));
    session_.emplace(std::get<idl::Session::Client>(kj::mv(loggedIn)));
  }

  void connect(const std::string& id) {
    std::string lastError;
    admin_[id] = connectWhenReady(io_, deployment_.site(id), 120s, &lastError);
    ASSERT_NE(admin_[id], nullptr) << id << ": " << lastError << "\n" << deployment_.log(id);
  }

  void TearDown() override {
    if (!HasFatalFailure() && session_) {
      for (const std::string& violation : awaitInvariants(io_, deployment_, "firm", {"cf1"})) {
        ADD_FAILURE() << violation;
      }
    }
    session_.reset();
    gateway_.reset();
    admin_.clear();
    for (const char* id : {"ss1", "cf1", "firm"}) {
      deployment_.process(id).kill(SIGTERM);
      EXPECT_EQ(deployment_.process(id).wait(60s), 0) << id << "\n" << deployment_.log(id);
    }
    for (const char* id : {"bus-firm", "bus-customer"}) {
      deployment_.process(id).kill(SIGTERM);
      deployment_.process(id).wait(30s);
    }
    if (exchangeStarted_) {
      deployment_.process("xtst").kill(SIGTERM);
      EXPECT_EQ(deployment_.process("xtst").wait(60s), 0);
    }
  }

  // Places a limit buy of ACME; its order id ("" and a failure if refused).
  std::string buy(const std::string& clientId, int64_t quantity, int64_t limitMicros) {
    auto place = session_->placeOrderRequest();
    testing::fillLimitBuy(place.initRequest(), clientId, quantity, limitMicros);
    auto placed = gateway_->wait(place.send());
    EXPECT_TRUE(placed.getResult().isStatus()) << placed.getResult().getError().getReason().cStr();
    if (!placed.getResult().isStatus()) return "";
    return placed.getResult().getStatus().getOrder().getId();
  }

  struct Seen {
    idl::OrderState state = idl::OrderState::PENDING_NEW;
    int64_t filled = 0;
  };
  Seen status(const std::string& orderId) {
    auto request = session_->orderStatusRequest();
    request.setOrderId(orderId);
    auto answer = gateway_->wait(request.send());
    if (answer.getResult().isError()) return {};
    return {answer.getResult().getStatus().getState(),
            answer.getResult().getStatus().getFilledQuantity()};
  }
  Seen eventually(const std::string& orderId, idl::OrderState state,
                  std::chrono::seconds patience = kPatience) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    Seen seen;
    do {
      seen = status(orderId);
      if (seen.state == state) break;
      pump(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return seen;
  }

  void pump(std::chrono::milliseconds duration) {
    io_.provider->getTimer().afterDelay(duration.count() * kj::MILLISECONDS).wait(io_.waitScope);
  }

  bool ss1Healthy() {
    std::string lastError;
    return connectWhenReady(io_, deployment_.site("ss1"), 30s, &lastError) != nullptr &&
           deployment_.process("ss1").running();
  }

  std::string ss1FixEvents() {
    return readFile(findFile(deployment_.dataRoot("ss1"), ".event.current.log"));
  }

  std::string logs() {
    return "\n--- ss1\n" + deployment_.log("ss1") + "\n--- ss1 FIX events\n" + ss1FixEvents() +
           "\n--- ss1 FIX messages\n" +
           printable(readFile(findFile(deployment_.dataRoot("ss1"), ".messages.current.log")));
  }

  Deployment deployment_{{.customers = {"cf1"}, .streets = {"ss1"}}};
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  std::map<std::string, std::unique_ptr<AdminConnection>> admin_;
  std::unique_ptr<GatewayConnection> gateway_;
  std::optional<idl::Session::Client> session_;
  bool exchangeStarted_ = false;
};

// ---- 1. Dropped and resumed mid-stream -------------------------------------------

// Both sides' stores, sampled: every sample's sequence numbers are at least
// the previous sample's.
class SequenceWatch {
 public:
  explicit SequenceWatch(std::vector<std::filesystem::path> roots) : roots_(std::move(roots)) {}
  void sample() {
    for (const auto& root : roots_) {
      const std::filesystem::path file = findFile(root, ".seqnums");
      if (file.empty()) continue;
      const auto [sender, target] = storedSequences(file);
      if (sender == 0) continue;  // being rewritten
      auto& last = last_[root.string()];
      if (sender < last.first || target < last.second) {
        backwards_.push_back(root.filename().string() + ": " + std::to_string(last.first) + ":" +
                             std::to_string(last.second) + " -> " + std::to_string(sender) + ":" +
                             std::to_string(target));
      }
      last = {std::max(last.first, sender), std::max(last.second, target)};
    }
  }
  const std::vector<std::string>& backwards() const { return backwards_; }
  std::pair<int, int> last(const std::filesystem::path& root) { return last_[root.string()]; }

 private:
  std::vector<std::filesystem::path> roots_;
  std::map<std::string, std::pair<int, int>> last_;
  std::vector<std::string> backwards_;
};

TEST_F(FixSessionFaultsTest, ASessionDroppedMidStreamResumesWithoutDuplicates) {
  // The exchange listens on another port; ss1 reaches it through the proxy
  // on the topology's.
  const topology::Exchange& xtst = *deployment_.topology().findExchange("xtst");
  const uint16_t venuePort = testing::freePort(xtst.firmAddress);
  const std::filesystem::path venueTopology = deployment_.topologyPath().string() + ".venue";
  {
    std::string text = readFile(deployment_.topologyPath());
    text = std::regex_replace(text, std::regex("fix-port = [0-9]+"),
                              "fix-port = " + std::to_string(venuePort));
    std::ofstream(venueTopology) << text;
  }
  FixProxy proxy(xtst.firmAddress, xtst.fixPort, venuePort);
  deployment_.startExchange("xtst", {}, venueTopology);
  exchangeStarted_ = true;
  startFirmSide();
  ASSERT_TRUE(session_);
  SequenceWatch sequences({deployment_.dataRoot("ss1"), deployment_.dataRoot("xtst")});

  constexpr int kOrders = 12;
  constexpr int64_t kQuantity = 10;
  std::vector<std::string> orders;
  auto place = [&](int i) {
    orders.push_back(buy("alice-" + std::to_string(i), kQuantity, 101 * kDollar));
    ASSERT_FALSE(orders.back().empty());
    sequences.sample();
    pump(100ms);
  };
  // Mid-stream: the venue's next execution report is lost on the way.
  for (int i = 0; i < 3; ++i) place(i);
  ASSERT_EQ(eventually(orders[0], idl::OrderState::FILLED).state, idl::OrderState::FILLED)
      << logs();
  proxy.dropNextFill();
  for (int i = 3; i < 6; ++i) place(i);
  // The connection is cut and stays down while orders are placed: ss1 stores
  // them and sends them once the session is back.
  proxy.setDown(true);
  for (int i = 6; i < 9; ++i) place(i);
  pump(1500ms);
  sequences.sample();
  proxy.setDown(false);
  for (int i = 9; i < kOrders; ++i) place(i);

  for (const std::string& id : orders) {
    const Seen seen = eventually(id, idl::OrderState::FILLED);
    EXPECT_EQ(seen.state, idl::OrderState::FILLED) << id << logs();
    EXPECT_EQ(seen.filled, kQuantity) << id;
    sequences.sample();
  }
  ASSERT_EQ(proxy.dropped(), 1);
  EXPECT_NE(std::find(orders.begin(), orders.end(), proxy.droppedFill()), orders.end());
  EXPECT_GE(proxy.connections(), 2);

  // ss1 restarts: its session carries on from the numbers in its store
  // rather than starting again at 1, and routes a new order once.
  const std::pair<int, int> beforeRestart = sequences.last(deployment_.dataRoot("ss1"));
  admin_.erase("ss1");
  deployment_.process("ss1").kill(SIGTERM);
  ASSERT_EQ(deployment_.process("ss1").wait(60s), 0) << logs();
  deployment_.start("utilities/street/triad-streetd", "ss1");
  connect("ss1");
  orders.push_back(buy("alice-after-restart", kQuantity, 101 * kDollar));
  ASSERT_FALSE(orders.back().empty());
  const Seen afterRestart = eventually(orders.back(), idl::OrderState::FILLED);
  EXPECT_EQ(afterRestart.state, idl::OrderState::FILLED) << logs();
  EXPECT_EQ(afterRestart.filled, kQuantity);
  sequences.sample();
  EXPECT_GT(sequences.last(deployment_.dataRoot("ss1")).first, beforeRestart.first);
  EXPECT_GT(sequences.last(deployment_.dataRoot("ss1")).second, beforeRestart.second);
  EXPECT_TRUE(sequences.backwards().empty()) << sequences.backwards().front();

  // At the venue: every order arrived once (one venue order id per ClOrdID)
  // and its fills, each ExecID counted once however often it was resent,
  // add up to exactly its quantity.
  const std::vector<std::string> venueLog =
      loggedMessages(findFile(deployment_.dataRoot("xtst"), ".messages.current.log"));
  std::map<std::string, std::set<std::string>> venueOrderIds;           // by ClOrdID
  std::map<std::string, std::map<std::string, int64_t>> fillsByExecId;  // by ClOrdID
  int resentToStreet = 0;
  for (const std::string& message : venueLog) {
    if (fixwire::field(message, 35) != "8" || fixwire::field(message, 49) != "xtst") continue;
    if (fixwire::field(message, 43) == "Y") ++resentToStreet;
    const std::string clOrdId = fixwire::field(message, 11);
    venueOrderIds[clOrdId].insert(fixwire::field(message, 37));
    const std::string execType = fixwire::field(message, 150);
    if (execType == "F" || execType == "1" || execType == "2") {
      fillsByExecId[clOrdId][fixwire::field(message, 17)] = std::stoll(fixwire::field(message, 32));
    }
  }
  for (const std::string& id : orders) {
    EXPECT_EQ(venueOrderIds[id].size(), 1u) << id << " reached the venue more than once";
    int64_t filled = 0;
    for (const auto& [execId, quantity] : fillsByExecId[id]) filled += quantity;
    EXPECT_EQ(filled, kQuantity) << id;
  }

  // The session's recovery: ss1 asked for a resend and got PossDup copies.
  const std::vector<std::string> streetLog =
      loggedMessages(findFile(deployment_.dataRoot("ss1"), ".messages.current.log"));
  int resendRequests = 0, possDupOrders = 0;
  for (const std::string& message : streetLog) {
    if (fixwire::field(message, 49) != "ss1") continue;
    if (fixwire::field(message, 35) == "2") ++resendRequests;
    if (fixwire::field(message, 35) == "D" && fixwire::field(message, 43) == "Y") ++possDupOrders;
  }
  EXPECT_GE(resendRequests, 1) << logs();
  EXPECT_GE(resentToStreet, 1);
  std::cout << "orders " << orders.size() << ", proxy connections " << proxy.connections()
            << ", ResendRequests from ss1 " << resendRequests << ", reports resent (PossDup) "
            << resentToStreet << ", orders resent (PossDup) " << possDupOrders
            << ", ss1 seqnums before restart " << beforeRestart.first << ":" << beforeRestart.second
            << ", at the end " << sequences.last(deployment_.dataRoot("ss1")).first << ":"
            << sequences.last(deployment_.dataRoot("ss1")).second << std::endl;
}

// ---- 2. A rogue venue ----------------------------------------------------------

// The venue end of ss1's session, by hand: one connection at a time.
class RogueVenue {
 public:
  RogueVenue(const std::string& host, uint16_t port) : listener_(listenOn(host, port)) {
    if (listener_ < 0) throw std::runtime_error("the rogue venue cannot listen");
  }
  ~RogueVenue() {
    closeConnection();
    ::close(listener_);
  }

  // Accepts ss1's next connection and answers its Logon. A connection that
  // brings no Logon before ss1 gives up on it (QuickFIX's 10 s logon timeout,
  // then a reconnect a second later) is let go, said on stdout with what it
  // did bring, and the next one taken, until `timeout`.
  bool accept(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      closeConnection();
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !readable(listener_, left)) return false;
      fd_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd_ < 0) return false;
      connectionBytes_.clear();
      const std::string logon = expect("A", 15s);
      if (logon.empty()) {
        std::cout << "the rogue venue let go of a connection that brought no Logon; it brought "
                  << connectionBytes_.size() << " bytes: " << printable(connectionBytes_)
                  << std::endl;
        continue;
      }
      lastLogonSequence = std::stoi(fixwire::field(logon, 34));
      // A connection ss1 already gave up on may still hold its Logon: the
      // answer then finds it closed, and the next connection is taken.
      if (!send(fixwire::message(next(), "A", {{98, "0"}, {108, "30"}}))) continue;
      expect("\xff", 1s);  // answers a ResendRequest that the Logon's number may cause
      if (fd_ >= 0) return true;
    }
  }

  // The header of the next message in sequence (and counts it sent).
  fixwire::Header next() { return at(nextSequence++); }
  fixwire::Header at(int sequence) const {
    return {.beginString = "FIX.4.4", .sender = "xtst", .target = "ss1", .sequence = sequence};
  }

  bool send(const std::string& raw) { return fd_ >= 0 && writeAll(fd_, raw); }

  // The next message of `msgType` from ss1 ("" on timeout or disconnect),
  // answering TestRequests on the way; "*" takes any.
  std::string expect(const std::string& msgType, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::string message;
      while (fixwire::takeMessage(buffer_, message)) {
        received.push_back(message);
        const std::string type = fixwire::field(message, 35);
        if (type == "1" && msgType != "1") {
          send(fixwire::message(next(), "0", {{112, fixwire::field(message, 112)}}));
        }
        if (type == "2" && msgType != "2") {
          // Nothing worth resending: a gap fill up to the next message.
          fixwire::Header gapFill = at(std::stoi(fixwire::field(message, 7)));
          gapFill.possDup = true;
          send(fixwire::message(gapFill, "4", {{123, "Y"}, {36, std::to_string(nextSequence)}}));
        }
        if (msgType == "*" || type == msgType) return message;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (fd_ < 0 || left.count() <= 0 || !readable(fd_, left)) return "";
      char chunk[8192];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        closeConnection();
        return "";
      }
      buffer_.append(chunk, static_cast<size_t>(n));
      connectionBytes_.append(chunk, static_cast<size_t>(n));
    }
  }

  // Whether ss1 closed the connection within `timeout`.
  bool closedByPeer(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fd_ >= 0 && std::chrono::steady_clock::now() < deadline) expect("\xff", 1s);
    return fd_ < 0;
  }

  void closeConnection() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
  }

  int nextSequence = 1;
  int lastLogonSequence = 0;
  std::vector<std::string> received;

 private:
  const int listener_;
  int fd_ = -1;
  std::string buffer_;
  std::string connectionBytes_;  // all the current connection brought, for diagnosis
};

TEST_F(FixSessionFaultsTest, MalformedAndOutOfSequenceFixFromTheVenueIsHandledPerTheRules) {
  const topology::Exchange& xtst = *deployment_.topology().findExchange("xtst");
  RogueVenue venue(xtst.firmAddress, xtst.fixPort);
  startFirmSide();
  ASSERT_TRUE(session_);
  ASSERT_TRUE(venue.accept(60s)) << logs();

  const std::string orderId = buy("alice-rogue", 10, 101 * kDollar);
  ASSERT_FALSE(orderId.empty());
  const std::string order = venue.expect("D", 30s);
  ASSERT_FALSE(order.empty()) << logs();
  ASSERT_EQ(fixwire::field(order, 11), orderId);
  const std::string symbol = fixwire::field(order, 55);

  auto notFilled = [&](const std::string& when) {
    pump(1s);
    const Seen seen = status(orderId);
    EXPECT_EQ(seen.filled, 0) << when << ": a bad message was recorded" << logs();
    EXPECT_NE(seen.state, idl::OrderState::FILLED) << when;
    EXPECT_TRUE(ss1Healthy()) << when << logs();
  };
  auto testRequest = [&](const std::string& id) {
    return venue.send(fixwire::message(venue.next(), "1", {{112, id}}));
  };
  auto heartbeatFor = [&](const std::string& id) {
    for (int i = 0; i < 5; ++i) {
      const std::string heartbeat = venue.expect("0", 10s);
      if (heartbeat.empty() || fixwire::field(heartbeat, 112) == id) return heartbeat;
    }
    return std::string();
  };

  // A fill with a bad checksum: dropped by QuickFIX, not consumed.
  {
    std::string raw = fixwire::fill(venue.at(venue.nextSequence), orderId, "X-BAD-CHECKSUM", symbol,
                                    10, 100 * kDollar);
    const size_t checksum = raw.rfind("10=");
    raw.replace(checksum + 3, 3, raw.substr(checksum + 3, 3) == "000" ? "001" : "000");
    ASSERT_TRUE(venue.send(raw));
    notFilled("bad checksum");
    ASSERT_TRUE(testRequest("after-checksum"));  // the same sequence number, well formed
    EXPECT_FALSE(heartbeatFor("after-checksum").empty())
        << "the session did not continue" << logs();
  }

  // A well-framed execution report without the fields a fill needs: ss1
  // refuses it with a session-level Reject and records nothing.
  {
    const int sequence = venue.nextSequence;
    ASSERT_TRUE(venue.send(
        fixwire::message(venue.next(), "8", {{11, orderId}, {150, "F"}, {39, "2"}, {55, symbol}})));
    const std::string reject = venue.expect("3", 10s);
    ASSERT_FALSE(reject.empty()) << "no Reject" << logs();
    EXPECT_EQ(fixwire::field(reject, 45), std::to_string(sequence)) << reject;
    EXPECT_EQ(fixwire::field(reject, 373), "6") << reject;  // incorrect data format
    notFilled("incomplete report");
  }

  // Garbage bytes between messages: QuickFIX's parser skips to the next
  // "8=", and the session goes on.
  {
    static constexpr char kGarbage[] = "\x01\x02 not FIX at all \xff\xfe\x01 9=12\x01 35=8\x01";
    ASSERT_TRUE(venue.send(std::string(kGarbage, sizeof kGarbage - 1)));
    ASSERT_TRUE(testRequest("after-garbage"));
    EXPECT_FALSE(heartbeatFor("after-garbage").empty()) << "the session did not go on" << logs();
    notFilled("garbage");
  }

  // A sequence number too high: ss1 asks for a resend from the one it expects.
  {
    const int expected = venue.nextSequence;
    ASSERT_TRUE(venue.send(fixwire::message(venue.at(expected + 5), "1", {{112, "too-high"}})));
    const std::string resend = venue.expect("2", 10s);
    ASSERT_FALSE(resend.empty()) << "no ResendRequest" << logs();
    EXPECT_EQ(fixwire::field(resend, 7), std::to_string(expected));
    // Nothing to resend: a gap fill up to the message that was early, which
    // ss1 queued and now answers.
    fixwire::Header gapFill = venue.at(expected);
    gapFill.possDup = true;
    ASSERT_TRUE(venue.send(
        fixwire::message(gapFill, "4", {{123, "Y"}, {36, std::to_string(expected + 5)}})));
    venue.nextSequence = expected + 6;
    EXPECT_FALSE(heartbeatFor("too-high").empty()) << logs();
    notFilled("sequence too high");
  }

  // An unexpected SequenceReset-Reset forward: accepted (Reset ignores
  // MsgSeqNum); a reset backwards: refused with a session-level Reject.
  {
    const int jumped = venue.nextSequence + 10;
    ASSERT_TRUE(venue.send(
        fixwire::message(venue.at(venue.nextSequence), "4", {{36, std::to_string(jumped)}})));
    venue.nextSequence = jumped;
    ASSERT_TRUE(testRequest("after-reset"));
    EXPECT_FALSE(heartbeatFor("after-reset").empty()) << logs();
    ASSERT_TRUE(venue.send(fixwire::message(venue.next(), "4", {{36, "2"}})));
    const std::string reject = venue.expect("3", 10s);
    EXPECT_FALSE(reject.empty()) << "a backwards reset was not rejected" << logs();
    EXPECT_EQ(fixwire::field(reject, 373), "5") << reject;  // value incorrect
    notFilled("sequence reset");
  }

  // A sequence number too low without PossDup: a fill ss1 must not take;
  // it logs out and disconnects.
  {
    ASSERT_TRUE(venue.send(fixwire::fill(venue.at(venue.nextSequence - 3), orderId, "X-TOO-LOW",
                                         symbol, 10, 100 * kDollar)));
    const std::string logout = venue.expect("5", 10s);
    ASSERT_FALSE(logout.empty()) << logs();
    EXPECT_NE(fixwire::field(logout, 58).find("MsgSeqNum too low"), std::string::npos) << logout;
    EXPECT_TRUE(venue.closedByPeer(10s));
    notFilled("sequence too low");
  }

  // A well-behaved session again: ss1 logs on with its sequence numbers
  // carried on, not reset, and records the fill once.
  ASSERT_TRUE(venue.accept(30s)) << logs();
  EXPECT_GT(venue.lastLogonSequence, 2);
  ASSERT_TRUE(
      venue.send(fixwire::fill(venue.next(), orderId, "X-GOOD", symbol, 10, 100 * kDollar)));
  const Seen filled = eventually(orderId, idl::OrderState::FILLED);
  EXPECT_EQ(filled.state, idl::OrderState::FILLED) << logs();
  EXPECT_EQ(filled.filled, 10);

  // The same fill again: a copy under its old number with PossDup (QuickFIX
  // ignores it) and a PossResend under a new number (passed on; the street
  // recorder knows the ExecID): booked once either way (and verify below).
  {
    fixwire::Header copy = venue.at(venue.nextSequence - 1);
    copy.possDup = true;
    ASSERT_TRUE(venue.send(fixwire::fill(copy, orderId, "X-GOOD", symbol, 10, 100 * kDollar)));
    fixwire::Header resent = venue.next();
    resent.possResend = true;
    ASSERT_TRUE(venue.send(fixwire::fill(resent, orderId, "X-GOOD", symbol, 10, 100 * kDollar)));
    ASSERT_TRUE(testRequest("after-duplicates"));
    EXPECT_FALSE(heartbeatFor("after-duplicates").empty()) << logs();
    pump(1s);
    const Seen once = status(orderId);
    EXPECT_EQ(once.state, idl::OrderState::FILLED);
    EXPECT_EQ(once.filled, 10) << "a fill was recorded twice" << logs();
  }
  EXPECT_TRUE(ss1Healthy());

  // QuickFIX logged each fault in ss1's session event log.
  const std::string events = ss1FixEvents();
  for (const char* line :
       {"Invalid message: Expected CheckSum", "MsgSeqNum too high", "Sent ResendRequest",
        "Received SequenceReset FROM", "Rejected: Value is incorrect", "MsgSeqNum too low"}) {
    EXPECT_NE(events.find(line), std::string::npos) << "no \"" << line << "\" in\n" << events;
  }
}

}  // namespace
}  // namespace triad
