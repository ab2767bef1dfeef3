// triad-trader: the customer's command line (issue 4). Logs in at a customer
// utility's Gateway and runs one command:
//
//   triad-trader [--utility cf1 | --connect host:port] --account A [--secret S]
//                [--tls-ca FILE [--tls-cert FILE --tls-key FILE] [--tls-server-name N]]
//                login | buy|sell SYMBOL QUANTITY [--limit PRICE] [--tif day|ioc|gtc] [--client-id
//                ID] cancel ORDER-ID | status ORDER-ID | orders [--open] | balance | positions
//                watch [--for SECONDS] [--quotes]
//
// `watch` prints every change to the account's orders as it replicates to the
// utility (and with --quotes the market data), one line each, until --for
// seconds have passed (0: until interrupted).
// With --tls-ca the connection is TLS, and the Gateway's certificate must be
// signed by that CA and name the address dialled (or --tls-server-name);
// --tls-cert/--tls-key present a client certificate (utilities/common/tls_options.h).
// The secret comes from --secret or the TRIAD_SECRET environment variable.
// Output is a readable table; errors are one line on stderr.
// Exit codes: 0 done; 1 refused by Triad (the reason is printed); 2 bad usage;
// 3 cannot reach or log in to the utility.

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "base/topology.h"
#include "exchange/decimal_text.h"
#include "idl/customer.capnp.h"
#include "tools/triad-trader/trader_output.h"
#include "utilities/common/tls_options.h"

namespace po = boost::program_options;
using namespace triad;

namespace {

constexpr int kRefused = 1;
constexpr int kUsage = 2;
constexpr int kUnreachable = 3;

int usage(const std::string& message) {
  std::cerr << "triad-trader: " << message << "\n";
  return kUsage;
}

std::string randomClientId() {
  std::mt19937_64 random(std::random_device{}());
  return "cli-" + std::to_string(random() % 1'000'000'000'000ull);
}

// Prints what Session.watch pushes.
class PrintingListener final : public idl::OrderListener::Server {
 public:
  explicit PrintingListener(bool quotes) : quotes_(quotes) {}

 protected:
  kj::Promise<void> update(UpdateContext context) override {
    trader::printUpdate(std::cout, context.getParams().getStatus());
    return kj::READY_NOW;
  }
  kj::Promise<void> marketData(MarketDataContext context) override {
    if (!quotes_) return kj::READY_NOW;
    auto params = context.getParams();
    trader::printQuote(std::cout, params.getVenue().cStr(), params.getSymbol().cStr(),
                       params.getBidPriceMicros(), params.getAskPriceMicros(),
                       params.getLastPriceMicros());
    return kj::READY_NOW;
  }

 private:
  const bool quotes_;
};

int refused(idl::Error::Reader error) {
  std::cerr << "refused (" << trader::errorName(error.getCode())
            << "): " << error.getReason().cStr() << "\n";
  return kRefused;
}

}  // namespace

int main(int argc, char** argv) {
  std::string topologyPath = "/etc/triad/topology.conf", utility, connect, account, secret;
  std::string limit, tif = "day", clientId;
  bool openOnly = false, quotes = false;
  unsigned watchSeconds = 0;
  std::vector<std::string> command;
  po::options_description options("triad-trader options");
  options.add_options()("help", "show this help")("topology", po::value(&topologyPath),
                                                  "the topology file (to find --utility)")(
      "utility", po::value(&utility), "the customer utility to use, e.g. cf1")(
      "connect", po::value(&connect), "host:port of a Gateway, instead of --utility")(
      "account", po::value(&account), "the account to log in as")(
      "secret", po::value(&secret), "the account's secret (or TRIAD_SECRET)")(
      "limit", po::value(&limit), "limit price, e.g. 10.25 (omit for a market order)")(
      "tif", po::value(&tif), "time in force: day, ioc or gtc")(
      "client-id", po::value(&clientId), "client order id (default: a fresh one)")(
      "open", po::bool_switch(&openOnly), "orders: only open orders")(
      "for", po::value(&watchSeconds), "watch: stop after this many seconds (0: never)")(
      "quotes", po::bool_switch(&quotes), "watch: print market data too")(
      "command", po::value(&command), "the command and its arguments");
  common::addTlsClientOptions(options);
  po::positional_options_description positional;
  positional.add("command", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return usage(e.what());
  }
  if (vm.count("help") || command.empty()) {
    std::cout << options << "\n";
    return command.empty() && !vm.count("help") ? kUsage : 0;
  }
  if (secret.empty()) {
    if (const char* fromEnvironment = std::getenv("TRIAD_SECRET")) secret = fromEnvironment;
  }
  if (account.empty() || secret.empty()) return usage("--account and a secret are required");
  std::optional<common::TlsClientFiles> tlsFiles;
  KJ_IF_MAYBE (bad, kj::runCatchingExceptions([&] { tlsFiles = common::tlsClientFilesFrom(vm); })) {
    return usage(bad->getDescription().cStr());
  }

  if (connect.empty()) {
    if (utility.empty()) return usage("give --utility or --connect");
    auto loaded = topology::Topology::load(topologyPath);
    if (auto* error = std::get_if<topology::TopologyError>(&loaded)) {
      return usage(error->message);
    }
    const topology::Utility* site = std::get<topology::Topology>(loaded).findUtility(utility);
    if (site == nullptr || !site->customerAddress) {
      return usage("no customer utility '" + utility + "' in " + topologyPath);
    }
    connect = *site->customerAddress + ":" + std::to_string(site->gatewayPort);
  }

  const size_t colon = connect.rfind(':');
  if (colon == std::string::npos) return usage("--connect wants host:port, not '" + connect + "'");
  const std::string host = connect.substr(0, colon);
  const unsigned port =
      static_cast<unsigned>(std::strtoul(connect.c_str() + colon + 1, nullptr, 10));

  try {
    kj::AsyncIoContext io = kj::setupAsyncIo();
    auto& wait = io.waitScope;
    common::GatewayDialer dialer = common::GatewayDialer::fromFiles(tlsFiles);
    kj::Own<kj::AsyncIoStream> stream =
        dialer.connect(io.provider->getNetwork(), host, port).wait(wait);
    capnp::TwoPartyClient client(*stream);
    auto gateway = client.bootstrap().castAs<idl::Gateway>();
    auto login = gateway.loginRequest();
    login.setAccount(account);
    login.setSecret(secret);
    auto loggedIn = login.send().wait(wait);
    if (loggedIn.getResult().isError()) {
      refused(loggedIn.getResult().getError());
      return kUnreachable;
    }
    idl::Session::Client session = loggedIn.getResult().getSession();
    const std::string& verb = command[0];

    if (verb == "login" && command.size() == 1) {
      std::cout << "logged in as " << account << " at " << connect << "\n";
    } else if (verb == "buy" || verb == "sell") {
      if (command.size() != 3) return usage(verb + " SYMBOL QUANTITY [--limit PRICE]");
      int64_t quantity = 0;
      if (!exchange::parseWholeQuantity(command[2], quantity)) {
        return usage("quantity must be a whole number of shares, not '" + command[2] + "'");
      }
      auto place = session.placeOrderRequest();
      auto request = place.initRequest();
      request.setClientOrderId(clientId.empty() ? randomClientId() : clientId);
      request.setSymbol(command[1]);
      request.setSide(verb == "buy" ? idl::Side::BUY : idl::Side::SELL);
      request.setQuantity(quantity);
      if (limit.empty()) {
        request.setType(idl::OrderType::MARKET);
      } else {
        int64_t price = 0;
        if (!exchange::parseDecimalMicros(limit, price)) {
          return usage("limit price must be a decimal like 10.25, not '" + limit + "'");
        }
        request.setType(idl::OrderType::LIMIT);
        request.setLimitPriceMicros(price);
      }
      if (tif == "day") {
        request.setTimeInForce(idl::TimeInForce::DAY);
      } else if (tif == "ioc") {
        request.setTimeInForce(idl::TimeInForce::IOC);
      } else if (tif == "gtc") {
        request.setTimeInForce(idl::TimeInForce::GTC);
      } else {
        return usage("--tif must be day, ioc or gtc");
      }
      auto placed = place.send().wait(wait);
      if (placed.getResult().isError()) return refused(placed.getResult().getError());
      trader::printOrders(std::cout, {placed.getResult().getStatus()});
    } else if (verb == "cancel" && command.size() == 2) {
      auto cancel = session.cancelOrderRequest();
      cancel.setOrderId(command[1]);
      auto done = cancel.send().wait(wait);
      if (done.getResult().isError()) return refused(done.getResult().getError());
      std::cout << "cancel requested: " << done.getResult().getRequestId().cStr() << "\n";
    } else if (verb == "status" && command.size() == 2) {
      auto status = session.orderStatusRequest();
      status.setOrderId(command[1]);
      auto found = status.send().wait(wait);
      if (found.getResult().isError()) return refused(found.getResult().getError());
      trader::printOrders(std::cout, {found.getResult().getStatus()});
    } else if (verb == "orders" && command.size() == 1) {
      auto list = session.listOrdersRequest();
      list.setOpenOnly(openOnly);
      auto listed = list.send().wait(wait);
      std::vector<idl::OrderStatus::Reader> orders;
      for (auto order : listed.getOrders()) orders.push_back(order);
      trader::printOrders(std::cout, orders);
    } else if (verb == "balance" && command.size() == 1) {
      auto balance = session.balanceRequest().send().wait(wait);
      if (balance.getResult().isError()) return refused(balance.getResult().getError());
      trader::printBalance(std::cout, balance.getResult().getBalance());
    } else if (verb == "positions" && command.size() == 1) {
      auto positions = session.positionsRequest().send().wait(wait);
      std::vector<idl::PositionView::Reader> held;
      for (auto position : positions.getPositions()) held.push_back(position);
      trader::printPositions(std::cout, held);
    } else if (verb == "watch" && command.size() == 1) {
      auto watch = session.watchRequest();
      watch.setListener(kj::heap<PrintingListener>(quotes));
      auto watching = watch.send().wait(wait);
      idl::Subscription::Client subscription = watching.getSubscription();
      if (watchSeconds == 0) kj::NEVER_DONE.wait(wait);
      io.provider->getTimer().afterDelay(watchSeconds * kj::SECONDS).wait(wait);
    } else {
      return usage("unknown command '" + verb + "' (login, buy, sell, cancel, status, orders, " +
                   "balance, positions, watch)");
    }
  } catch (const kj::Exception& e) {
    std::cerr << "triad-trader: " << connect << ": " << e.getDescription().cStr();
    if (!tlsFiles && e.getType() == kj::Exception::Type::DISCONNECTED) {
      std::cerr << " (a Gateway serving TLS drops plaintext clients: give --tls-ca)";
    }
    std::cerr << "\n";
    return kUnreachable;
  }
  return 0;
}
