#include "utilities/firm/books.h"

#include <capnp/message.h>
#include <sodium.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "utilities/common/echo.h"
#include "utilities/common/id_allocator.h"
#include "utilities/common/pending_withdrawals.h"
#include "utilities/common/tables.h"
#include "utilities/firm/book_accounts.h"
#include "utilities/firm/money.h"
#include "utilities/firm/position_math.h"
#include "utilities/firm/posting.h"

namespace triad::firm {
namespace {

using Wide = __int128;

std::string text(capnp::Text::Reader reader) { return {reader.begin(), reader.size()}; }

Error invalid(std::string reason) {
  return Error::refused(idl::ErrorCode::INVALID_ARGUMENT, std::move(reason));
}

Error noAccount(std::string_view account) {
  return Error::refused(idl::ErrorCode::NOT_FOUND, "no account '" + common::echo(account) + "'");
}

// Customer account ids become key components, log fields and FIX tags: a
// small alphabet, and never ':' (the firm's books are "firm:...").
bool validAccountId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// ISO 4217 style: three capital letters.
bool validCurrency(std::string_view currency) {
  if (currency.size() != 3) return false;
  for (char c : currency) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

// A symbol is a key component and a FIX field: printable, no spaces.
bool validSymbol(std::string_view symbol) {
  if (symbol.empty() || symbol.size() > 32) return false;
  for (char c : symbol) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

// An account's name or a halt's reason: shown to people, echoed in every
// refusal that names it (a halted symbol's reason reaches each order).
constexpr size_t kMaxNameBytes = 256;
bool validName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < ' ' || c == 0x7f) return false;
  }
  return true;
}

// Argon2id takes any length; a longer secret only costs the hash time.
constexpr size_t kMaxSecretBytes = 1024;

// A reference price above any order's limit price (order_desk.cc) would
// only overflow a market order's reservation.
constexpr int64_t kMaxPriceMicros = 1'000'000'000'000'000;  // 1e9 currency units

// yyyymmdd naming a day of the calendar.
bool validTradeDate(int32_t yyyymmdd) {
  using namespace std::chrono;
  if (yyyymmdd < 19700101 || yyyymmdd > 99991231) return false;
  const year_month_day date{year{yyyymmdd / 10000},
                            month{static_cast<unsigned>(yyyymmdd / 100 % 100)},
                            day{static_cast<unsigned>(yyyymmdd % 100)}};
  return date.ok();
}

// A deposit's or withdrawal's reference: a key component and a log field.
bool validReference(std::string_view reference) {
  if (reference.empty() || reference.size() > 128) return false;
  for (char c : reference) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

std::optional<Error> fromStorage(bdb::Status status) {
  return Error::fromStorage(std::move(status));
}

// A read outside a transaction can lose a lock conflict to the group's
// committer (an insert into a hash table also locks the table's metadata
// page, which its readers lock first); it is read again, a few times.
constexpr int kReadAttempts = 5;

template <typename Read>
bdb::Status readRetryingConflicts(Read&& read) {
  for (int attempt = 1;; ++attempt) {
    bdb::Status s = read();
    if (s.code() != bdb::Status::Code::kConflict || attempt == kReadAttempts) return s;
    std::this_thread::sleep_for(std::chrono::microseconds(200 * attempt));
  }
}

using DatedHolding = std::tuple<std::string, std::string, int32_t>;  // account, currency, date

// What settlement still owes the customers: their trade cash (from the
// bookings) with a trade date through `through`, less what settlement
// postings already moved, by account, currency and trade date.
bdb::Status scanUnsettled(bdb::OwnershipGroup& group, int32_t through,
                          std::map<DatedHolding, Wide>* due) {
  due->clear();
  std::set<std::string> currencies;
  bdb::Status s = tables::kAssets.scan(group, "", [&](std::string_view, idl::Asset::Reader asset) {
    if (asset.getKind() == idl::Asset::Kind::CASH) currencies.insert(text(asset.getName()));
    return true;
  });
  if (!s.isOk()) return s;
  s = tables::kBookings.scan(group, "", [&](std::string_view, idl::Posting::Reader trade) {
    if (trade.getTradeDate() > through) return true;
    for (idl::Posting::Leg::Reader leg : trade.getLegs()) {
      std::string account = text(leg.getAccount());
      std::string asset = text(leg.getAsset());
      if (isFirmBook(account) || currencies.count(asset) == 0) continue;
      (*due)[{std::move(account), std::move(asset), trade.getTradeDate()}] += leg.getAmount();
    }
    return true;
  });
  if (!s.isOk()) return s;
  return tables::kPostings.scan(group, "", [&](std::string_view, idl::Posting::Reader posting) {
    if (posting.getKind() != idl::Posting::Kind::SETTLEMENT || posting.getLegs().size() == 0) {
      return true;
    }
    auto it = due->find({text(posting.getSettledAccount()), text(posting.getLegs()[0].getAsset()),
                         posting.getTradeDate()});
    if (it != due->end()) it->second -= settledAmount(posting);
    return true;
  });
}

// A new posting's id, from the group's sequence (drawing one writes nothing).
std::optional<Error> newPostingId(bdb::WriteTxn& txn, std::string_view owner, std::string* id) {
  bdb::Status s = common::allocateId(txn, owner, id);
  if (!s.isOk()) return fromStorage(std::move(s));
  return std::nullopt;
}

// Stores a posting (built by `fill`) as one record of `table` under `key`.
template <typename Fill>
std::optional<Error> putPosting(bdb::WriteTxn& txn, const bdb::Table<idl::Posting>& table,
                                const bdb::Key& key, Fill&& fill) {
  capnp::MallocMessageBuilder message;
  fill(message.initRoot<idl::Posting>());
  bdb::Status s = table.put(txn, key, message);
  if (!s.isOk()) return fromStorage(std::move(s));
  return std::nullopt;
}

// Adds to a customer's cash (a missing balance starts at zero). The firm's
// books keep no balance: theirs is the sum of their legs.
std::optional<Error> addCash(bdb::WriteTxn& txn, std::string_view account,
                             std::string_view currency, int64_t tradeDateDelta,
                             int64_t settledDelta, CashBalance* after = nullptr) {
  KJ_ASSERT(!isFirmBook(account), "the firm's books keep no balance records", std::string(account));
  const bdb::Key key = balanceKey(account, currency);
  bdb::Record<idl::Balance> stored;
  CashBalance cash;
  bdb::Status s = tables::kBalances.get(txn, key, &stored);
  if (s.isOk()) {
    cash = {stored->getTradeDateMicros(), stored->getSettledMicros()};
  } else if (!s.isNotFound()) {
    return fromStorage(std::move(s));
  }
  if (__builtin_add_overflow(cash.tradeDateMicros, tradeDateDelta, &cash.tradeDateMicros) ||
      __builtin_add_overflow(cash.settledMicros, settledDelta, &cash.settledMicros)) {
    return invalid(std::string(account) + "'s " + std::string(currency) +
                   " balance would overflow");
  }
  capnp::MallocMessageBuilder message;
  auto balance = message.initRoot<idl::Balance>();
  balance.setAccount(std::string(account));
  balance.setCurrency(std::string(currency));
  balance.setTradeDateMicros(cash.tradeDateMicros);
  balance.setSettledMicros(cash.settledMicros);
  s = tables::kBalances.put(txn, key, message);
  if (!s.isOk()) return fromStorage(std::move(s));
  if (after != nullptr) *after = cash;
  return std::nullopt;
}

// Adds a fill to a customer's position, which keeps average cost and
// realised P&L. The firm's books keep no position: theirs is the sum of their
// legs.
std::optional<Error> addFill(bdb::WriteTxn& txn, std::string_view account, std::string_view symbol,
                             int64_t signedQuantity, int64_t priceMicros) {
  KJ_ASSERT(!isFirmBook(account), "the firm's books keep no position records",
            std::string(account));
  const bdb::Key key = positionKey(account, symbol);
  bdb::Record<idl::Position> stored;
  PositionState state;
  bdb::Status s = tables::kPositions.get(txn, key, &stored);
  if (s.isOk()) {
    state = {stored->getQuantity(), stored->getCostBasisMicros(), stored->getRealisedPnlMicros()};
  } else if (!s.isNotFound()) {
    return fromStorage(std::move(s));
  }
  const std::optional<PositionState> next = applyFill(state, signedQuantity, priceMicros);
  if (!next) {
    return invalid(std::string(account) + "'s " + std::string(symbol) + " position would overflow");
  }
  capnp::MallocMessageBuilder message;
  auto position = message.initRoot<idl::Position>();
  position.setAccount(std::string(account));
  position.setSymbol(std::string(symbol));
  position.setQuantity(next->quantity);
  position.setCostBasisMicros(next->costBasisMicros);
  position.setRealisedPnlMicros(next->realisedPnlMicros);
  s = tables::kPositions.put(txn, key, message);
  if (!s.isOk()) return fromStorage(std::move(s));
  return std::nullopt;
}

// An asset is cash or shares, never both: a leg's asset does not say which,
// so every name the books use is registered in `assets` as one or the other
// the first time it is used (`record`), and refused as the other ever after.
std::optional<Error> requireAssetKind(bdb::WriteTxn& txn, std::string_view name,
                                      idl::Asset::Kind kind, int64_t nowNanos, bool record) {
  const bdb::Key key = bdb::Key::of(name);
  bdb::Record<idl::Asset> known;
  bdb::Status s = tables::kAssets.get(txn, key, &known);
  if (s.isOk()) {
    if (known->getKind() == kind) return std::nullopt;
    return invalid(kind == idl::Asset::Kind::SECURITY
                       ? "symbol " + std::string(name) + " is a currency in the books"
                       : "currency " + std::string(name) + " is a traded symbol");
  }
  if (!s.isNotFound()) return fromStorage(std::move(s));
  if (!record) return std::nullopt;
  capnp::MallocMessageBuilder message;
  auto asset = message.initRoot<idl::Asset>();
  asset.setName(std::string(name));
  asset.setKind(kind);
  asset.setFirstUsedAtNanos(nowNanos);
  s = tables::kAssets.put(txn, key, message);
  if (!s.isOk()) return fromStorage(std::move(s));
  return std::nullopt;
}

std::optional<Error> requireAccount(bdb::WriteTxn& txn, std::string_view account) {
  bdb::Record<idl::Account> record;
  bdb::Status s = tables::kAccounts.get(txn, bdb::Key::of(account), &record);
  if (s.isNotFound()) return noAccount(account);
  if (!s.isOk()) return fromStorage(std::move(s));
  return std::nullopt;
}

std::optional<Error> checkLimits(idl::RiskLimits::Reader limits) {
  if (limits.getMaxOrderNotionalMicros() < 0) {
    return invalid("maxOrderNotionalMicros must be 0 (no limit) or positive");
  }
  if (limits.getMaxPosition() < 0) return invalid("maxPosition must be 0 (no limit) or positive");
  for (capnp::Text::Reader symbol : limits.getAllowedSymbols()) {
    if (!validSymbol({symbol.begin(), symbol.size()})) {
      return invalid("allowed symbol '" + common::echo(text(symbol)) + "' is not a symbol");
    }
  }
  return std::nullopt;
}

int64_t systemNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int32_t tradeDateOf(int64_t nanosSinceEpoch) {
  using namespace std::chrono;
  const sys_time<nanoseconds> at{nanoseconds{nanosSinceEpoch}};
  const year_month_day date{floor<days>(at)};
  return static_cast<int32_t>(static_cast<int>(date.year()) * 10000 +
                              static_cast<int>(static_cast<unsigned>(date.month())) * 100 +
                              static_cast<int>(static_cast<unsigned>(date.day())));
}

Result<std::unique_ptr<Books>> Books::open(bdb::OwnershipGroup& group, BooksOptions options) {
  KJ_REQUIRE(group.isOwner(), "the books are written only at the firm group's owner", group.name());
  if (sodium_init() < 0) {
    return Error::refused(idl::ErrorCode::INTERNAL, "libsodium could not be initialised");
  }
  if (!options.nowNanos) options.nowNanos = systemNanos;
  return std::unique_ptr<Books>(new Books(group, std::move(options)));
}

Books::Books(bdb::OwnershipGroup& group, BooksOptions options)
    : group_(group), options_(std::move(options)) {}

Result<> Books::write(const std::function<std::optional<Error>(bdb::WriteTxn&)>& body,
                      common::AuditStamp* audit) {
  std::optional<Error> refusal;
  bdb::Status s = group_.write([&](bdb::WriteTxn& txn) {
    if (audit != nullptr) {
      audit->atNanos = options_.nowNanos();
      audit->postingId.clear();
      refusal = newPostingId(txn, group_.name(), &audit->id);
    } else {
      refusal.reset();
    }
    if (!refusal) refusal = body(txn);
    if (!refusal && audit != nullptr) {
      bdb::Status put = common::putAuditEntry(txn, *audit, true, "", "");
      if (!put.isOk()) refusal = fromStorage(std::move(put));
    }
    // A lost lock conflict goes back to the group as one, which runs the
    // batch again (the callback recomputes everything); any other refusal
    // leaves this write out of its batch and is returned below.
    if (refusal && refusal->storage.code() == bdb::Status::Code::kConflict) {
      bdb::Status conflict = refusal->storage;
      refusal.reset();
      return conflict;
    }
    return refusal ? bdb::Status::invalidArgument(refusal->reason) : bdb::Status::ok();
  });
  if (refusal || !s.isOk()) {
    if (audit != nullptr) audit->id.clear();
  }
  if (refusal) return *std::move(refusal);
  if (!s.isOk()) return Error::fromStorage(std::move(s));
  return Result<>();
}

Result<> Books::recordRefusal(common::AuditStamp& stamp, const Error& refusal) {
  return write(
      [&](bdb::WriteTxn& txn) -> std::optional<Error> {
        stamp.atNanos = options_.nowNanos();
        if (auto e = newPostingId(txn, group_.name(), &stamp.id)) return e;
        stamp.postingId.clear();
        bdb::Status put =
            common::putAuditEntry(txn, stamp, false, errorCodeName(refusal.code), refusal.reason);
        if (!put.isOk()) return fromStorage(std::move(put));
        return std::nullopt;
      },
      nullptr);
}

int32_t Books::today() const { return tradeDateOf(options_.nowNanos()); }

// ---- Accounts ----

Result<> Books::createAccount(std::string_view id, std::string_view name, std::string_view secret,
                              std::string_view currency, idl::RiskLimits::Reader limits,
                              common::AuditStamp* audit) {
  if (!validAccountId(id)) {
    return invalid("account id '" + common::echo(id) +
                   "' must be 1-64 letters, digits, '.', '_' or '-'");
  }
  if (name.empty()) return invalid("account " + std::string(id) + " needs a name");
  if (!validName(name)) {
    return invalid("account " + std::string(id) + "'s name must be at most " +
                   std::to_string(kMaxNameBytes) + " printable characters");
  }
  if (secret.empty() || secret.size() > kMaxSecretBytes) {
    return invalid("account " + std::string(id) + " needs a secret of 1-" +
                   std::to_string(kMaxSecretBytes) + " bytes");
  }
  if (!validCurrency(currency)) {
    return invalid("currency '" + common::echo(currency) + "' is not three capital letters");
  }
  if (std::optional<Error> e = checkLimits(limits)) return *std::move(e);
  // Refuse a known duplicate before paying for the hash; the write checks again.
  bdb::Record<idl::Account> existing;
  if (tables::kAccounts.get(group_, bdb::Key::of(id), &existing).isOk()) {
    return Error::refused(idl::ErrorCode::DUPLICATE,
                          "account '" + std::string(id) + "' already exists");
  }

  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, secret.data(), secret.size(), options_.passwordOpsLimit,
                            options_.passwordMemLimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Error::refused(idl::ErrorCode::INTERNAL,
                          "could not hash the secret (out of memory for Argon2id?)");
  }
  capnp::MallocMessageBuilder message;
  auto account = message.initRoot<idl::Account>();
  account.setId(std::string(id));
  account.setName(std::string(name));
  account.setSecretHash(hash);
  account.setCurrency(std::string(currency));
  account.setLimits(limits);
  account.setCreatedAtNanos(options_.nowNanos());

  return write(
      [&](bdb::WriteTxn& txn) -> std::optional<Error> {
        bdb::Record<idl::Account> stored;
        bdb::Status s = tables::kAccounts.get(txn, bdb::Key::of(id), &stored);
        if (s.isOk()) {
          return Error::refused(idl::ErrorCode::DUPLICATE,
                                "account '" + std::string(id) + "' already exists");
        }
        if (!s.isNotFound()) return fromStorage(std::move(s));
        // Checked, not recorded: a currency is registered by its first posting.
        if (auto e = requireAssetKind(txn, currency, idl::Asset::Kind::CASH, 0, false)) return e;
        s = tables::kAccounts.put(txn, bdb::Key::of(id), message);
        if (!s.isOk()) return fromStorage(std::move(s));
        return std::nullopt;
      },
      audit);
}

Result<> Books::setLimits(std::string_view account, idl::RiskLimits::Reader limits,
                          common::AuditStamp* audit) {
  if (!validAccountId(account)) return noAccount(account);
  if (std::optional<Error> e = checkLimits(limits)) return *std::move(e);
  return write(
      [&](bdb::WriteTxn& txn) -> std::optional<Error> {
        bdb::Record<idl::Account> stored;
        bdb::Status s = tables::kAccounts.get(txn, bdb::Key::of(account), &stored);
        if (s.isNotFound()) return noAccount(account);
        if (!s.isOk()) return fromStorage(std::move(s));
        capnp::MallocMessageBuilder message;
        message.setRoot(stored.reader());
        message.getRoot<idl::Account>().setLimits(limits);
        s = tables::kAccounts.put(txn, bdb::Key::of(account), message);
        if (!s.isOk()) return fromStorage(std::move(s));
        return std::nullopt;
      },
      audit);
}

// ---- Cash ----

Result<CashPosting> Books::deposit(std::string_view account, std::string_view currency,
                                   int64_t amountMicros, std::string_view reference,
                                   common::AuditStamp* audit) {
  return moveCash(account, currency, amountMicros, idl::Posting::Kind::DEPOSIT, reference, audit);
}

Result<CashPosting> Books::withdraw(std::string_view account, std::string_view currency,
                                    int64_t amountMicros, std::string_view reference,
                                    common::AuditStamp* audit) {
  return moveCash(account, currency, amountMicros, idl::Posting::Kind::WITHDRAWAL, reference,
                  audit);
}

Result<CashPosting> Books::moveCash(std::string_view account, std::string_view currency,
                                    int64_t amountMicros, idl::Posting::Kind kind,
                                    std::string_view reference, common::AuditStamp* audit,
                                    const CashHook& hook, std::string_view approving) {
  if (!validAccountId(account)) return noAccount(account);
  if (!validCurrency(currency)) {
    return invalid("currency '" + common::echo(currency) + "' is not three capital letters");
  }
  if (amountMicros <= 0) {
    return invalid("the amount must be positive, not " + formatMicros(amountMicros));
  }
  if (!reference.empty() && !validReference(reference)) {
    return invalid("reference '" + common::echo(reference) +
                   "' must be 1-128 printable characters without spaces");
  }
  const bool deposit = kind == idl::Posting::Kind::DEPOSIT;
  const int64_t customerDelta = deposit ? amountMicros : -amountMicros;
  const int64_t now = options_.nowNanos();
  const int32_t tradeDate = today();
  CashPosting posted;

  Result<> written = write(
      [&](bdb::WriteTxn& txn) -> std::optional<Error> {
        // A known reference is answered before anything else is checked: the
        // first posting stands even if the balance has moved since.
        if (!reference.empty()) {
          bdb::Record<idl::CashReference> earlier;
          bdb::Status s = tables::kCashReferences.get(txn, bdb::Key::of(reference), &earlier);
          if (s.isOk()) {
            const bool wasDeposit = earlier->getKind() == idl::Posting::Kind::DEPOSIT;
            const std::string earlierId = text(earlier->getPosting().getId());
            if (text(earlier->getAccount()) != account ||
                text(earlier->getCurrency()) != currency ||
                earlier->getAmountMicros() != amountMicros || earlier->getKind() != kind) {
              return Error::refused(
                  idl::ErrorCode::DUPLICATE,
                  "reference '" + std::string(reference) + "' was already used for a " +
                      (wasDeposit ? "deposit of " : "withdrawal of ") +
                      formatMicros(earlier->getAmountMicros()) + " " +
                      text(earlier->getCurrency()) + (wasDeposit ? " to " : " from ") +
                      text(earlier->getAccount()) + " (posting " + earlierId +
                      "); use a new reference");
            }
            posted = {earlierId, earlier->getTradeDateMicros(), earlier->getSettledMicros(), true};
            if (audit != nullptr) audit->postingId = earlierId;
            return hook ? hook(txn, earlierId) : std::nullopt;
          }
          if (!s.isNotFound()) return fromStorage(std::move(s));
        }
        if (std::optional<Error> e = requireAccount(txn, account)) return e;
        if (auto e = requireAssetKind(txn, currency, idl::Asset::Kind::CASH, now, true)) return e;
        if (!deposit) {
          // Settled cash already spent by unsettled buys is not free to leave.
          bdb::Record<idl::Balance> balance;
          bdb::Status s = tables::kBalances.get(txn, balanceKey(account, currency), &balance);
          if (!s.isOk() && !s.isNotFound()) return fromStorage(std::move(s));
          // Cash a pending request holds is already spoken for (four eyes).
          int64_t pending = 0;
          bdb::Status p =
              common::pendingWithdrawalMicros(txn, account, currency, now, approving, &pending);
          if (!p.isOk()) return fromStorage(std::move(p));
          const int64_t available =
              s.isOk() ? std::max<int64_t>(0, std::min(balance->getSettledMicros(),
                                                       balance->getTradeDateMicros()) -
                                                  pending)
                       : 0;
          if (available < amountMicros) {
            return Error::refused(idl::ErrorCode::INSUFFICIENT_BUYING_POWER,
                                  "insufficient settled cash: needs " + formatMicros(amountMicros) +
                                      ", has " + formatMicros(available));
          }
        }
        CashBalance after;
        if (std::optional<Error> e =
                addCash(txn, account, currency, customerDelta, customerDelta, &after)) {
          return e;
        }
        // The firm's bank takes the other side: the customers' cash is there.
        PostingStamp stamp{"", kind, now, tradeDate, "", ""};
        if (std::optional<Error> e = newPostingId(txn, group_.name(), &stamp.id)) return e;
        auto fill = [&](idl::Posting::Builder posting) {
          fillPosting(posting, stamp,
                      {{account, currency, customerDelta}, {kBankBook, currency, -customerDelta}});
          if (audit != nullptr) posting.setAuditId(audit->id);
        };
        posted = {stamp.id, after.tradeDateMicros, after.settledMicros, false};
        if (audit != nullptr) audit->postingId = stamp.id;
        if (reference.empty()) {
          if (auto e = putPosting(txn, tables::kPostings, bdb::Key::of(stamp.id), fill)) return e;
          return hook ? hook(txn, stamp.id) : std::nullopt;
        }

        // With a reference, the posting is kept in the reference's record only.
        capnp::MallocMessageBuilder message;
        auto record = message.initRoot<idl::CashReference>();
        record.setReference(std::string(reference));
        record.setAccount(std::string(account));
        record.setCurrency(std::string(currency));
        record.setAmountMicros(amountMicros);
        record.setKind(kind);
        record.setTradeDateMicros(after.tradeDateMicros);
        record.setSettledMicros(after.settledMicros);
        record.setAtNanos(now);
        fill(record.initPosting());
        bdb::Status s = tables::kCashReferences.put(txn, bdb::Key::of(reference), message);
        if (!s.isOk()) return fromStorage(std::move(s));
        return hook ? hook(txn, stamp.id) : std::nullopt;
      },
      audit);
  if (!written.isOk()) return written.error();
  return posted;
}

// ---- Executions ----

Result<BookingOutcome> Books::bookExecution(const idl::Execution::Reader& execution) {
  const std::string id = text(execution.getId());
  const std::string account = text(execution.getAccount());
  const std::string symbol = text(execution.getSymbol());
  const std::string currency = text(execution.getCurrency());
  const int64_t quantity = execution.getQuantity();
  const int64_t price = execution.getPriceMicros();
  if (!validSymbol(id)) return invalid("execution id '" + common::echo(id) + "' is malformed");

  // A repeat is the common case after a catch-up scan: answer it without a
  // write. A read that keeps losing lock conflicts is left to the write,
  // which looks again in its transaction.
  const bdb::Key bookingKey = bdb::Key::of(id);
  bdb::Record<idl::Posting> booked;
  bdb::Status s =
      readRetryingConflicts([&] { return tables::kBookings.get(group_, bookingKey, &booked); });
  if (s.isOk()) return BookingOutcome{true, text(booked->getId())};
  if (!s.isNotFound() && s.code() != bdb::Status::Code::kConflict) {
    return Error::fromStorage(std::move(s));
  }

  const std::string what = "execution " + id + ": ";
  if (!validAccountId(account)) {
    return invalid(what + "account '" + common::echo(account) + "' is malformed");
  }
  if (!validSymbol(symbol))
    return invalid(what + "symbol '" + common::echo(symbol) + "' is malformed");
  if (!validCurrency(currency)) {
    return invalid(what + "currency '" + common::echo(currency) + "' is malformed");
  }
  if (symbol == currency) return invalid(what + "symbol and currency are both " + symbol);
  if (quantity <= 0) return invalid(what + "quantity must be positive");
  if (price <= 0) return invalid(what + "price must be positive");
  if (execution.getExecutedAtNanos() <= 0) return invalid(what + "has no execution time");
  const idl::Side side = execution.getSide();
  if (side != idl::Side::BUY && side != idl::Side::SELL) return invalid(what + "unknown side");
  const Wide wideNotional = Wide{quantity} * price;
  if (wideNotional > INT64_MAX) return invalid(what + "notional does not fit in 64 bits");
  const int64_t notional = static_cast<int64_t>(wideNotional);
  const int64_t sign = side == idl::Side::BUY ? 1 : -1;
  const int64_t now = options_.nowNanos();
  const int32_t tradeDate = tradeDateOf(execution.getExecutedAtNanos());
  BookingOutcome outcome;

  Result<> written = write([&](bdb::WriteTxn& txn) -> std::optional<Error> {
    bdb::Record<idl::Posting> existing;
    bdb::Status found = tables::kBookings.get(txn, bookingKey, &existing);
    if (found.isOk()) {
      outcome = {true, text(existing->getId())};
      return std::nullopt;
    }
    if (!found.isNotFound()) return fromStorage(std::move(found));
    if (std::optional<Error> e = requireAccount(txn, account)) return e;
    if (auto e = requireAssetKind(txn, symbol, idl::Asset::Kind::SECURITY, now, true)) return e;
    if (auto e = requireAssetKind(txn, currency, idl::Asset::Kind::CASH, now, true)) return e;

    // Trade-date cash moves now, settled cash at settlement. The street
    // book's side is in the posting only.
    if (auto e = addCash(txn, account, currency, -sign * notional, 0)) return e;
    if (auto e = addFill(txn, account, symbol, sign * quantity, price)) return e;

    // A buy: the customer pays cash to the street and receives shares from
    // it. A sell is the mirror image. The booking is the posting, keyed by
    // the execution id, so its presence makes a repeat a no-op.
    PostingStamp stamp{"", idl::Posting::Kind::TRADE, now, tradeDate, id, ""};
    if (std::optional<Error> e = newPostingId(txn, group_.name(), &stamp.id)) return e;
    if (auto e = putPosting(txn, tables::kBookings, bookingKey, [&](idl::Posting::Builder posting) {
          fillPosting(posting, stamp,
                      {{account, currency, -sign * notional},
                       {kStreetBook, currency, sign * notional},
                       {account, symbol, sign * quantity},
                       {kStreetBook, symbol, -sign * quantity}});
        })) {
      return e;
    }
    outcome = {false, stamp.id};
    return std::nullopt;
  });
  if (!written.isOk()) return written.error();
  return outcome;
}

// ---- Settlement ----

Result<SettlementRun> Books::settle(int32_t throughTradeDate, common::AuditStamp* audit) {
  if (!validTradeDate(throughTradeDate)) {
    return invalid("trade date " + std::to_string(throughTradeDate) + " is not yyyymmdd");
  }
  std::lock_guard lock(settleMutex_);
  // Only settle writes settlements, and it holds settleMutex_, so what it
  // reads stays true; a trade booked after the scan waits for the next run.
  std::map<DatedHolding, Wide> due;
  bdb::Status s =
      readRetryingConflicts([&] { return scanUnsettled(group_, throughTradeDate, &due); });
  if (!s.isOk()) return Error::fromStorage(std::move(s));

  SettlementRun run;
  for (const auto& [key, amount] : due) {
    if (amount == 0) continue;
    if (amount > INT64_MAX || amount < INT64_MIN) {
      return invalid("settlement of " + std::get<0>(key) + " does not fit in 64 bits");
    }
    run.lines.push_back(SettlementLine{"", std::get<0>(key), std::get<1>(key), std::get<2>(key),
                                       static_cast<int64_t>(amount)});
  }
  if (run.lines.empty()) {
    // Nothing due: an operator's run is still recorded; the schedule's
    // ("system:...") is not, so that a quiet day or a restart writes nothing.
    if (audit != nullptr && audit->operatorName.rfind("system:", 0) != 0) {
      Result<> recorded =
          write([](bdb::WriteTxn&) -> std::optional<Error> { return std::nullopt; }, audit);
      if (!recorded.isOk()) return recorded.error();
    }
    return run;
  }

  const int64_t now = options_.nowNanos();
  Result<> written = write(
      [&](bdb::WriteTxn& txn) -> std::optional<Error> {
        for (SettlementLine& line : run.lines) {
          // The firm pays (or is paid by) the street from its bank: the street
          // book's obligation for these trades goes to zero, and the customer's
          // trade cash becomes settled.
          PostingStamp stamp{"",          idl::Posting::Kind::SETTLEMENT, now, line.tradeDate, "",
                             line.account};
          if (std::optional<Error> e = newPostingId(txn, group_.name(), &stamp.id)) return e;
          line.settlementId = stamp.id;
          if (auto e = putPosting(txn, tables::kPostings, bdb::Key::of(stamp.id),
                                  [&](idl::Posting::Builder posting) {
                                    fillPosting(posting, stamp,
                                                {{kStreetBook, line.currency, line.amountMicros},
                                                 {kBankBook, line.currency, -line.amountMicros}});
                                    if (audit != nullptr) posting.setAuditId(audit->id);
                                  })) {
            return e;
          }
          if (auto e = addCash(txn, line.account, line.currency, 0, line.amountMicros)) return e;
        }
        return std::nullopt;
      },
      audit);
  if (!written.isOk()) return written.error();
  return run;
}

// ---- Verification ----

Result<VerifyReport> Books::verify(std::span<bdb::OwnershipGroup* const> streetReplicas,
                                   bool requireAudit) {
  return verifyBooks(group_, streetReplicas, /*nowNanos=*/0, requireAudit);
}

// ---- Trading halts and routes ----

Result<> Books::halt(std::string_view symbol, std::string_view reason, common::AuditStamp* audit) {
  if (reason.empty()) return invalid("a halt needs a reason");
  if (!validName(reason)) {
    return invalid("a halt's reason must be at most " + std::to_string(kMaxNameBytes) +
                   " printable characters");
  }
  return putHalt(symbol, true, reason, audit);
}

Result<> Books::resume(std::string_view symbol, std::string_view reason,
                       common::AuditStamp* audit) {
  return putHalt(symbol, false, reason, audit);
}

Result<> Books::putHalt(std::string_view symbol, bool halted, std::string_view reason,
                        common::AuditStamp* audit) {
  if (!validSymbol(symbol)) return invalid("symbol '" + common::echo(symbol) + "' is malformed");
  capnp::MallocMessageBuilder message;
  auto record = message.initRoot<idl::Halt>();
  record.setSymbol(std::string(symbol));
  record.setHalted(halted);
  record.setReason(std::string(reason));
  record.setAtNanos(options_.nowNanos());
  return write(
      [&](bdb::WriteTxn& txn) -> std::optional<Error> {
        if (audit != nullptr) message.getRoot<idl::Halt>().setAuditId(audit->id);
        bdb::Status s = tables::kHalts.put(txn, bdb::Key::of(symbol), message);
        if (!s.isOk()) return fromStorage(std::move(s));
        return std::nullopt;
      },
      audit);
}

Result<> Books::setRoute(idl::VenueRoute::Reader route, common::AuditStamp* audit) {
  const std::string symbol = text(route.getSymbol());
  if (!validSymbol(symbol))
    return invalid("route symbol '" + common::echo(symbol) + "' is malformed");
  if (!validSymbol(text(route.getStreet()))) return invalid("route for " + symbol + ": no street");
  if (!validSymbol(text(route.getVenue()))) return invalid("route for " + symbol + ": no venue");
  if (!validCurrency(text(route.getCurrency()))) {
    return invalid("route for " + symbol + ": currency '" +
                   common::echo(text(route.getCurrency())) + "' is not three capital letters");
  }
  if (route.getLastPriceMicros() < 0 || route.getLastPriceMicros() > kMaxPriceMicros) {
    return invalid("route for " + symbol +
                   ": reference price must be between 0 and 1,000,000,000.00");
  }
  return write(
      [&](bdb::WriteTxn& txn) -> std::optional<Error> {
        bdb::Status s = tables::kVenueRoutes.put(txn, bdb::Key::of(symbol), route);
        if (!s.isOk()) return fromStorage(std::move(s));
        return std::nullopt;
      },
      audit);
}

// ---- Four eyes: withdrawal requests ----

Result<WithdrawalRequested> Books::requestWithdrawal(
    std::string_view account, std::string_view currency, int64_t amountMicros,
    std::string_view reference, std::string_view requestedBy, int64_t expiresAtNanos,
    common::AuditStamp* audit) {
  if (!validAccountId(account)) return noAccount(account);
  if (!validCurrency(currency)) {
    return invalid("currency '" + common::echo(currency) + "' is not three capital letters");
  }
  if (amountMicros <= 0) {
    return invalid("the amount must be positive, not " + formatMicros(amountMicros));
  }
  if (!reference.empty() && !validReference(reference)) {
    return invalid("reference '" + common::echo(reference) +
                   "' must be 1-128 printable characters without spaces");
  }
  const int64_t now = options_.nowNanos();
  WithdrawalRequested requested;
  Result<> written = write(
      [&](bdb::WriteTxn& txn) -> std::optional<Error> {
        if (std::optional<Error> e = requireAccount(txn, account)) return e;
        bdb::Record<idl::Balance> balance;
        bdb::Status s = tables::kBalances.get(txn, balanceKey(account, currency), &balance);
        if (!s.isOk() && !s.isNotFound()) return fromStorage(std::move(s));
        int64_t pending = 0;
        bdb::Status p = common::pendingWithdrawalMicros(txn, account, currency, now, "", &pending);
        if (!p.isOk()) return fromStorage(std::move(p));
        const int64_t available =
            s.isOk() ? std::max<int64_t>(
                           0, std::min(balance->getSettledMicros(), balance->getTradeDateMicros()) -
                                  pending)
                     : 0;
        if (available < amountMicros) {
          return Error::refused(idl::ErrorCode::INSUFFICIENT_BUYING_POWER,
                                "insufficient settled cash: needs " + formatMicros(amountMicros) +
                                    ", has " + formatMicros(available));
        }
        if (auto e = newPostingId(txn, group_.name(), &requested.requestId)) return e;
        requested.expiresAtNanos = expiresAtNanos;
        capnp::MallocMessageBuilder message;
        auto request = message.initRoot<idl::WithdrawalRequest>();
        request.setId(requested.requestId);
        request.setAccount(std::string(account));
        request.setCurrency(std::string(currency));
        request.setAmountMicros(amountMicros);
        request.setReference(std::string(reference));
        request.setRequestedBy(std::string(requestedBy));
        request.setRequestedAtNanos(now);
        request.setExpiresAtNanos(expiresAtNanos);
        request.setState(idl::WithdrawalRequest::State::PENDING);
        if (audit != nullptr) {
          request.setRequestAuditId(audit->id);
          audit->requestId = requested.requestId;
        }
        s = tables::kWithdrawalRequests.put(
            txn, common::withdrawalRequestKey(account, requested.requestId), message);
        if (!s.isOk()) return fromStorage(std::move(s));
        return std::nullopt;
      },
      audit);
  if (!written.isOk()) return written.error();
  return requested;
}

std::optional<Error> Books::findRequest(bdb::WriteTxn& txn, std::string_view id,
                                        capnp::MallocMessageBuilder* copy) {
  bool found = false;
  bdb::Status s = tables::kWithdrawalRequests.scan(
      txn, "", [&](std::string_view, idl::WithdrawalRequest::Reader request) {
        if (std::string_view(request.getId().cStr()) != id) return true;
        copy->setRoot(request);
        found = true;
        return false;
      });
  if (!s.isOk()) return fromStorage(std::move(s));
  if (!found) {
    return Error::refused(idl::ErrorCode::NOT_FOUND,
                          "no withdrawal request '" + common::echo(id) + "'");
  }
  return std::nullopt;
}

namespace {

// Why a request can no longer be decided, or nothing.
std::optional<Error> undecidable(idl::WithdrawalRequest::Reader request, int64_t now) {
  const std::string id = request.getId().cStr();
  switch (request.getState()) {
    case idl::WithdrawalRequest::State::APPROVED:
      return Error::refused(
          idl::ErrorCode::TOO_LATE,
          "withdrawal request " + id + " was already approved by " + request.getDecidedBy().cStr());
    case idl::WithdrawalRequest::State::REJECTED:
      return Error::refused(
          idl::ErrorCode::TOO_LATE,
          "withdrawal request " + id + " was already rejected by " + request.getDecidedBy().cStr());
    case idl::WithdrawalRequest::State::PENDING:
      break;
  }
  if (request.getExpiresAtNanos() <= now) {
    return Error::refused(idl::ErrorCode::TOO_LATE,
                          "withdrawal request " + id + " has expired; ask for it again");
  }
  return std::nullopt;
}

}  // namespace

Result<CashPosting> Books::approveWithdrawal(std::string_view requestId, std::string_view approver,
                                             common::AuditStamp* audit) {
  // What to withdraw, read first; checked again inside the posting's
  // transaction, which is what counts.
  capnp::MallocMessageBuilder first;
  bool found = false;
  bdb::Status s = tables::kWithdrawalRequests.scan(
      group_, "", [&](std::string_view, idl::WithdrawalRequest::Reader record) {
        if (std::string_view(record.getId().cStr()) != requestId) return true;
        first.setRoot(record);
        found = true;
        return false;
      });
  if (!s.isOk()) return Error::fromStorage(std::move(s));
  if (!found) {
    return Error::refused(idl::ErrorCode::NOT_FOUND,
                          "no withdrawal request '" + common::echo(requestId) + "'");
  }
  idl::WithdrawalRequest::Reader request = first.getRoot<idl::WithdrawalRequest>().asReader();
  if (audit != nullptr) {
    audit->account = request.getAccount().cStr();
    audit->requestId = std::string(requestId);
  }
  if (std::string_view(request.getRequestedBy().cStr()) == approver) {
    return Error::refused(idl::ErrorCode::PERMISSION_DENIED,
                          "withdrawal request " + std::string(requestId) + " was asked for by " +
                              std::string(approver) +
                              ": a second, different treasury operator must approve it");
  }
  if (std::optional<Error> e = undecidable(request, options_.nowNanos())) return *std::move(e);
  const std::string account = request.getAccount().cStr();
  const std::string currency = request.getCurrency().cStr();
  const std::string reference = request.getReference().cStr();
  auto mark = [&](bdb::WriteTxn& txn, const std::string& postingId) -> std::optional<Error> {
    capnp::MallocMessageBuilder current;
    if (auto e = findRequest(txn, requestId, &current)) return e;
    auto record = current.getRoot<idl::WithdrawalRequest>();
    if (auto e = undecidable(record.asReader(), options_.nowNanos())) return e;
    record.setState(idl::WithdrawalRequest::State::APPROVED);
    record.setDecidedBy(std::string(approver));
    record.setDecidedAtNanos(options_.nowNanos());
    record.setPostingId(postingId);
    if (audit != nullptr) record.setDecisionAuditId(audit->id);
    bdb::Status put = tables::kWithdrawalRequests.put(
        txn, common::withdrawalRequestKey(account, requestId), current);
    if (!put.isOk()) return fromStorage(std::move(put));
    return std::nullopt;
  };
  return moveCash(account, currency, request.getAmountMicros(), idl::Posting::Kind::WITHDRAWAL,
                  reference, audit, mark, requestId);
}

Result<> Books::rejectWithdrawal(std::string_view requestId, std::string_view by,
                                 std::string_view reason, common::AuditStamp* audit) {
  if (!reason.empty() && !validName(reason)) {
    return invalid("a rejection's reason must be at most " + std::to_string(kMaxNameBytes) +
                   " printable characters");
  }
  return write(
      [&](bdb::WriteTxn& txn) -> std::optional<Error> {
        capnp::MallocMessageBuilder current;
        if (auto e = findRequest(txn, requestId, &current)) return e;
        auto record = current.getRoot<idl::WithdrawalRequest>();
        if (auto e = undecidable(record.asReader(), options_.nowNanos())) return e;
        const std::string account = record.getAccount().cStr();
        if (audit != nullptr) {
          audit->account = account;
          audit->requestId = std::string(requestId);
        }
        record.setState(idl::WithdrawalRequest::State::REJECTED);
        record.setDecidedBy(std::string(by));
        record.setDecidedAtNanos(options_.nowNanos());
        record.setReason(std::string(reason));
        if (audit != nullptr) record.setDecisionAuditId(audit->id);
        bdb::Status s = tables::kWithdrawalRequests.put(
            txn, common::withdrawalRequestKey(account, requestId), current);
        if (!s.isOk()) return fromStorage(std::move(s));
        return std::nullopt;
      },
      audit);
}

}  // namespace triad::firm
