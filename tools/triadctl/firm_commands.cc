#include "tools/triadctl/firm_commands.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <type_traits>

#include "exchange/decimal_text.h"
#include "tools/triadctl/admin_client.h"
#include "tools/triadctl/capnp_text.h"
#include "tools/triadctl/text_table.h"

namespace triad::ctl {
namespace {

using nlohmann::json;

const std::vector<std::string> kFirmCommands = {
    "accounts", "deposit", "withdraw", "route",  "routes",      "halt",    "resume",
    "settle",   "verify",  "audit",    "whoami", "withdrawals", "approve", "reject"};

// Nanoseconds since the epoch from "YYYY-MM-DDTHH:MM:SS" (UTC, or with a
// 'Z'), "YYYY-MM-DD", or a count of nanoseconds.
std::optional<int64_t> parseTime(const std::string& text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit) && text.size() > 8) {
    return std::stoll(text);
  }
  for (const char* format : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"}) {
    std::tm tm{};
    const char* end = ::strptime(text.c_str(), format, &tm);
    if (end != nullptr && (*end == 0 || std::string(end) == "Z")) {
      return static_cast<int64_t>(::timegm(&tm)) * 1'000'000'000;
    }
  }
  return std::nullopt;
}

std::string timeText(int64_t nanos) {
  const std::time_t seconds = static_cast<std::time_t>(nanos / 1'000'000'000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

// The audit trail, as the asked site's copy of the firm group holds it.
Outcome listAudit(AdminClient& admin, const CommandOptions& options) {
  auto request = admin->auditRequest();
  auto filter = request.initFilter();
  filter.setOperatorName(options.operatorName);
  filter.setAccount(options.account);
  filter.setCall(options.call);
  if (!options.from.empty()) {
    std::optional<int64_t> from = parseTime(options.from);
    if (!from) return failure(kExitUsage, "--from must be YYYY-MM-DDTHH:MM:SS (UTC)");
    filter.setFromNanos(*from);
  }
  if (!options.to.empty()) {
    std::optional<int64_t> to = parseTime(options.to);
    if (!to) return failure(kExitUsage, "--to must be YYYY-MM-DDTHH:MM:SS (UTC)");
    filter.setToNanos(*to);
  }
  filter.setLimit(options.limit);
  auto response = admin.call(kj::mv(request));
  Outcome outcome;
  json entries = json::array();
  TextTable table(
      {{"TIME"}, {"ID"}, {"OPERATOR"}, {"FROM"}, {"CALL"}, {"SUBJECT"}, {"RESULT"}, {"DETAIL"}});
  for (idl::AdminAudit::Reader entry : response.getEntries()) {
    entries.push_back({{"id", entry.getId().cStr()},
                       {"atNanos", entry.getAtNanos()},
                       {"time", timeText(entry.getAtNanos())},
                       {"operator", entry.getOperatorName().cStr()},
                       {"peer", entry.getPeer().cStr()},
                       {"call", entry.getCall().cStr()},
                       {"arguments", entry.getArguments().cStr()},
                       {"account", entry.getAccount().cStr()},
                       {"symbol", entry.getSymbol().cStr()},
                       {"ok", entry.getOk()},
                       {"errorCode", entry.getErrorCode().cStr()},
                       {"detail", entry.getDetail().cStr()},
                       {"postingId", entry.getPostingId().cStr()},
                       {"requestId", entry.getRequestId().cStr()},
                       {"site", entry.getSite().cStr()}});
    std::string subject = entry.getAccount().cStr();
    if (entry.getSymbol().size() > 0)
      subject += (subject.empty() ? "" : " ") + std::string(entry.getSymbol().cStr());
    std::string detail = entry.getDetail().cStr();
    if (entry.getPostingId().size() > 0)
      detail += " [posting " + std::string(entry.getPostingId().cStr()) + "]";
    table.add({timeText(entry.getAtNanos()), entry.getId(), entry.getOperatorName(),
               entry.getPeer(), entry.getCall(), subject.empty() ? "-" : subject,
               entry.getOk() ? "ok" : "refused: " + std::string(entry.getErrorCode().cStr()),
               detail});
  }
  outcome.data = {
      {"command", "audit"}, {"entries", entries}, {"truncated", response.getTruncated()}};
  outcome.text = table.render();
  if (response.getTruncated())
    outcome.text += "(older entries not shown; narrow with --from or raise --limit)\n";
  return outcome;
}

// Withdrawal requests waiting for a second treasury operator (or all).
Outcome listWithdrawals(AdminClient& admin, const CommandOptions& options, bool all) {
  auto request = admin->withdrawalsRequest();
  request.setAccount(options.account);
  request.setAll(all);
  auto response = admin.call(kj::mv(request));
  const int64_t now = response.getAsOfNanos();
  json requests = json::array();
  TextTable table({{"REQUEST"},
                   {"ACCOUNT"},
                   {"AMOUNT", true},
                   {"CURRENCY"},
                   {"ASKED BY"},
                   {"ASKED AT"},
                   {"EXPIRES"},
                   {"STATE"},
                   {"DECIDED BY"}});
  for (idl::WithdrawalRequest::Reader r : response.getRequests()) {
    std::string state = enumText(r.getState());
    if (r.getState() == idl::WithdrawalRequest::State::PENDING && r.getExpiresAtNanos() <= now) {
      state = "expired";
    }
    requests.push_back({{"id", r.getId().cStr()},
                        {"account", r.getAccount().cStr()},
                        {"amount", exchange::formatMicros(r.getAmountMicros())},
                        {"amountMicros", r.getAmountMicros()},
                        {"currency", r.getCurrency().cStr()},
                        {"reference", r.getReference().cStr()},
                        {"requestedBy", r.getRequestedBy().cStr()},
                        {"requestedAtNanos", r.getRequestedAtNanos()},
                        {"expiresAtNanos", r.getExpiresAtNanos()},
                        {"state", state},
                        {"decidedBy", r.getDecidedBy().cStr()},
                        {"reason", r.getReason().cStr()},
                        {"postingId", r.getPostingId().cStr()}});
    table.add({r.getId(), r.getAccount(), exchange::formatMicros(r.getAmountMicros()),
               r.getCurrency(), r.getRequestedBy(), timeText(r.getRequestedAtNanos()),
               timeText(r.getExpiresAtNanos()), state,
               r.getDecidedBy().size() > 0 ? std::string(r.getDecidedBy().cStr()) : "-"});
  }
  Outcome outcome;
  outcome.data = {{"command", "withdrawals"}, {"requests", requests}, {"asOfNanos", now}};
  outcome.text = table.render();
  return outcome;
}

// Who the daemon sees: the certificate's name, the roles the map gives it.
Outcome whoami(AdminClient& admin) {
  auto response = admin.call(admin->whoamiRequest());
  auto who = response.getOperator();
  std::vector<std::string> roles;
  for (capnp::Text::Reader role : who.getRoles()) roles.emplace_back(role);
  std::string roleText;
  for (const std::string& role : roles) roleText += (roleText.empty() ? "" : ", ") + role;
  Outcome outcome;
  outcome.data = {{"command", "whoami"},
                  {"operator", who.getName().cStr()},
                  {"roles", roles},
                  {"revoked", who.getRevoked().cStr()},
                  {"peer", who.getPeer().cStr()}};
  outcome.text = std::string(who.getName().cStr()) + " (" +
                 (roleText.empty() ? std::string("no roles") : roleText) + ") from " +
                 who.getPeer().cStr() +
                 (who.getRevoked().size() > 0 ? "; REVOKED: " + std::string(who.getRevoked().cStr())
                                              : std::string()) +
                 "\n";
  return outcome;
}

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
          if constexpr (std::is_same_v<decltype(response),
                                       capnp::Response<idl::Admin::WithdrawResults>>) {
            if (response.getPendingRequest().size() > 0) {
              done->data["pendingRequest"] = response.getPendingRequest().cStr();
            }
          }
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
  if (verb == "audit" && n == 1) return listAudit(firm.get(), options);
  if (verb == "withdrawals" && (n == 1 || (n == 2 && words[1] == "all"))) {
    return listWithdrawals(firm.get(), options, n == 2);
  }
  if (verb == "approve" && n == 2) {
    AdminClient& admin = firm.get();
    auto request = admin->approveWithdrawalRequest();
    request.setRequestId(words[1]);
    return answer(verb, admin.call(kj::mv(request)).getResult());
  }
  if (verb == "reject" && (n == 2 || n == 3)) {
    AdminClient& admin = firm.get();
    auto request = admin->rejectWithdrawalRequest();
    request.setRequestId(words[1]);
    if (n == 3) request.setReason(words[2]);
    return answer(verb, admin.call(kj::mv(request)).getResult());
  }
  if (verb == "whoami" && n == 1) return whoami(firm.get());
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
  // audit and whoami may ask any site (every site holds the firm group's trail).
  if ((words[0] == "audit" || words[0] == "whoami") && !options.utility.empty()) {
    firm = topology.findUtility(options.utility);
    if (firm == nullptr) return usageError("'" + options.utility + "' is not a utility");
  }
  const Endpoint endpoint{firm->id, firm->firmAddress, firm->adminPort, options.tls};
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
