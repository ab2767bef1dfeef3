#include "utilities/firm/firm_admin.h"

#include <capnp/message.h>
#include <capnp/orphan.h>
#include <kj/vector.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "bdb/table.h"
#include "exchange/decimal_text.h"
#include "utilities/common/echo.h"
#include "utilities/common/pending_withdrawals.h"
#include "utilities/common/tables.h"
#include "utilities/firm/money.h"

namespace triad::firm {
namespace {

constexpr int64_t kNanosPerDay = int64_t{86'400} * 1'000'000'000;
// The most of an Admin call's parameters an audit entry keeps.
constexpr size_t kMaxAuditArguments = 2048;

std::string_view view(capnp::Text::Reader text) { return {text.begin(), text.size()}; }

capnp::Text::Reader text(std::string_view s) { return capnp::Text::Reader(s.data(), s.size()); }

int64_t systemNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template <typename T>
const Error* errorOf(const Result<T>& result) {
  return result.isOk() ? nullptr : &result.error();
}

Error invalid(std::string reason) {
  return Error::refused(idl::ErrorCode::INVALID_ARGUMENT, std::move(reason));
}

// A list or report call has no error field: it fails with the reason.
kj::Promise<void> failWith(const Error& error) {
  return common::callRefusal(error.code, error.reason);
}

// Copies every record of `table` (in key order) into `scratch`, through `edit`.
template <typename T, typename Edit>
Result<kj::Vector<capnp::Orphan<T>>> copyTable(bdb::OwnershipGroup& group,
                                               const bdb::Table<T>& table,
                                               capnp::MallocMessageBuilder& scratch, Edit&& edit) {
  kj::Vector<capnp::Orphan<T>> records;
  bdb::Status s = table.scan(group, "", [&](std::string_view, typename T::Reader record) {
    capnp::Orphan<T> copy = scratch.getOrphanage().newOrphanCopy(record);
    edit(copy.get());
    records.add(kj::mv(copy));
    return true;
  });
  if (!s.isOk()) return Error::fromStorage(std::move(s));
  return records;
}

// " (posting P, reference R); cash C, settled S", and whether it is a repeat.
std::string postingDone(const CashPosting& posted, std::string_view reference) {
  std::string done = " (posting " + posted.postingId;
  if (!reference.empty()) done += ", reference " + std::string(reference);
  done += "); cash " + formatMicros(posted.tradeDateMicros) + ", settled " +
          formatMicros(posted.settledMicros);
  if (posted.repeat) done += "; a repeat: nothing new was posted";
  return done;
}

std::string countOf(size_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

}  // namespace

std::vector<bdb::OwnershipGroup*> streetReplicas(common::SiteStorage& storage,
                                                 const topology::Topology& topology) {
  std::vector<bdb::OwnershipGroup*> streets;
  for (const auto& group : storage.groups()) {
    const topology::Utility* owner = topology.findUtility(group->name());
    if (owner != nullptr && owner->role == topology::Role::kStreet) streets.push_back(group.get());
  }
  return streets;
}

void addFourEyesOptions(boost::program_options::options_description& options) {
  namespace po = boost::program_options;
  options.add_options()  //
      ("four-eyes-above",
       po::value<std::string>()->default_value("0")->notifier([](const std::string& v) {
         int64_t micros = 0;
         if (!exchange::parseDecimalMicros(v, micros) || micros < 0) {
           throw po::validation_error(po::validation_error::invalid_option_value, "four-eyes-above",
                                      v);
         }
       }),
       "a withdrawal above this amount (e.g. 10000.00) waits for a second treasury operator's "
       "approval; 0: never")  //
      ("withdrawal-request-ttl-s",
       po::value<int64_t>()->default_value(86'400)->notifier([](int64_t v) {
         if (v <= 0) {
           throw po::validation_error(po::validation_error::invalid_option_value,
                                      "withdrawal-request-ttl-s", std::to_string(v));
         }
       }),
       "how long a withdrawal request waits for its approval before it expires");
}

FourEyesOptions fourEyesOptionsFrom(const boost::program_options::variables_map& variables) {
  // Checked when the options were parsed (addFourEyesOptions' notifiers).
  FourEyesOptions options;
  exchange::parseDecimalMicros(variables["four-eyes-above"].as<std::string>(), options.aboveMicros);
  options.ttlNanos = variables["withdrawal-request-ttl-s"].as<int64_t>() * 1'000'000'000;
  return options;
}

int32_t previousTradeDate(int64_t nanosSinceEpoch) {
  return tradeDateOf(nanosSinceEpoch - kNanosPerDay);
}

FirmAdmin::FirmAdmin(common::DaemonIdentity identity, common::SiteStorage& storage,
                     common::ServiceHealth& health, Parts parts)
    : AdminServer(std::move(identity), &storage, health),
      books_(parts.books),
      topology_(parts.topology),
      logger_(parts.logger),
      nowNanos_(parts.nowNanos ? std::move(parts.nowNanos) : systemNanos),
      fourEyes_(parts.fourEyes),
      streetReplicas_(streetReplicas(storage, parts.topology)) {
  KJ_REQUIRE(&books_.group() == &storage.owned(), "the books must write this site's own group",
             books_.group().name(), storage.owned().name());
}

common::AuditStamp FirmAdmin::stampFor(std::string_view call, std::string arguments,
                                       std::string_view account, std::string_view symbol) const {
  common::AuditStamp stamp;
  stamp.operatorName = caller().name;
  stamp.peer = caller().peer;
  stamp.call = call;
  // The caller's words, clipped: a megabyte argument must not become a
  // megabyte of replicated trail.
  stamp.arguments = arguments.size() <= kMaxAuditArguments
                        ? std::move(arguments)
                        : arguments.substr(0, kMaxAuditArguments) + "... (" +
                              std::to_string(arguments.size()) + " bytes)";
  stamp.account = account.size() <= 64 ? std::string(account) : common::echo(account, 64);
  stamp.symbol = symbol.size() <= 64 ? std::string(symbol) : common::echo(symbol, 64);
  stamp.site = identity().id;
  return stamp;
}

void FirmAdmin::answer(idl::AdminResult::Builder result, std::string_view method,
                       std::string_view subject, const Error* error, std::string_view done,
                       common::AuditStamp& audit) {
  const std::string event = "admin-" + std::string(method);
  // The subject is the caller's (an account id, a symbol): clipped for the log.
  const std::string clipped = common::echo(subject, 80);
  subject = clipped;
  if (error == nullptr) {
    result.setOk(text(done));
    logger_.info(event, {{"subject", subject},
                         {"result", "ok"},
                         {"detail", done},
                         {"operator", audit.operatorName},
                         {"audit", audit.id}});
    return;
  }
  common::setAdminError(result, error->code, error->reason);
  if (!error->isStorage()) {
    Result<> recorded = books_.recordRefusal(audit, *error);
    if (!recorded.isOk()) {
      logger_.error("audit-failed", {{"call", audit.call}, {"reason", recorded.error().reason}});
    }
  }
  logger_.log(error->isStorage() ? base::LogLevel::kError : base::LogLevel::kWarning, event,
              {{"subject", subject},
               {"result", "refused"},
               {"code", errorCodeName(error->code)},
               {"reason", error->reason},
               {"operator", audit.operatorName},
               {"audit", audit.id}});
}

// ---- Accounts and cash ----

kj::Promise<void> FirmAdmin::createAccount(CreateAccountContext context) {
  idl::AccountRequest::Reader request = context.getParams().getRequest();
  const std::string_view id = view(request.getId());
  const std::string_view currency = view(request.getCurrency());
  // The secret never reaches the trail.
  capnp::MallocMessageBuilder redacted;
  redacted.setRoot(context.getParams());
  redacted.getRoot<idl::Admin::CreateAccountParams>().getRequest().setSecret("(redacted)");
  common::AuditStamp audit = stampFor(
      "createAccount",
      kj::str(redacted.getRoot<idl::Admin::CreateAccountParams>().asReader()).cStr(), id, "");
  audit.detail = "account " + std::string(id) + " created in " + std::string(currency);
  Result<> created = books_.createAccount(id, view(request.getName()), view(request.getSecret()),
                                          currency, request.getLimits(), &audit);
  answer(context.getResults().initResult(), "createAccount", id, errorOf(created), audit.detail,
         audit);
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::accounts(AccountsContext context) {
  capnp::MallocMessageBuilder scratch;
  auto found =
      copyTable(books_.group(), tables::kAccounts, scratch, [](idl::Account::Builder account) {
        // The hash stays in the firm's storage.
        (void)account.disownSecretHash();
      });
  if (!found.isOk()) return failWith(found.error());
  const kj::Vector<capnp::Orphan<idl::Account>>& records = found.value();
  auto out = context.getResults().initAccounts(static_cast<unsigned>(records.size()));
  for (unsigned i = 0; i < records.size(); ++i) out.setWithCaveats(i, records[i].getReader());
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::setLimits(SetLimitsContext context) {
  const std::string_view account = view(context.getParams().getAccount());
  common::AuditStamp audit =
      stampFor("setLimits", kj::str(context.getParams()).cStr(), account, "");
  audit.detail = "limits of " + std::string(account) + " set";
  Result<> set = books_.setLimits(account, context.getParams().getLimits(), &audit);
  answer(context.getResults().initResult(), "setLimits", account, errorOf(set), audit.detail,
         audit);
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::deposit(DepositContext context) {
  auto params = context.getParams();
  const std::string_view account = view(params.getAccount());
  const std::string_view currency = view(params.getCurrency());
  const std::string_view reference = view(params.getReference());
  common::AuditStamp audit = stampFor("deposit", kj::str(params).cStr(), account, "");
  audit.detail = "deposit " + formatMicros(params.getAmountMicros()) + " " + std::string(currency) +
                 " to " + std::string(account);
  Result<CashPosting> posted =
      books_.deposit(account, currency, params.getAmountMicros(), reference, &audit);
  std::string done;
  if (posted.isOk()) {
    done = "deposited " + formatMicros(params.getAmountMicros()) + " " + std::string(currency) +
           " to " + std::string(account) + postingDone(posted.value(), reference);
  }
  answer(context.getResults().initResult(), "deposit", account, errorOf(posted), done, audit);
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::withdraw(WithdrawContext context) {
  auto params = context.getParams();
  const std::string_view account = view(params.getAccount());
  const std::string_view currency = view(params.getCurrency());
  const std::string_view reference = view(params.getReference());
  const int64_t amount = params.getAmountMicros();
  common::AuditStamp audit = stampFor("withdraw", kj::str(params).cStr(), account, "");
  audit.detail = "withdraw " + formatMicros(amount) + " " + std::string(currency) + " from " +
                 std::string(account);
  if (fourEyes_.aboveMicros > 0 && amount > fourEyes_.aboveMicros) {
    // Four eyes: a request, which a second treasury operator approves.
    audit.detail = "request to " + audit.detail + " (above " + formatMicros(fourEyes_.aboveMicros) +
                   ": a second treasury operator approves)";
    Result<WithdrawalRequested> requested =
        books_.requestWithdrawal(account, currency, amount, reference, audit.operatorName,
                                 nowNanos_() + fourEyes_.ttlNanos, &audit);
    std::string done;
    if (requested.isOk()) {
      done = "withdrawal of " + formatMicros(amount) + " " + std::string(currency) + " from " +
             std::string(account) + " waits for a second treasury operator: request " +
             requested.value().requestId + " (triadctl approve " + requested.value().requestId +
             ")";
      context.getResults().setPendingRequest(requested.value().requestId);
    }
    answer(context.getResults().initResult(), "withdraw", account, errorOf(requested), done, audit);
    return kj::READY_NOW;
  }
  Result<CashPosting> posted = books_.withdraw(account, currency, amount, reference, &audit);
  std::string done;
  if (posted.isOk()) {
    done = "withdrew " + formatMicros(amount) + " " + std::string(currency) + " from " +
           std::string(account) + postingDone(posted.value(), reference);
  }
  answer(context.getResults().initResult(), "withdraw", account, errorOf(posted), done, audit);
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::approveWithdrawal(ApproveWithdrawalContext context) {
  const std::string_view requestId = view(context.getParams().getRequestId());
  common::AuditStamp audit =
      stampFor("approveWithdrawal", kj::str(context.getParams()).cStr(), "", "");
  audit.detail = "approve withdrawal request " + std::string(requestId);
  Result<CashPosting> posted = books_.approveWithdrawal(requestId, audit.operatorName, &audit);
  std::string done;
  if (posted.isOk()) {
    done = "approved withdrawal request " + std::string(requestId) + " of " + audit.account +
           postingDone(posted.value(), "");
  }
  answer(context.getResults().initResult(), "approveWithdrawal", requestId, errorOf(posted), done,
         audit);
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::rejectWithdrawal(RejectWithdrawalContext context) {
  const std::string_view requestId = view(context.getParams().getRequestId());
  const std::string_view reason = view(context.getParams().getReason());
  common::AuditStamp audit =
      stampFor("rejectWithdrawal", kj::str(context.getParams()).cStr(), "", "");
  audit.detail = "reject withdrawal request " + std::string(requestId) +
                 (reason.empty() ? std::string() : ": " + std::string(reason));
  Result<> rejected = books_.rejectWithdrawal(requestId, audit.operatorName, reason, &audit);
  answer(context.getResults().initResult(), "rejectWithdrawal", requestId, errorOf(rejected),
         "rejected withdrawal request " + std::string(requestId), audit);
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::withdrawals(WithdrawalsContext context) {
  const std::string_view account = view(context.getParams().getAccount());
  const bool all = context.getParams().getAll();
  const int64_t now = nowNanos_();
  capnp::MallocMessageBuilder scratch;
  kj::Vector<capnp::Orphan<idl::WithdrawalRequest>> records;
  auto keep = [&](idl::WithdrawalRequest::Reader request) {
    if (!all && !common::holdsCash(request, now)) return true;
    records.add(scratch.getOrphanage().newOrphanCopy(request));
    return true;
  };
  bdb::Status s =
      account.empty()
          ? tables::kWithdrawalRequests.scan(
                books_.group(), "",
                [&](std::string_view, idl::WithdrawalRequest::Reader request) {
                  return keep(request);
                })
          : tables::kWithdrawalRequests.scanPrefix(books_.group(), bdb::Key().add(account), keep);
  if (!s.isOk()) return failWith(Error::fromStorage(std::move(s)));
  auto out = context.getResults().initRequests(static_cast<unsigned>(records.size()));
  for (unsigned i = 0; i < records.size(); ++i) out.setWithCaveats(i, records[i].getReader());
  context.getResults().setAsOfNanos(now);
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::halt(HaltContext context) {
  const std::string_view symbol = view(context.getParams().getSymbol());
  const std::string_view reason = view(context.getParams().getReason());
  common::AuditStamp audit = stampFor("halt", kj::str(context.getParams()).cStr(), "", symbol);
  audit.detail = std::string(symbol) + " halted: " + std::string(reason);
  Result<> halted = books_.halt(symbol, reason, &audit);
  answer(context.getResults().initResult(), "halt", symbol, errorOf(halted), audit.detail, audit);
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::resume(ResumeContext context) {
  const std::string_view symbol = view(context.getParams().getSymbol());
  // Admin's resume carries no reason; the record says who lifted the halt.
  common::AuditStamp audit = stampFor("resume", kj::str(context.getParams()).cStr(), "", symbol);
  audit.detail = std::string(symbol) + " resumed";
  Result<> resumed = books_.resume(symbol, "resumed by an operator", &audit);
  answer(context.getResults().initResult(), "resume", symbol, errorOf(resumed), audit.detail,
         audit);
  return kj::READY_NOW;
}

std::optional<Error> FirmAdmin::checkRouteTarget(idl::VenueRoute::Reader route) const {
  // The caller's words, clipped: they are echoed in the reason.
  const std::string symbol = common::echo(view(route.getSymbol()));
  const std::string street = common::echo(view(route.getStreet()));
  const std::string venue = common::echo(view(route.getVenue()));
  const topology::Utility* utility = topology_.findUtility(view(route.getStreet()));
  if (utility == nullptr || utility->role != topology::Role::kStreet) {
    return invalid("route for " + symbol + ": '" + street +
                   "' is not a street utility in the topology");
  }
  if (std::find(utility->venues.begin(), utility->venues.end(), view(route.getVenue())) ==
      utility->venues.end()) {
    std::string venues;
    for (const std::string& v : utility->venues) venues += (venues.empty() ? "" : ", ") + v;
    return invalid("route for " + symbol + ": " + street + " does not connect to venue '" + venue +
                   "' (its venues: " + venues + ")");
  }
  return std::nullopt;
}

kj::Promise<void> FirmAdmin::setRoute(SetRouteContext context) {
  idl::VenueRoute::Reader route = context.getParams().getRoute();
  const std::string_view symbol = view(route.getSymbol());
  common::AuditStamp audit = stampFor("setRoute", kj::str(context.getParams()).cStr(), "", symbol);
  audit.detail = std::string(symbol) + " routes to " + std::string(view(route.getStreet())) +
                 " at " + std::string(view(route.getVenue())) + " in " +
                 std::string(view(route.getCurrency()));
  Result<> set = Result<>();
  if (std::optional<Error> refused = checkRouteTarget(route)) {
    set = *std::move(refused);
  } else {
    set = books_.setRoute(route, &audit);
  }
  answer(context.getResults().initResult(), "setRoute", symbol, errorOf(set), audit.detail, audit);
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::routes(RoutesContext context) {
  capnp::MallocMessageBuilder scratch;
  auto found =
      copyTable(books_.group(), tables::kVenueRoutes, scratch, [](idl::VenueRoute::Builder) {});
  if (!found.isOk()) return failWith(found.error());
  const kj::Vector<capnp::Orphan<idl::VenueRoute>>& records = found.value();
  auto out = context.getResults().initRoutes(static_cast<unsigned>(records.size()));
  for (unsigned i = 0; i < records.size(); ++i) out.setWithCaveats(i, records[i].getReader());
  return kj::READY_NOW;
}

// ---- Settlement and verification ----

kj::Promise<void> FirmAdmin::settle(SettleContext context) {
  int32_t through = context.getParams().getThroughTradeDate();
  if (through == 0) through = previousTradeDate(nowNanos_());
  common::AuditStamp audit = stampFor("settle", kj::str(context.getParams()).cStr(), "", "");
  audit.detail = "settle through " + std::to_string(through);
  Result<SettlementRun> run = books_.settle(through, &audit);
  std::string done;
  if (run.isOk()) {
    const size_t lines = run.value().lines.size();
    done = lines == 0
               ? "nothing to settle through " + std::to_string(through)
               : "settled through " + std::to_string(through) + ": " + countOf(lines, "settlement");
  }
  answer(context.getResults().initResult(), "settle", std::to_string(through), errorOf(run), done,
         audit);
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::verify(VerifyContext context) {
  Result<VerifyReport> checked = books_.verify(streetReplicas_, /*requireAudit=*/true);
  if (!checked.isOk()) return failWith(checked.error());
  const VerifyReport& report = checked.value();
  idl::VerifyReport::Builder out = context.getResults().initReport();
  out.setClean(report.clean());
  auto findings = out.initFindings(static_cast<unsigned>(report.findings.size()));
  for (unsigned i = 0; i < report.findings.size(); ++i) {
    const Finding& finding = report.findings[i];
    findings.set(i, text(std::string(findingKindName(finding.kind)) + ": " + finding.detail));
  }
  out.setExecutionsBooked(report.bookings);
  if (!report.clean()) {
    logger_.warning("verify-findings", {{"findings", static_cast<uint64_t>(report.findings.size())},
                                        {"commit", report.commitSequence}});
  }
  return kj::READY_NOW;
}

}  // namespace triad::firm
