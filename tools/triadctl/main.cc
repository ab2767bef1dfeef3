// triadctl: the operator's console (issue 6). Speaks Admin to the daemons on
// the firm-side network, at the addresses the topology gives.
//
//   triadctl [--topology FILE] status
//   triadctl accounts | accounts create ID --secret S [--name N] [--currency USD]
//   triadctl deposit|withdraw ACCOUNT AMOUNT [--currency USD] [--reference REF]
//   triadctl route SYMBOL STREET VENUE [--currency USD] [--last PRICE] | routes
//   triadctl halt SYMBOL REASON | resume SYMBOL | settle [YYYYMMDD] | verify
//
// Exit codes: 0 done (status: everything up and caught up); 1 refused, or
// status found something down or behind; 2 bad usage; 3 the firm utility
// does not answer. A daemon that does not answer within --timeout-ms is
// shown as down; the console never hangs on it.

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "exchange/decimal_text.h"
#include "idl/admin.capnp.h"
#include "utilities/common/topology.h"

namespace po = boost::program_options;
using namespace triad;

namespace {

constexpr int kRefused = 1;
constexpr int kUsage = 2;
constexpr int kUnreachable = 3;

int usage(const std::string& message) {
  std::cerr << "triadctl: " << message << "\n";
  return kUsage;
}

// One Admin connection with a deadline on every call.
class Admin {
 public:
  Admin(kj::AsyncIoContext& io, const std::string& host, uint16_t port, kj::Duration timeout)
      : io_(io), timeout_(timeout) {
    stream_ = timed(io.provider->getNetwork()
                        .parseAddress(host, port)
                        .then([](kj::Own<kj::NetworkAddress> a) { return a->connect(); }))
                  .wait(io.waitScope);
    client_ = kj::heap<capnp::TwoPartyClient>(*stream_);
    admin_ = client_->bootstrap().castAs<idl::Admin>();
  }

  idl::Admin::Client& operator*() { return admin_; }
  idl::Admin::Client* operator->() { return &admin_; }

  template <typename Params, typename Results>
  capnp::Response<Results> call(capnp::Request<Params, Results>&& request) {
    return timed(request.send()).wait(io_.waitScope);
  }

 private:
  template <typename T>
  kj::Promise<T> timed(kj::Promise<T> promise) {
    return io_.provider->getTimer().timeoutAfter(timeout_, kj::mv(promise));
  }

  kj::AsyncIoContext& io_;
  kj::Duration timeout_;
  kj::Own<kj::AsyncIoStream> stream_;
  kj::Own<capnp::TwoPartyClient> client_;
  idl::Admin::Client admin_ = nullptr;
};

// A deposit's or withdrawal's reference when the operator gives none:
// unique enough that two operators never pick the same one.
std::string newReference() {
  std::random_device random;
  std::ostringstream out;
  out << "triadctl-" << std::time(nullptr) << "-" << std::hex << random() << random();
  return out.str();
}

int answer(idl::AdminResult::Reader result) {
  if (result.isError()) {
    std::cerr << "refused: " << result.getError().getReason().cStr() << "\n";
    return kRefused;
  }
  std::cout << result.getOk().cStr() << "\n";
  return 0;
}

std::string roleName(idl::ReplicationRole role) {
  switch (role) {
    case idl::ReplicationRole::MASTER:
      return "master";
    case idl::ReplicationRole::CLIENT:
      return "client";
    case idl::ReplicationRole::INITIALISING:
      return "initialising";
    case idl::ReplicationRole::DOWN:
      return "down";
  }
  return "?";
}

// status: every utility's health and every group at every site, with lag
// against the owner's own report.
int status(kj::AsyncIoContext& io, const topology::Topology& topology, kj::Duration timeout) {
  struct Row {
    std::string site, group, role, master;
    uint64_t commit = 0;
    int64_t lastCommitNanos = 0;
    std::string lsn;
  };
  std::vector<Row> rows;
  bool healthy = true;
  std::cout << std::left << std::setw(8) << "SITE" << std::setw(9) << "STATE" << std::setw(10)
            << "VERSION"
            << "PROBLEMS\n";
  for (const topology::Utility& site : topology.utilities()) {
    std::string state = "down", version = "-", problems;
    KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] {
                   Admin admin(io, site.firmAddress, site.adminPort, timeout);
                   // Readers point into their response: keep each one alive.
                   auto healthResponse = admin.call(admin->healthRequest());
                   auto health = healthResponse.getHealth();
                   state = health.getReady() ? "ready" : "starting";
                   version = health.getVersion();
                   for (auto problem : health.getProblems()) {
                     problems += std::string(problems.empty() ? "" : "; ") + problem.cStr();
                   }
                   auto groups = admin.call(admin->groupsRequest());
                   for (auto group : groups.getGroups()) {
                     rows.push_back({site.id, group.getGroup(), roleName(group.getRole()),
                                     group.getMaster(), group.getCommitSequence(),
                                     group.getLastCommitNanos(),
                                     std::to_string(group.getLsn().getFile()) + "/" +
                                         std::to_string(group.getLsn().getOffset())});
                   }
                 })) {
      problems = "no answer: " + std::string(exception->getDescription().cStr());
    }
    healthy = healthy && state == "ready" && problems.empty();
    std::cout << std::left << std::setw(8) << site.id << std::setw(9) << state << std::setw(10)
              << version << (problems.empty() ? "-" : problems) << "\n";
  }
  std::cout << "\n"
            << std::left << std::setw(8) << "GROUP" << std::setw(8) << "SITE" << std::setw(14)
            << "ROLE" << std::setw(8) << "MASTER" << std::right << std::setw(10) << "COMMIT"
            << std::setw(12) << "LSN" << std::setw(10) << "LAG"
            << "\n";
  for (const topology::Utility& group : topology.utilities()) {
    uint64_t ownerCommit = 0;
    for (const Row& row : rows) {
      if (row.group == group.id && row.site == group.id) ownerCommit = row.commit;
    }
    for (const Row& row : rows) {
      if (row.group != group.id) continue;
      const uint64_t lag = ownerCommit > row.commit ? ownerCommit - row.commit : 0;
      const bool behind = lag > 0 || row.role == "down" || row.role == "initialising";
      healthy = healthy && !behind;
      std::cout << std::left << std::setw(8) << row.group << std::setw(8) << row.site
                << std::setw(14) << row.role << std::setw(8) << row.master << std::right
                << std::setw(10) << row.commit << std::setw(12) << row.lsn << std::setw(10)
                << (lag > 0 ? std::to_string(lag) + " !" : "0") << "\n";
    }
  }
  return healthy ? 0 : kRefused;
}

}  // namespace

int main(int argc, char** argv) {
  std::string topologyPath = "/etc/triad/topology.conf", secret, name, currency = "USD", last,
              reference;
  int timeoutMs = 1500;
  std::vector<std::string> command;
  po::options_description options("triadctl options");
  options.add_options()("help", "show this help")("topology", po::value(&topologyPath),
                                                  "the topology file")(
      "timeout-ms", po::value(&timeoutMs), "how long to wait for a daemon's answer")(
      "secret", po::value(&secret), "accounts create: the account's secret")(
      "name", po::value(&name), "accounts create: the holder's name")(
      "currency", po::value(&currency), "currency (default USD)")(
      "last", po::value(&last), "route: reference price for market-order reservations")(
      "reference", po::value(&reference),
      "deposit/withdraw: the posting's reference (default: a new one); reusing it never posts "
      "twice")("command", po::value(&command), "the command and its arguments");
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
  auto loaded = topology::Topology::load(topologyPath);
  if (auto* error = std::get_if<topology::TopologyError>(&loaded)) return usage(error->message);
  const auto& topology = std::get<topology::Topology>(loaded);
  kj::AsyncIoContext io = kj::setupAsyncIo();
  const kj::Duration timeout = timeoutMs * kj::MILLISECONDS;
  const std::string& verb = command[0];
  if (verb == "status") return status(io, topology, timeout);

  const topology::Utility* firm = nullptr;
  for (const topology::Utility& utility : topology.utilities()) {
    if (utility.role == topology::Role::kFirm) firm = &utility;
  }
  auto money = [](const std::string& text, int64_t* micros) {
    return exchange::parseDecimalMicros(text, *micros);
  };
  int result = kUsage;
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] {
                 // Writes can wait for a replica's acknowledgement and an Argon2id hash.
                 Admin admin(io, firm->firmAddress, firm->adminPort, 30 * kj::SECONDS);
                 if (verb == "accounts" && command.size() == 1) {
                   auto accounts = admin.call(admin->accountsRequest());
                   for (auto account : accounts.getAccounts()) {
                     std::cout << std::left << std::setw(16) << account.getId().cStr()
                               << std::setw(6) << account.getCurrency().cStr()
                               << account.getName().cStr() << "\n";
                   }
                   result = 0;
                 } else if (verb == "accounts" && command.size() == 3 && command[1] == "create") {
                   if (secret.empty()) {
                     result = usage("accounts create needs --secret");
                     return;
                   }
                   auto request = admin->createAccountRequest();
                   auto account = request.initRequest();
                   account.setId(command[2]);
                   account.setName(name.empty() ? command[2] : name);
                   account.setSecret(secret);
                   account.setCurrency(currency);
                   result = answer(admin.call(kj::mv(request)).getResult());
                 } else if ((verb == "deposit" || verb == "withdraw") && command.size() == 3) {
                   int64_t amount = 0;
                   if (!money(command[2], &amount)) {
                     result = usage("amount must be a decimal like 1000.00");
                     return;
                   }
                   // The reference makes a retry safe: a notReplicated answer may
                   // mean "posted, unacknowledged", and the same reference never
                   // posts twice.
                   if (reference.empty()) reference = newReference();
                   constexpr int kAttempts = 5;
                   auto post = [&](auto request, int attempt) {
                     request.setAccount(command[1]);
                     request.setCurrency(currency);
                     request.setAmountMicros(amount);
                     request.setReference(reference);
                     auto response = admin.call(kj::mv(request));
                     auto posted = response.getResult();
                     if (posted.isError() &&
                         posted.getError().getCode() == idl::ErrorCode::NOT_REPLICATED &&
                         attempt < kAttempts) {
                       std::cerr << "triadctl: not replicated yet; retrying with reference "
                                 << reference << "\n";
                       std::this_thread::sleep_for(std::chrono::seconds(attempt));
                       return false;
                     }
                     result = answer(posted);
                     if (result != 0) std::cerr << "reference: " << reference << "\n";
                     return true;
                   };
                   for (int attempt = 1;; ++attempt) {
                     if (verb == "deposit" ? post(admin->depositRequest(), attempt)
                                           : post(admin->withdrawRequest(), attempt)) {
                       break;
                     }
                   }
                 } else if (verb == "route" && command.size() == 4) {
                   int64_t lastPrice = 0;
                   if (!last.empty() && !money(last, &lastPrice)) {
                     result = usage("--last must be a decimal price");
                     return;
                   }
                   auto request = admin->setRouteRequest();
                   auto route = request.initRoute();
                   route.setSymbol(command[1]);
                   route.setStreet(command[2]);
                   route.setVenue(command[3]);
                   route.setCurrency(currency);
                   route.setLastPriceMicros(lastPrice);
                   result = answer(admin.call(kj::mv(request)).getResult());
                 } else if (verb == "routes" && command.size() == 1) {
                   auto routes = admin.call(admin->routesRequest());
                   for (auto route : routes.getRoutes()) {
                     std::cout << std::left << std::setw(8) << route.getSymbol().cStr()
                               << std::setw(6) << route.getStreet().cStr() << std::setw(6)
                               << route.getVenue().cStr() << route.getCurrency().cStr() << "\n";
                   }
                   result = 0;
                 } else if (verb == "halt" && command.size() == 3) {
                   auto request = admin->haltRequest();
                   request.setSymbol(command[1]);
                   request.setReason(command[2]);
                   result = answer(admin.call(kj::mv(request)).getResult());
                 } else if (verb == "resume" && command.size() == 2) {
                   auto request = admin->resumeRequest();
                   request.setSymbol(command[1]);
                   result = answer(admin.call(kj::mv(request)).getResult());
                 } else if (verb == "settle" && command.size() <= 2) {
                   auto request = admin->settleRequest();
                   request.setThroughTradeDate(command.size() == 2 ? std::stoi(command[1]) : 0);
                   result = answer(admin.call(kj::mv(request)).getResult());
                 } else if (verb == "verify" && command.size() == 1) {
                   auto verified = admin.call(admin->verifyRequest());
                   auto report = verified.getReport();
                   for (auto finding : report.getFindings()) std::cout << finding.cStr() << "\n";
                   std::cout << (report.getClean() ? "clean" : "NOT CLEAN") << ": "
                             << report.getExecutionsBooked() << " executions booked\n";
                   result = report.getClean() ? 0 : kRefused;
                 } else {
                   result = usage("unknown command (status, accounts, deposit, withdraw, route, " +
                                  std::string("routes, halt, resume, settle, verify)"));
                 }
               })) {
    std::cerr << "triadctl: the firm utility at " << firm->firmAddress << ":" << firm->adminPort
              << " did not answer: " << exception->getDescription().cStr() << "\n";
    return kUnreachable;
  }
  return result;
}
