// Checks the firm's books from the records alone (DESIGN §3's invariants),
// at the owner or at any replica of the firm group:
//
//   - the ledger sums to zero per asset, and so does every posting;
//   - every customer balance's trade-date cash is the sum of its legs; its
//     settled cash is its non-trade legs plus its settlements;
//   - every customer position's quantity is the sum of its legs, and every
//     customer leg belongs to a balance or a position (never both). The
//     firm's books keep no balance or position records: theirs are the sums
//     of their legs, so one found is malformed;
//   - every leg's asset is registered (`assets`) as cash or as shares;
//     balances hold only cash and positions only shares;
//   - no settlement moved more than was due for its account, currency and
//     trade date, nor in the wrong direction;
//   - every posting is kept where it belongs, once: a trade as its
//     execution's booking, a referenced deposit or withdrawal in its
//     reference, every other under its own id;
//   - every deposit or withdrawal reference holds a posting that moved its
//     amount for its account and currency;
//   - given the street groups' replicas: every execution in them is booked,
//     exactly once, for its quantity and notional; no street keeps a venue
//     report it refused (an over-fill, a report for an unknown order, an
//     ExecID reused with other terms, a malformed one: each is a finding
//     until an operator resolves it with the venue and removes it); no
//     route is older than kRouteAnswerLimit with no answer from its venue
//     (acknowledgement, execution, rejection or closure);
//   - with `requireAudit` (the firm's Admin asks for it; issue 17): every
//     deposit, withdrawal and settlement posting and every halt names an
//     operator's audit entry (admin_audit) that exists. Trades are booked
//     from their executions and name none.
//
// The scans are not one transaction: verify repeats them until the firm
// group's commit mark is the same before and after (a few attempts), so a
// report describes one committed state of the firm's books. Street groups
// are scanned first: an execution recorded after that is simply not checked,
// and one the firm has not booked yet is reported as unbooked.

#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bdb/ownership_group.h"
#include "utilities/firm/result.h"

namespace triad::firm {

struct Finding {
  enum class Kind {
    kLedgerImbalance,    // an asset's legs do not sum to zero
    kPostingImbalance,   // a posting's legs do not sum to zero for an asset
    kBalanceMismatch,    // a balance differs from its legs (and settlements)
    kPositionMismatch,   // a position's quantity differs from its legs
    kUnaccountedLegs,    // customer legs with no balance or position, or of an unknown asset
    kAmbiguousAsset,     // one account holds the same asset as cash and as shares
    kOverSettled,        // settlements moved more than was due, or the wrong way
    kBookingMismatch,    // a booking and its execution disagree, or a trade is not a booking
    kBookedTwice,        // an execution's legs are in more than one posting
    kUnbooked,           // a street execution the firm has not booked
    kReferenceMismatch,  // a cash reference and its posting disagree
    kMalformed,          // a key does not match its record, or a record the books never write
    // Given the street groups' replicas (issue 16):
    kRefusedReport,       // a venue report a street kept unrecorded (invalid, or an ExecID reused)
    kOverfill,            // a venue reported more executed than the order's quantity
    kUnknownOrderReport,  // a venue report naming no order of the street
    kRouteUnanswered,     // a route older than kRouteAnswerLimit the venue never answered
    kUnaudited,           // an operator's posting or halt with no audit entry
  };
  Kind kind;
  std::string detail;  // one line naming the records involved
};

std::string_view findingKindName(Finding::Kind kind);

// How long a venue may leave a route unanswered before verify reports it.
inline constexpr int64_t kRouteAnswerLimitNanos = 60'000'000'000;

struct VerifyReport {
  std::vector<Finding> findings;
  uint64_t commitSequence = 0;  // the firm group's commit the report describes
  size_t legs = 0;
  size_t postings = 0;
  size_t balances = 0;
  size_t positions = 0;
  size_t settlements = 0;
  size_t bookings = 0;
  size_t streetExecutions = 0;

  bool clean() const { return findings.empty(); }
  size_t count(Finding::Kind kind) const;
  // Every finding, one per line ("kBalanceMismatch: ...").
  std::string toString() const;
};

// Unavailable if the firm group kept changing under every attempt; storage
// failures pass through.
// `nowNanos` (0: the system clock) dates the routes' answer limit.
Result<VerifyReport> verifyBooks(bdb::OwnershipGroup& firm,
                                 std::span<bdb::OwnershipGroup* const> streetReplicas = {},
                                 int64_t nowNanos = 0, bool requireAudit = false);

}  // namespace triad::firm
