#include "tools/triadctl/firm_commands.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "exchange/decimal_text.h"
#include "tools/triadctl/admin_client.h"
#include "tools/triadctl/capnp_text.h"
#include "tools/triadctl/text_table.h"

namespace triad::ctl {
namespace {

using nlohmann::json;

const std::vector<std::string> kFirmCommands = {
    "accounts", "deposit", "withdraw", "route", "routes", "halt", "resume", "settle", "verify"};

Outcome usageError(const std::string& message) { return failure(kExitUsage, message); }

// A deposit's or withdrawal's reference when the operator gives none: unique
// enough that two operators never pick the same one.
std::string newReference() {
  std::random_device random;
  std::ostringstream out;
  out << "triadctl-" << std::time(nullptr) << "-" << std::hex << random() << random();
  return out.str();
}

// The answer to a write: ok with what was done, or the firm's refusal.
Outcome answer(const std::string& command, idl::AdminResult::Reader result) {
  Outcome outcome;
  if (result.isError()) {
    const std::string code = enumText(result.getError().getCode());
    const std::string reason = result.getError().getReason();
    outcome.data = {{"command", command}, {"ok", false}, {"code", code}, {"reason", reason}};
    outcome.exitCode = kExitRefused;
    outcome.error = "refused (" + code + "): " + reason;
    return outcome;
  }
  const std::string done = result.getOk();
  outcome.data = {{"command", command}, {"ok", true}, {"message", done}};
  outcome.text = done + "\n";
  return outcome;
}

bool parseMoney(const std::string& text, int64_t* micros) {
  return exchange::parseDecimalMicros(text, *micros);
}

Outcome listAccounts(AdminClient& admin) {
  auto response = admin.call(admin->accountsRequest());
  Outcome outcome;
  json accounts = json::array();
  TextTable table({{"ACCOUNT"},
                   {"NAME"},
                   {"CURRENCY"},
                   {"MAX-NOTIONAL", true},
                   {"MAX-POSITION", true},
                   {"SYMBOLS"},
                   {"SHORT"},
                   {"DISABLED"}});
  for (idl::Account::Reader account : response.getAccounts()) {
    auto limits = account.getLimits();
    std::vector<std::string> symbols;
    for (capnp::Text::Reader symbol : limits.getAllowedSymbols()) symbols.emplace_back(symbol);
    accounts.push_back(
        {{"id", account.getId().cStr()},
         {"name", account.getName().cStr()},
         {"currency", account.getCurrency().cStr()},
         {"createdAtNanos", account.getCreatedAtNanos()},
         {"disabled", account.getDisabled()},
         {"limits",
          {{"maxOrderNotional", exchange::formatMicros(limits.getMaxOrderNotionalMicros())},
           {"maxOrderNotionalMicros", limits.getMaxOrderNotionalMicros()},
           {"maxPosition", limits.getMaxPosition()},
           {"allowedSymbols", symbols},
           {"allowShort", limits.getAllowShort()}}}});
    std::string symbolText;
    for (const std::string& symbol : symbols)
      symbolText += (symbolText.empty() ? "" : ",") + symbol;
    table.add({account.getId(), account.getName(), account.getCurrency(),
               limits.getMaxOrderNotionalMicros() == 0
                   ? "-"
                   : exchange::formatMicros(limits.getMaxOrderNotionalMicros()),
               limits.getMaxPosition() == 0 ? "-" : std::to_string(limits.getMaxPosition()),
               symbolText.empty() ? "all" : symbolText, limits.getAllowShort() ? "yes" : "no",
               account.getDisabled() ? "yes" : "no"});
  }
  outcome.data = {{"command", "accounts"}, {"accounts", accounts}};
  outcome.text = table.render();
  return outcome;
}

Outcome listRoutes(AdminClient& admin) {
  auto response = admin.call(admin->routesRequest());
  Outcome outcome;
  json routes = json::array();
  TextTable table({{"SYMBOL"}, {"STREET"}, {"VENUE"}, {"CURRENCY"}, {"LAST", true}});
  for (idl::VenueRoute::Reader route : response.getRoutes()) {
    routes.push_back({{"symbol", route.getSymbol().cStr()},
                      {"street", route.getStreet().cStr()},
                      {"venue", route.getVenue().cStr()},
                      {"currency", route.getCurrency().cStr()},
                      {"lastPrice", exchange::formatMicros(route.getLastPriceMicros())},
                      {"lastPriceMicros", route.getLastPriceMicros()}});
    table.add({route.getSymbol(), route.getStreet(), route.getVenue(), route.getCurrency(),
               route.getLastPriceMicros() == 0
                   ? "-"
                   : exchange::formatMicros(route.getLastPriceMicros())});
  }
  outcome.data = {{"command", "routes"}, {"routes", routes}};
  outcome.text = table.render();
  return outcome;
}

Outcome verify(AdminClient& admin) {
  auto response = admin.call(admin->verifyRequest());
  auto report = response.getReport();
  Outcome outcome;
  std::vector<std::string> findings;
  for (capnp::Text::Reader finding : report.getFindings()) {
    findings.emplace_back(finding);
    outcome.text += std::string(finding) + "\n";
  }
  outcome.text += std::string(report.getClean() ? "clean" : "NOT CLEAN") + ": " +
                  std::to_string(report.getExecutionsBooked()) + " executions booked\n";
  outcome.data = {{"command", "verify"},
                  {"clean", report.getClean()},
                  {"findings", findings},
                  {"executionsBooked", report.getExecutionsBooked()}};
  if (!report.getClean()) {
    outcome.exitCode = kExitRefused;
    outcome.error = "the books are not clean: " + std::to_string(findings.size()) + " findings";
  }
  return outcome;
}

// The firm's Admin, connected on first use: a usage error is found before
// any connection, so that it is exit 2 even when the firm is down.
class FirmConnection {
 public:
  FirmConnection(kj::AsyncIoContext& io, Endpoint endpoint, const CommandOptions& options)
      : io_(io), endpoint_(std::move(endpoint)), options_(options) {}

  AdminClient& get() {
    if (!client_) client_.emplace(io_, endpoint_, options_.timeout, options_.writeTimeout);
    return *client_;
  }
  bool connected() const { return client_.has_value(); }

 private:
  kj::AsyncIoContext& io_;
  const Endpoint endpoint_;
  const CommandOptions& options_;
  std::optional<AdminClient> client_;
};

// Runs the command; a usage error before any call.
Outcome run(FirmConnection& firm, const std::vector<std::string>& words,
            const CommandOptions& options) {
  const std::string& verb = words[0];
  const size_t n = words.size();
  if (verb == "accounts" && n == 1) return listAccounts(firm.get());
  if (verb == "accounts" && n == 3 && words[1] == "create") {
    if (options.secret.empty()) return usageError("accounts create needs --secret");
    AdminClient& admin = firm.get();
    auto request = admin->createAccountRequest();
    auto account = request.initRequest();
    account.setId(words[2]);
    account.setName(options.name.empty() ? words[2] : options.name);
    account.setSecret(options.secret);
    account.setCurrency(options.currency);
    return answer("accounts create", admin.call(kj::mv(request)).getResult());
  }
  if (verb == "accounts" && n == 3 && words[1] == "limits") {
    int64_t notional = 0;
    if (options.maxNotional && !parseMoney(*options.maxNotional, &notional)) {
      return usageError("--max-notional must be a decimal amount like 50000.00");
    }
    AdminClient& admin = firm.get();
    auto request = admin->setLimitsRequest();
    request.setAccount(words[2]);
    auto limits = request.initLimits();
    limits.setMaxOrderNotionalMicros(notional);
    limits.setMaxPosition(options.maxPosition.value_or(0));
    limits.setAllowShort(options.allowShort);
    auto symbols = limits.initAllowedSymbols(static_cast<unsigned>(options.allowedSymbols.size()));
    for (unsigned i = 0; i < options.allowedSymbols.size(); ++i) {
      symbols.set(i, options.allowedSymbols[i]);
    }
    return answer("accounts limits", admin.call(kj::mv(request)).getResult());
  }
  if ((verb == "deposit" || verb == "withdraw") && n == 3) {
    int64_t amount = 0;
    if (!parseMoney(words[2], &amount) || amount <= 0) {
      return usageError("the amount must be a positive decimal like 1000.00");
    }
    // The reference makes a retry safe: notReplicated may mean "posted, not
    // yet acknowledged", and the same reference never posts twice.
    const std::string reference = options.reference.empty() ? newReference() : options.reference;
    AdminClient& admin = firm.get();
    constexpr int kAttempts = 5;
    for (int attempt = 1;; ++attempt) {
      auto post = [&](auto request) {
        request.setAccount(words[1]);
        request.setCurrency(options.currency);
        request.setAmountMicros(amount);
        request.setReference(reference);
        auto response = admin.call(kj::mv(request));
        auto result = response.getResult();
        std::optional<Outcome> done;
        if (!result.isError() || result.getError().getCode() != idl::ErrorCode::NOT_REPLICATED ||
            attempt == kAttempts) {
          done = answer(verb, result);
          done->data["reference"] = reference;
          if (done->exitCode != 0) done->error += " (reference " + reference + ")";
        }
        return done;
      };
      std::optional<Outcome> done =
          verb == "deposit" ? post(admin->depositRequest()) : post(admin->withdrawRequest());
      if (done) return *done;
      std::cerr << "triadctl: not replicated yet; retrying with reference " << reference << "\n";
      std::this_thread::sleep_for(std::chrono::seconds(attempt));
    }
  }
  if (verb == "route" && n == 4) {
    int64_t lastPrice = 0;
    if (!options.last.empty() && !parseMoney(options.last, &lastPrice)) {
      return usageError("--last must be a decimal price like 100.00");
    }
    AdminClient& admin = firm.get();
    auto request = admin->setRouteRequest();
    auto route = request.initRoute();
    route.setSymbol(words[1]);
    route.setStreet(words[2]);
    route.setVenue(words[3]);
    route.setCurrency(options.currency);
    route.setLastPriceMicros(lastPrice);
    return answer(verb, admin.call(kj::mv(request)).getResult());
  }
  if (verb == "routes" && n == 1) return listRoutes(firm.get());
  if (verb == "halt" && n == 3) {
    AdminClient& admin = firm.get();
    auto request = admin->haltRequest();
    request.setSymbol(words[1]);
    request.setReason(words[2]);
    return answer(verb, admin.call(kj::mv(request)).getResult());
  }
  if (verb == "resume" && n == 2) {
    AdminClient& admin = firm.get();
    auto request = admin->resumeRequest();
    request.setSymbol(words[1]);
    return answer(verb, admin.call(kj::mv(request)).getResult());
  }
  if (verb == "settle" && n <= 2) {
    int32_t date = 0;
    if (n == 2) {
      const std::string& text = words[1];
      if (text.size() != 8 || !std::all_of(text.begin(), text.end(), ::isdigit)) {
        return usageError("settle takes a trade date as YYYYMMDD");
      }
      date = std::stoi(text);
    }
    AdminClient& admin = firm.get();
    auto request = admin->settleRequest();
    request.setThroughTradeDate(date);
    return answer(verb, admin.call(kj::mv(request)).getResult());
  }
  if (verb == "verify" && n == 1) return verify(firm.get());
  return usageError("bad arguments for '" + verb + "' (see triadctl --help)");
}

}  // namespace

bool isFirmCommand(const std::string& verb) {
  return std::find(kFirmCommands.begin(), kFirmCommands.end(), verb) != kFirmCommands.end();
}

Outcome runFirmCommand(kj::AsyncIoContext& io, const topology::Topology& topology,
                       const std::vector<std::string>& words, const CommandOptions& options) {
  const topology::Utility* firm = nullptr;
  for (const topology::Utility& utility : topology.utilities()) {
    if (utility.role == topology::Role::kFirm) firm = &utility;
  }
  if (firm == nullptr) return usageError("the topology has no firm utility");
  const Endpoint endpoint{firm->id, firm->firmAddress, firm->adminPort};
  Outcome outcome;
  // Connecting is quick or never (--timeout-ms); a write may wait for a
  // replica's acknowledgement (writeTimeout).
  FirmConnection connection(io, endpoint, options);
  KJ_IF_MAYBE (exception,
               kj::runCatchingExceptions([&] { outcome = run(connection, words, options); })) {
    const bool connected = connection.connected();
    const kj::Duration waited = connected ? options.writeTimeout : options.timeout;
    if (!connected || isUnreachable(*exception)) {
      return failure(kExitUnreachable,
                     "the firm utility " + firm->id + " at " + endpoint.text() +
                         " did not answer: " + describeFailure(*exception, waited));
    }
    return failure(kExitRefused, "the firm utility " + firm->id +
                                     " failed: " + describeFailure(*exception, waited));
  }
  return outcome;
}

}  // namespace triad::ctl
