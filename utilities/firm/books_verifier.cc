#include "utilities/firm/books_verifier.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "bdb/key.h"
#include "utilities/common/tables.h"
#include "utilities/firm/book_accounts.h"
#include "utilities/firm/money.h"
#include "utilities/firm/posting.h"

namespace triad::firm {
namespace {

using Wide = __int128;                                               // sums of many int64 amounts
using Holding = std::pair<std::string, std::string>;                 // account, asset
using DatedHolding = std::tuple<std::string, std::string, int32_t>;  // account, asset, date
using ExecutionLeg =
    std::tuple<std::string, std::string, std::string>;  // execution, account, asset

constexpr int kAttempts = 5;

std::string text(capnp::Text::Reader reader) { return {reader.begin(), reader.size()}; }

std::string wideText(Wide value) {
  if (value == 0) return "0";
  const bool negative = value < 0;
  std::string digits;
  while (value != 0) {
    const int digit = static_cast<int>(value % 10);
    digits.insert(digits.begin(), static_cast<char>('0' + (digit < 0 ? -digit : digit)));
    value /= 10;
  }
  return negative ? "-" + digits : digits;
}

bool fitsInt64(Wide value) { return value >= INT64_MIN && value <= INT64_MAX; }

struct StreetExecution {
  std::string group;
  std::string id;
  std::string account;
  std::string symbol;
  std::string currency;
  idl::Side side = idl::Side::BUY;
  int64_t quantity = 0;
  int64_t priceMicros = 0;
};

// Everything verify compares, gathered from one pass over the tables.
struct Snapshot {
  size_t legs = 0;
  std::map<std::string, std::string> postings;  // posting id -> where it is kept
  std::map<std::string, Wide> byAsset;
  std::map<Holding, Wide> byPosting;  // posting, asset
  std::map<Holding, Wide> byHolding;
  std::map<Holding, Wide> nonTradeByHolding;
  std::map<DatedHolding, Wide> tradeDue;  // customers' trade legs
  std::map<std::string, std::set<std::string>> postingsOfExecution;
  std::map<ExecutionLeg, Wide> executionLegs;
  struct Reference {
    std::string reference, account, currency, postingId;
    Wide amount = 0;  // signed: what the account gained, as the reference says
    Wide posted = 0;  // what its posting moved for that account and currency
  };
  std::vector<Reference> references;

  std::map<Holding, std::pair<int64_t, int64_t>> balances;  // trade date, settled
  std::map<Holding, int64_t> positions;
  std::map<std::string, idl::Asset::Kind> assets;
  size_t settlements = 0;
  std::map<Holding, Wide> settledByHolding;
  std::map<DatedHolding, Wide> settledByDate;
  std::map<std::string, std::string> bookings;  // execution id -> posting id
  std::vector<StreetExecution> executions;
  // Records out of place, found while scanning (malformed keys and the like).
  std::vector<Finding> misplaced;
  // What an operator wrote ("deposit posting firm-000000007") and the audit
  // entry it names; the audit entries there are.
  std::vector<std::pair<std::string, std::string>> audited;
  std::set<std::string> auditIds;

  bool isCash(const std::string& asset) const {
    auto it = assets.find(asset);
    return it != assets.end() && it->second == idl::Asset::Kind::CASH;
  }
  // "12.50 USD" for a currency, "-100 ACME" for shares.
  std::string amount(Wide value, const std::string& asset) const {
    if (isCash(asset) && fitsInt64(value)) {
      return formatMicros(static_cast<int64_t>(value)) + " " + asset;
    }
    return wideText(value) + " " + asset;
  }
};

void malformed(Snapshot& snapshot, std::string_view table, std::string_view key,
               const std::string& detail) {
  snapshot.misplaced.push_back(
      {Finding::Kind::kMalformed, std::string(table) + " record at key '" +
                                      std::string(bdb::KeyReader(key).text().value_or("?")) +
                                      "': " + detail});
}

Finding refusedFinding(const std::string& street, idl::RefusedReport::Reader report) {
  Finding::Kind kind = Finding::Kind::kRefusedReport;
  switch (report.getReason()) {
    case idl::RefusedReport::Reason::OVERFILL:
      kind = Finding::Kind::kOverfill;
      break;
    case idl::RefusedReport::Reason::UNKNOWN_ORDER:
      kind = Finding::Kind::kUnknownOrderReport;
      break;
    case idl::RefusedReport::Reason::CONFLICTING_EXEC_ID:
    case idl::RefusedReport::Reason::INVALID:
      break;
  }
  const std::string order = text(report.getOrderId());
  return {kind, street + " refused report " + text(report.getId()) + " from " +
                    text(report.getVenue()) + " (exec id '" + text(report.getVenueExecId()) +
                    "', ClOrdID '" + text(report.getClOrdId()) + "'" +
                    (order.empty() ? "" : ", order " + order) +
                    (report.getQuantity() != 0 ? ", " + std::to_string(report.getQuantity()) +
                                                     " at " + formatMicros(report.getPriceMicros())
                                               : "") +
                    "): " + text(report.getDetail())};
}

// The street groups' own anomalies: refused reports, and routes their venue
// never answered.
bdb::Status scanStreetAnomalies(bdb::OwnershipGroup& street, int64_t nowNanos,
                                std::vector<Finding>& findings) {
  bdb::Status s = tables::kRefusedReports.scan(
      street, "", [&](std::string_view, idl::RefusedReport::Reader report) {
        findings.push_back(refusedFinding(street.name(), report));
        return true;
      });
  if (!s.isOk()) return s;
  std::set<std::string> answered;  // order ids the venue said something about
  const auto orderOf = [&](std::string_view key) {
    if (auto id = bdb::KeyReader(key).text()) answered.insert(std::string(*id));
    return true;
  };
  s = tables::kExecutions.scan(
      street, "", [&](std::string_view key, idl::Execution::Reader) { return orderOf(key); });
  if (s.isOk()) {
    s = tables::kRejects.scan(
        street, "", [&](std::string_view key, idl::Reject::Reader) { return orderOf(key); });
  }
  if (s.isOk()) {
    s = tables::kClosures.scan(
        street, "", [&](std::string_view key, idl::Closure::Reader) { return orderOf(key); });
  }
  if (!s.isOk()) return s;
  std::vector<Finding> unanswered;
  s = tables::kRoutes.scan(street, "", [&](std::string_view, idl::Route::Reader route) {
    const std::string order = text(route.getOrderId());
    if (route.getAcknowledgedAtNanos() == 0 && answered.count(order) == 0 &&
        nowNanos - route.getRoutedAtNanos() > kRouteAnswerLimitNanos) {
      unanswered.push_back(
          {Finding::Kind::kRouteUnanswered,
           "order " + order + " routed by " + street.name() + " to " + text(route.getVenue()) +
               " " + std::to_string((nowNanos - route.getRoutedAtNanos()) / 1'000'000'000) +
               " s ago has no answer from the venue"});
    }
    return true;
  });
  if (!s.isOk()) return s;
  // A hashed table is visited in no particular order.
  std::sort(unanswered.begin(), unanswered.end(),
            [](const Finding& a, const Finding& b) { return a.detail < b.detail; });
  findings.insert(findings.end(), unanswered.begin(), unanswered.end());
  return bdb::Status::ok();
}

bdb::Status scanStreets(std::span<bdb::OwnershipGroup* const> streets, Snapshot& snapshot) {
  for (bdb::OwnershipGroup* street : streets) {
    bdb::Status s = tables::kExecutions.scan(
        *street, "", [&](std::string_view, idl::Execution::Reader execution) {
          snapshot.executions.push_back({street->name(), text(execution.getId()),
                                         text(execution.getAccount()), text(execution.getSymbol()),
                                         text(execution.getCurrency()), execution.getSide(),
                                         execution.getQuantity(), execution.getPriceMicros()});
          return true;
        });
    if (!s.isOk()) return s;
  }
  return bdb::Status::ok();
}

// Adds one posting's legs to the sums; `where` names the record that keeps it.
void addPosting(Snapshot& snapshot, idl::Posting::Reader posting, const std::string& where) {
  const std::string id = text(posting.getId());
  auto [place, added] = snapshot.postings.emplace(id, where);
  if (!added) {
    snapshot.misplaced.push_back({Finding::Kind::kMalformed, "posting " + id + " is kept twice: " +
                                                                 place->second + " and " + where});
    return;
  }
  const std::string execution = text(posting.getExecutionId());
  const idl::Posting::Kind kind = posting.getKind();
  if (!execution.empty()) snapshot.postingsOfExecution[execution].insert(id);
  if (kind != idl::Posting::Kind::TRADE) {
    snapshot.audited.emplace_back(std::string(postingKindName(kind)) + " posting " + id,
                                  text(posting.getAuditId()));
  }
  for (idl::Posting::Leg::Reader leg : posting.getLegs()) {
    ++snapshot.legs;
    const std::string account = text(leg.getAccount());
    const std::string asset = text(leg.getAsset());
    const Wide amount = leg.getAmount();
    snapshot.byAsset[asset] += amount;
    snapshot.byPosting[{id, asset}] += amount;
    snapshot.byHolding[{account, asset}] += amount;
    if (kind == idl::Posting::Kind::TRADE) {
      if (!isFirmBook(account))
        snapshot.tradeDue[{account, asset, posting.getTradeDate()}] += amount;
    } else {
      snapshot.nonTradeByHolding[{account, asset}] += amount;
    }
    if (!execution.empty()) snapshot.executionLegs[{execution, account, asset}] += amount;
  }
  if (kind == idl::Posting::Kind::SETTLEMENT && posting.getLegs().size() > 0) {
    ++snapshot.settlements;
    const std::string account = text(posting.getSettledAccount());
    const std::string currency = text(posting.getLegs()[0].getAsset());
    const Wide settled = settledAmount(posting);
    snapshot.settledByHolding[{account, currency}] += settled;
    snapshot.settledByDate[{account, currency, posting.getTradeDate()}] += settled;
  }
}

bdb::Status scanPostings(bdb::OwnershipGroup& firm, Snapshot& snapshot) {
  bdb::Status s =
      tables::kBookings.scan(firm, "", [&](std::string_view key, idl::Posting::Reader trade) {
        const std::string execution = text(trade.getExecutionId());
        const std::string id = text(trade.getId());
        if (key != bdb::Key::of(execution).view()) {
          malformed(snapshot, "bookings", key, "execution id is " + execution);
        }
        if (trade.getKind() != idl::Posting::Kind::TRADE) {
          snapshot.misplaced.push_back(
              {Finding::Kind::kBookingMismatch, "the booking of execution " + execution + " is a " +
                                                    std::string(postingKindName(trade.getKind())) +
                                                    " posting (" + id + "), not a trade"});
        }
        snapshot.bookings[execution] = id;
        addPosting(snapshot, trade, "booking " + execution);
        return true;
      });
  if (!s.isOk()) return s;

  s = tables::kPostings.scan(firm, "", [&](std::string_view key, idl::Posting::Reader posting) {
    const std::string id = text(posting.getId());
    if (key != bdb::Key::of(id).view()) malformed(snapshot, "postings", key, "id is " + id);
    if (posting.getKind() == idl::Posting::Kind::TRADE) {
      snapshot.misplaced.push_back(
          {Finding::Kind::kBookingMismatch, "trade posting " + id + " of execution " +
                                                text(posting.getExecutionId()) +
                                                " is not its execution's booking"});
    }
    addPosting(snapshot, posting, "postings " + id);
    return true;
  });
  if (!s.isOk()) return s;

  return tables::kCashReferences.scan(
      firm, "", [&](std::string_view key, idl::CashReference::Reader reference) {
        const std::string name = text(reference.getReference());
        if (key != bdb::Key::of(name).view()) {
          malformed(snapshot, "cash_references", key, "reference is " + name);
        }
        const idl::Posting::Reader posting = reference.getPosting();
        const Wide amount = reference.getAmountMicros();
        Snapshot::Reference checked{
            name,
            text(reference.getAccount()),
            text(reference.getCurrency()),
            text(posting.getId()),
            reference.getKind() == idl::Posting::Kind::WITHDRAWAL ? -amount : amount,
            0};
        if (posting.getKind() == reference.getKind()) {
          for (idl::Posting::Leg::Reader leg : posting.getLegs()) {
            if (text(leg.getAccount()) == checked.account &&
                text(leg.getAsset()) == checked.currency) {
              checked.posted += leg.getAmount();
            }
          }
        }
        snapshot.references.push_back(std::move(checked));
        addPosting(snapshot, posting, "reference " + name);
        return true;
      });
}

bdb::Status scanFirm(bdb::OwnershipGroup& firm, Snapshot& snapshot) {
  if (bdb::Status s = scanPostings(firm, snapshot); !s.isOk()) return s;

  bdb::Status s =
      tables::kAssets.scan(firm, "", [&](std::string_view key, idl::Asset::Reader asset) {
        const std::string name = text(asset.getName());
        if (key != bdb::Key::of(name).view()) malformed(snapshot, "assets", key, "name is " + name);
        snapshot.assets[name] = asset.getKind();
        return true;
      });
  if (!s.isOk()) return s;

  s = tables::kBalances.scan(firm, "", [&](std::string_view key, idl::Balance::Reader b) {
    Holding holding{text(b.getAccount()), text(b.getCurrency())};
    if (key != balanceKey(holding.first, holding.second).view()) {
      malformed(snapshot, "balances", key, "holds " + holding.first + "/" + holding.second);
    }
    if (isFirmBook(holding.first)) {
      malformed(snapshot, "balances", key,
                "the firm's books keep no balance: theirs is the sum of their legs");
      return true;
    }
    snapshot.balances[holding] = {b.getTradeDateMicros(), b.getSettledMicros()};
    return true;
  });
  if (!s.isOk()) return s;

  s = tables::kHalts.scan(firm, "", [&](std::string_view, idl::Halt::Reader halt) {
    snapshot.audited.emplace_back(
        std::string(halt.getHalted() ? "halt" : "resume") + " of " + text(halt.getSymbol()),
        text(halt.getAuditId()));
    return true;
  });
  if (!s.isOk()) return s;

  s = tables::kAdminAudit.scan(firm, "", [&](std::string_view, idl::AdminAudit::Reader entry) {
    snapshot.auditIds.insert(text(entry.getId()));
    return true;
  });
  if (!s.isOk()) return s;

  return tables::kPositions.scan(firm, "", [&](std::string_view key, idl::Position::Reader p) {
    Holding holding{text(p.getAccount()), text(p.getSymbol())};
    if (key != positionKey(holding.first, holding.second).view()) {
      malformed(snapshot, "positions", key, "holds " + holding.first + "/" + holding.second);
    }
    if (isFirmBook(holding.first)) {
      malformed(snapshot, "positions", key,
                "the firm's books keep no position: theirs is the sum of their legs");
      return true;
    }
    snapshot.positions[holding] = p.getQuantity();
    return true;
  });
}

Wide lookup(const std::map<Holding, Wide>& sums, const Holding& key) {
  auto it = sums.find(key);
  return it == sums.end() ? 0 : it->second;
}

void checkLedger(const Snapshot& snapshot, std::vector<Finding>& findings) {
  for (const auto& [asset, sum] : snapshot.byAsset) {
    if (sum != 0) {
      findings.push_back(
          {Finding::Kind::kLedgerImbalance,
           "the ledger's " + asset + " legs sum to " + snapshot.amount(sum, asset) + ", not zero"});
    }
    if (snapshot.assets.count(asset) == 0) {
      findings.push_back({Finding::Kind::kUnaccountedLegs,
                          "the ledger has " + asset +
                              " legs but the books know it neither as cash nor as shares"});
    }
  }
  for (const auto& [key, sum] : snapshot.byPosting) {
    if (sum != 0) {
      findings.push_back({Finding::Kind::kPostingImbalance,
                          "posting " + key.first + "'s " + key.second + " legs sum to " +
                              snapshot.amount(sum, key.second) + ", not zero"});
    }
  }
}

void checkHoldings(const Snapshot& snapshot, std::vector<Finding>& findings) {
  for (const auto& [holding, cash] : snapshot.balances) {
    const auto& [account, currency] = holding;
    const auto [tradeDate, settled] = cash;
    const Wide legs = lookup(snapshot.byHolding, holding);
    if (legs != tradeDate) {
      findings.push_back({Finding::Kind::kBalanceMismatch,
                          account + " holds " + snapshot.amount(tradeDate, currency) +
                              " trade-date cash but its ledger legs sum to " +
                              snapshot.amount(legs, currency)});
    }
    const Wide expected =
        lookup(snapshot.nonTradeByHolding, holding) + lookup(snapshot.settledByHolding, holding);
    if (expected != settled) {
      findings.push_back({Finding::Kind::kBalanceMismatch,
                          account + " holds " + snapshot.amount(settled, currency) +
                              " settled cash but its deposits, withdrawals and settlements "
                              "come to " +
                              snapshot.amount(expected, currency)});
    }
    if (snapshot.positions.count(holding) != 0) {
      findings.push_back({Finding::Kind::kAmbiguousAsset,
                          account + " holds " + currency + " both as cash and as shares"});
    } else if (!snapshot.isCash(currency)) {
      findings.push_back({Finding::Kind::kAmbiguousAsset,
                          account + " has a balance in " + currency + ", which is not cash"});
    }
  }
  for (const auto& [holding, quantity] : snapshot.positions) {
    const Wide legs = lookup(snapshot.byHolding, holding);
    if (legs != quantity) {
      findings.push_back({Finding::Kind::kPositionMismatch,
                          holding.first + " holds " + std::to_string(quantity) + " " +
                              holding.second + " but its ledger legs sum to " + wideText(legs)});
    }
    if (snapshot.isCash(holding.second)) {
      findings.push_back(
          {Finding::Kind::kAmbiguousAsset,
           holding.first + " has a position in " + holding.second + ", which is a currency"});
    }
  }
  // The firm's books have no records to compare: their holdings are their legs.
  for (const auto& [holding, sum] : snapshot.byHolding) {
    if (isFirmBook(holding.first)) continue;
    if (snapshot.balances.count(holding) == 0 && snapshot.positions.count(holding) == 0) {
      findings.push_back({Finding::Kind::kUnaccountedLegs,
                          holding.first + " has " + holding.second + " legs summing to " +
                              snapshot.amount(sum, holding.second) +
                              " but no balance or position"});
    }
  }
}

void checkSettlements(const Snapshot& snapshot, std::vector<Finding>& findings) {
  for (const auto& [key, settled] : snapshot.settledByDate) {
    if (settled == 0) continue;
    auto it = snapshot.tradeDue.find(key);
    const Wide due = it == snapshot.tradeDue.end() ? 0 : it->second;
    const bool wrongWay = (settled > 0) != (due > 0) || due == 0;
    const bool tooMuch = settled > 0 ? settled > due : settled < due;
    if (wrongWay || tooMuch) {
      const auto& [account, currency, date] = key;
      findings.push_back({Finding::Kind::kOverSettled,
                          "settlements for " + account + " " + currency + " trade date " +
                              std::to_string(date) + " moved " +
                              snapshot.amount(settled, currency) + " but its trades come to " +
                              snapshot.amount(due, currency)});
    }
  }
}

void checkBookings(const Snapshot& snapshot, std::vector<Finding>& findings) {
  for (const auto& [execution, postings] : snapshot.postingsOfExecution) {
    if (postings.size() > 1) {
      findings.push_back({Finding::Kind::kBookedTwice, "execution " + execution + " has legs in " +
                                                           std::to_string(postings.size()) +
                                                           " postings"});
    }
  }
}

void checkStreetExecutions(const Snapshot& snapshot, std::vector<Finding>& findings) {
  for (const StreetExecution& execution : snapshot.executions) {
    if (snapshot.bookings.count(execution.id) == 0) {
      findings.push_back({Finding::Kind::kUnbooked, "execution " + execution.id + " (" +
                                                        execution.group + ") is not booked"});
      continue;
    }
    const Wide sign = execution.side == idl::Side::BUY ? 1 : -1;
    const Wide shares = sign * execution.quantity;
    const Wide cash = -sign * Wide{execution.quantity} * execution.priceMicros;
    auto legs = [&](const std::string& asset) {
      auto it = snapshot.executionLegs.find({execution.id, execution.account, asset});
      return it == snapshot.executionLegs.end() ? Wide{0} : it->second;
    };
    if (legs(execution.symbol) != shares || legs(execution.currency) != cash) {
      findings.push_back({Finding::Kind::kBookingMismatch,
                          "execution " + execution.id + " (" + execution.group + ") moved " +
                              wideText(legs(execution.symbol)) + " " + execution.symbol + " and " +
                              snapshot.amount(legs(execution.currency), execution.currency) +
                              " for " + execution.account + "; the fill is " + wideText(shares) +
                              " and " + snapshot.amount(cash, execution.currency)});
    }
  }
}

void checkReferences(const Snapshot& snapshot, std::vector<Finding>& findings) {
  for (const Snapshot::Reference& reference : snapshot.references) {
    if (reference.posted != reference.amount) {
      findings.push_back({Finding::Kind::kReferenceMismatch,
                          "reference '" + reference.reference + "' says posting " +
                              reference.postingId + " moved " +
                              snapshot.amount(reference.amount, reference.currency) + " for " +
                              reference.account + ", the posting " +
                              snapshot.amount(reference.posted, reference.currency)});
    }
  }
}

}  // namespace

std::string_view findingKindName(Finding::Kind kind) {
  switch (kind) {
    case Finding::Kind::kLedgerImbalance:
      return "ledger-imbalance";
    case Finding::Kind::kPostingImbalance:
      return "posting-imbalance";
    case Finding::Kind::kBalanceMismatch:
      return "balance-mismatch";
    case Finding::Kind::kPositionMismatch:
      return "position-mismatch";
    case Finding::Kind::kUnaccountedLegs:
      return "unaccounted-legs";
    case Finding::Kind::kAmbiguousAsset:
      return "ambiguous-asset";
    case Finding::Kind::kOverSettled:
      return "over-settled";
    case Finding::Kind::kBookingMismatch:
      return "booking-mismatch";
    case Finding::Kind::kBookedTwice:
      return "booked-twice";
    case Finding::Kind::kUnbooked:
      return "unbooked";
    case Finding::Kind::kReferenceMismatch:
      return "reference-mismatch";
    case Finding::Kind::kMalformed:
      return "malformed";
    case Finding::Kind::kRefusedReport:
      return "refused-report";
    case Finding::Kind::kOverfill:
      return "overfill";
    case Finding::Kind::kUnknownOrderReport:
      return "unknown-order-report";
    case Finding::Kind::kRouteUnanswered:
      return "route-unanswered";
    case Finding::Kind::kUnaudited:
      return "unaudited";
  }
  return "unknown";
}

size_t VerifyReport::count(Finding::Kind kind) const {
  size_t n = 0;
  for (const Finding& finding : findings) n += finding.kind == kind ? 1 : 0;
  return n;
}

std::string VerifyReport::toString() const {
  std::string out;
  for (const Finding& finding : findings) {
    out += std::string(findingKindName(finding.kind)) + ": " + finding.detail + "\n";
  }
  return out;
}

namespace {

// Every operator's posting and halt names an audit entry that exists.
void checkAudit(const Snapshot& snapshot, std::vector<Finding>& findings) {
  for (const auto& [what, auditId] : snapshot.audited) {
    if (auditId.empty()) {
      findings.push_back({Finding::Kind::kUnaudited, what + " names no audit entry"});
    } else if (!snapshot.auditIds.contains(auditId)) {
      findings.push_back({Finding::Kind::kUnaudited,
                          what + " names audit entry " + auditId + ", which is missing"});
    }
  }
}

}  // namespace

Result<VerifyReport> verifyBooks(bdb::OwnershipGroup& firm,
                                 std::span<bdb::OwnershipGroup* const> streetReplicas,
                                 int64_t nowNanos, bool requireAudit) {
  if (nowNanos == 0) {
    nowNanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  }
  std::vector<Finding> streetFindings;
  for (bdb::OwnershipGroup* street : streetReplicas) {
    if (bdb::Status s = bdb::retryOnConflict([&] {
          std::vector<Finding> found;
          bdb::Status scanned = scanStreetAnomalies(*street, nowNanos, found);
          if (scanned.isOk())
            streetFindings.insert(streetFindings.end(), found.begin(), found.end());
          return scanned;
        });
        !s.isOk()) {
      return Error::fromStorage(std::move(s));
    }
  }
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    Snapshot snapshot;
    if (bdb::Status s = scanStreets(streetReplicas, snapshot); !s.isOk()) {
      return Error::fromStorage(std::move(s));
    }
    const uint64_t before = firm.commitPosition().sequence;
    if (bdb::Status s = scanFirm(firm, snapshot); !s.isOk()) {
      if (s.code() == bdb::Status::Code::kConflict) continue;  // lost to a writer: look again
      return Error::fromStorage(std::move(s));
    }
    if (firm.commitPosition().sequence != before) continue;

    VerifyReport report;
    report.commitSequence = before;
    report.legs = snapshot.legs;
    report.postings = snapshot.postings.size();
    report.balances = snapshot.balances.size();
    report.positions = snapshot.positions.size();
    report.settlements = snapshot.settlements;
    report.bookings = snapshot.bookings.size();
    report.streetExecutions = snapshot.executions.size();
    report.findings = std::move(snapshot.misplaced);
    checkLedger(snapshot, report.findings);
    checkHoldings(snapshot, report.findings);
    checkSettlements(snapshot, report.findings);
    checkBookings(snapshot, report.findings);
    checkStreetExecutions(snapshot, report.findings);
    checkReferences(snapshot, report.findings);
    report.findings.insert(report.findings.end(), streetFindings.begin(), streetFindings.end());
    if (requireAudit) checkAudit(snapshot, report.findings);
    return report;
  }
  return Error::refused(idl::ErrorCode::UNAVAILABLE,
                        "the firm's books changed during each of " + std::to_string(kAttempts) +
                            " attempts to verify them; retry when they are quieter");
}

}  // namespace triad::firm
