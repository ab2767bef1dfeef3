#include "utilities/firm/firm_admin.h"

#include <capnp/message.h>
#include <capnp/orphan.h>
#include <kj/vector.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "bdb/table.h"
#include "utilities/common/echo.h"
#include "utilities/common/tables.h"
#include "utilities/firm/money.h"

namespace triad::firm {
namespace {

constexpr int64_t kNanosPerDay = int64_t{86'400} * 1'000'000'000;

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
      streetReplicas_(streetReplicas(storage, parts.topology)) {
  KJ_REQUIRE(&books_.group() == &storage.owned(), "the books must write this site's own group",
             books_.group().name(), storage.owned().name());
}

void FirmAdmin::answer(idl::AdminResult::Builder result, std::string_view method,
                       std::string_view subject, const Error* error, std::string_view done) {
  const std::string event = "admin-" + std::string(method);
  // The subject is the caller's (an account id, a symbol): clipped for the log.
  const std::string clipped = common::echo(subject, 80);
  subject = clipped;
  if (error == nullptr) {
    result.setOk(text(done));
    logger_.info(event, {{"subject", subject}, {"result", "ok"}, {"detail", done}});
    return;
  }
  common::setAdminError(result, error->code, error->reason);
  logger_.log(error->isStorage() ? base::LogLevel::kError : base::LogLevel::kWarning, event,
              {{"subject", subject},
               {"result", "refused"},
               {"code", errorCodeName(error->code)},
               {"reason", error->reason}});
}

// ---- Accounts and cash ----

kj::Promise<void> FirmAdmin::createAccount(CreateAccountContext context) {
  idl::AccountRequest::Reader request = context.getParams().getRequest();
  const std::string_view id = view(request.getId());
  const std::string_view currency = view(request.getCurrency());
  Result<> created = books_.createAccount(id, view(request.getName()), view(request.getSecret()),
                                          currency, request.getLimits());
  answer(context.getResults().initResult(), "createAccount", id, errorOf(created),
         "account " + std::string(id) + " created in " + std::string(currency));
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
  Result<> set = books_.setLimits(account, context.getParams().getLimits());
  answer(context.getResults().initResult(), "setLimits", account, errorOf(set),
         "limits of " + std::string(account) + " set");
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::deposit(DepositContext context) {
  auto params = context.getParams();
  const std::string_view account = view(params.getAccount());
  const std::string_view currency = view(params.getCurrency());
  const std::string_view reference = view(params.getReference());
  Result<CashPosting> posted =
      books_.deposit(account, currency, params.getAmountMicros(), reference);
  std::string done;
  if (posted.isOk()) {
    done = "deposited " + formatMicros(params.getAmountMicros()) + " " + std::string(currency) +
           " to " + std::string(account) + postingDone(posted.value(), reference);
  }
  answer(context.getResults().initResult(), "deposit", account, errorOf(posted), done);
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::withdraw(WithdrawContext context) {
  auto params = context.getParams();
  const std::string_view account = view(params.getAccount());
  const std::string_view currency = view(params.getCurrency());
  const std::string_view reference = view(params.getReference());
  Result<CashPosting> posted =
      books_.withdraw(account, currency, params.getAmountMicros(), reference);
  std::string done;
  if (posted.isOk()) {
    done = "withdrew " + formatMicros(params.getAmountMicros()) + " " + std::string(currency) +
           " from " + std::string(account) + postingDone(posted.value(), reference);
  }
  answer(context.getResults().initResult(), "withdraw", account, errorOf(posted), done);
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::halt(HaltContext context) {
  const std::string_view symbol = view(context.getParams().getSymbol());
  const std::string_view reason = view(context.getParams().getReason());
  Result<> halted = books_.halt(symbol, reason);
  answer(context.getResults().initResult(), "halt", symbol, errorOf(halted),
         std::string(symbol) + " halted: " + std::string(reason));
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::resume(ResumeContext context) {
  const std::string_view symbol = view(context.getParams().getSymbol());
  // Admin's resume carries no reason; the record says who lifted the halt.
  Result<> resumed = books_.resume(symbol, "resumed by an operator");
  answer(context.getResults().initResult(), "resume", symbol, errorOf(resumed),
         std::string(symbol) + " resumed");
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
  Result<> set = Result<>();
  if (std::optional<Error> refused = checkRouteTarget(route)) {
    set = *std::move(refused);
  } else {
    set = books_.setRoute(route);
  }
  answer(context.getResults().initResult(), "setRoute", symbol, errorOf(set),
         std::string(symbol) + " routes to " + std::string(view(route.getStreet())) + " at " +
             std::string(view(route.getVenue())) + " in " + std::string(view(route.getCurrency())));
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
  Result<SettlementRun> run = books_.settle(through);
  std::string done;
  if (run.isOk()) {
    const size_t lines = run.value().lines.size();
    done = lines == 0
               ? "nothing to settle through " + std::to_string(through)
               : "settled through " + std::to_string(through) + ": " + countOf(lines, "settlement");
  }
  answer(context.getResults().initResult(), "settle", std::to_string(through), errorOf(run), done);
  return kj::READY_NOW;
}

kj::Promise<void> FirmAdmin::verify(VerifyContext context) {
  Result<VerifyReport> checked = books_.verify(streetReplicas_);
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
