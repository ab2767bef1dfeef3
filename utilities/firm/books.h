// The firm's books (DESIGN §2, §3 step 5): accounts and credentials, cash,
// positions, the double-entry trade ledger, T+1 settlement, risk limits,
// trading halts and the venue routing table, all in the firm's ownership
// group. The ledger's accounts, legs and keys are described in README.md.
//
// Every log record the group writes is applied at every site (DESIGN §2a),
// so each operation writes few: a posting is one record holding all of its
// legs, and besides it only the customer's balance and position it moves
// (a booked execution: the booking, the balance, the position). The firm's
// own books (firm:bank, firm:street) keep no balance or position records;
// theirs are the sums of their legs, derived where they are needed (verify).
//
// Every operation is one durable write: one group.write callback, so it is
// all or nothing, is gathered with concurrent writes into one commit, and is
// answered once the commit is durable and acknowledged by a replica. Business
// refusals come back as Error with an idl::ErrorCode and a reason a person can
// act on; storage failures keep their bdb::Status (Error::fromStorage). A
// NotReplicated answer may mean "committed here, unacknowledged": retrying
// bookExecution or settle is safe (both are idempotent); so is retrying a
// deposit or withdrawal made with a reference, and only then.
//
// Audit (issue 17): a write given an AuditStamp records its AdminAudit entry
// (utilities/common/admin_audit.h) in the same transaction, fills the
// stamp's id, and names it in what it writes (Posting.auditId, Halt.auditId);
// a refused write records nothing and leaves the id empty: record the
// refusal with recordRefusal.
//
// Thread-safety: every method may be called from any thread; the group
// commit runs the write callbacks one at a time, so read-modify-write of a
// balance inside a callback is safe. Posting ids ("firm-000000042") come
// from the group's sequence (utilities/common/id_allocator.h), which writes
// nothing per id. REQUIRES: the site owns the group, and only one Books
// writes a group (settle reads, then writes, under a mutex of its own).

#pragma once

#include <capnp/message.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bdb/ownership_group.h"
#include "idl/records.capnp.h"
#include "utilities/common/admin_audit.h"
#include "utilities/firm/account_reads.h"
#include "utilities/firm/books_verifier.h"
#include "utilities/firm/result.h"

namespace triad::firm {

struct BooksOptions {
  // Stamps records and dates deposits and withdrawals (UTC). Tests pass
  // their own; nothing else reads the wall clock.
  std::function<int64_t()> nowNanos;
  // Argon2id cost for new secrets (libsodium's "interactive" level by
  // default: ~64 MiB, ~0.1 s). Tests lower it.
  uint64_t passwordOpsLimit = 2;
  size_t passwordMemLimit = size_t{64} << 20;
};

// A deposit or withdrawal, and the account's cash after it.
struct CashPosting {
  std::string postingId;
  int64_t tradeDateMicros = 0;
  int64_t settledMicros = 0;
  bool repeat = false;  // a retry of a posting made before: nothing was written now
};

// A withdrawal above the four-eyes amount, waiting for a second treasury
// operator (utilities/common/pending_withdrawals.h).
struct WithdrawalRequested {
  std::string requestId;
  int64_t expiresAtNanos = 0;
};

struct BookingOutcome {
  bool alreadyBooked = false;  // a repeat: nothing was written
  std::string postingId;       // the posting that booked it (now or before)
};

struct SettlementLine {
  std::string settlementId;
  std::string account;
  std::string currency;
  int32_t tradeDate = 0;
  int64_t amountMicros = 0;  // signed: what moved into settled cash
};

struct SettlementRun {
  std::vector<SettlementLine> lines;  // empty when nothing was due
};

class Books {
 public:
  // REQUIRES: group.isOwner().
  static Result<std::unique_ptr<Books>> open(bdb::OwnershipGroup& group, BooksOptions options);

  Books(const Books&) = delete;
  Books& operator=(const Books&) = delete;

  // A new customer account. Its secret is kept only as an Argon2id hash.
  // Account ids are 1-64 letters, digits, '.', '_' or '-'; currencies three
  // capital letters. Duplicate id: duplicate.
  Result<> createAccount(std::string_view id, std::string_view name, std::string_view secret,
                         std::string_view currency, idl::RiskLimits::Reader limits,
                         common::AuditStamp* audit = nullptr);

  // Cash in or out, against the firm's bank book; both count as settled at
  // once. A withdrawal may take only settled cash not already spent by
  // unsettled buys: "insufficient settled cash: needs 1,000.00, has 250.00".
  //
  // A non-empty `reference` (1-128 printable characters, no spaces) makes
  // the posting idempotent: it is recorded in the same transaction, and a
  // later call with the same reference, account, currency, amount and
  // direction writes nothing and answers the first posting (repeat set),
  // whatever the balance is now. The same reference with anything else is
  // refused (duplicate). Without a reference every call posts.
  Result<CashPosting> deposit(std::string_view account, std::string_view currency,
                              int64_t amountMicros, std::string_view reference = {},
                              common::AuditStamp* audit = nullptr);
  Result<CashPosting> withdraw(std::string_view account, std::string_view currency,
                               int64_t amountMicros, std::string_view reference = {},
                               common::AuditStamp* audit = nullptr);

  // Books one fill exactly once, keyed by its execution id: the customer's
  // trade-date cash and position move now, settled cash at settlement; the
  // street book takes the other side (in the posting). A repeat is ok with
  // alreadyBooked set, answered from one point read and no write.
  // Short sales are booked (risk checks happen before an order is accepted).
  Result<BookingOutcome> bookExecution(const idl::Execution::Reader& execution);

  // Moves into settled cash the trade cash of every trade with tradeDate <=
  // throughTradeDate (yyyymmdd) not yet settled: one settlement posting per
  // account, currency and trade date. Running it again moves nothing.
  // Callers pass the day before today's business date for T+1.
  Result<SettlementRun> settle(int32_t throughTradeDate, common::AuditStamp* audit = nullptr);

  // Checks the books (see books_verifier.h), optionally against the
  // executions of the street groups' replicas.
  // `requireAudit`: also every operator's posting and halt names its audit
  // entry (the firm's Admin asks for it; Books used alone need not).
  Result<VerifyReport> verify(std::span<bdb::OwnershipGroup* const> streetReplicas = {},
                              bool requireAudit = false);

  Result<> halt(std::string_view symbol, std::string_view reason,
                common::AuditStamp* audit = nullptr);
  Result<> resume(std::string_view symbol, std::string_view reason,
                  common::AuditStamp* audit = nullptr);
  Result<> setRoute(idl::VenueRoute::Reader route, common::AuditStamp* audit = nullptr);
  Result<> setLimits(std::string_view account, idl::RiskLimits::Reader limits,
                     common::AuditStamp* audit = nullptr);

  // Four eyes (issue 17). A request posts nothing: it holds the cash (a
  // withdrawal or buying power elsewhere cannot spend it) until a second
  // treasury operator approves it, anyone with treasury rejects it, or it
  // expires at `expiresAtNanos` (derived; nothing is written). Approval
  // posts the withdrawal (with the request's reference) and marks the
  // request in one transaction; it is refused for the operator who asked
  // (permissionDenied), for a request no longer pending (tooLate: decided or
  // expired), and as a withdrawal would be for want of cash.
  Result<WithdrawalRequested> requestWithdrawal(std::string_view account, std::string_view currency,
                                                int64_t amountMicros, std::string_view reference,
                                                std::string_view requestedBy,
                                                int64_t expiresAtNanos,
                                                common::AuditStamp* audit = nullptr);
  Result<CashPosting> approveWithdrawal(std::string_view requestId, std::string_view approver,
                                        common::AuditStamp* audit = nullptr);
  Result<> rejectWithdrawal(std::string_view requestId, std::string_view by,
                            std::string_view reason, common::AuditStamp* audit = nullptr);

  // Records `stamp`'s write as refused with `refusal`, alone (the write
  // itself wrote nothing). Fills the stamp's id.
  Result<> recordRefusal(common::AuditStamp& stamp, const Error& refusal);

  bdb::OwnershipGroup& group() { return group_; }

 private:
  Books(bdb::OwnershipGroup& group, BooksOptions options);

  // Runs `body` as one durable write. `body` refuses by returning an Error;
  // a refusal undoes everything it wrote.
  // With `audit`, its entry is drawn an id before `body` runs (so `body` can
  // name it) and recorded after `body` succeeds, in the same transaction.
  Result<> write(const std::function<std::optional<Error>(bdb::WriteTxn&)>& body,
                 common::AuditStamp* audit = nullptr);
  // Runs in a cash posting's transaction after the posting (`postingId`);
  // a refusal undoes the posting.
  using CashHook =
      std::function<std::optional<Error>(bdb::WriteTxn& txn, const std::string& postingId)>;
  // A withdrawal may take only cash no pending request holds, but for
  // request `approving`'s own.
  Result<CashPosting> moveCash(std::string_view account, std::string_view currency,
                               int64_t amountMicros, idl::Posting::Kind kind,
                               std::string_view reference, common::AuditStamp* audit,
                               const CashHook& hook = {}, std::string_view approving = {});
  // The request `id` as the transaction sees it: where it is and a copy.
  std::optional<Error> findRequest(bdb::WriteTxn& txn, std::string_view id,
                                   capnp::MallocMessageBuilder* copy);
  Result<> putHalt(std::string_view symbol, bool halted, std::string_view reason,
                   common::AuditStamp* audit);
  int32_t today() const;

  bdb::OwnershipGroup& group_;
  const BooksOptions options_;
  std::mutex settleMutex_;  // one settlement run at a time (it reads, then writes)
};

// yyyymmdd of a UTC time.
int32_t tradeDateOf(int64_t nanosSinceEpoch);

}  // namespace triad::firm
