// Checks the firm's books from the records alone (DESIGN §3's invariants),
// at the owner or at any replica of the firm group:
//
//   - the ledger sums to zero per asset, and so does every posting;
//   - every balance's trade-date cash is the sum of its ledger legs; a
//     customer's settled cash is its non-trade legs plus its settlements; a
//     firm book's settled cash is its trade-date cash (books do not settle);
//   - every position's quantity is the sum of its ledger legs, and every leg
//     belongs to a balance or a position (never both);
//   - no settlement moved more than was due for its account, currency and
//     trade date, nor in the wrong direction;
//   - every booking names the one posting that carries its execution's legs;
//   - every deposit or withdrawal reference names the posting that moved its
//     amount for its account and currency;
//   - given the street groups' replicas: every execution in them is booked,
//     exactly once, for its quantity and notional.
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
    kUnaccountedLegs,    // legs with no balance or position record
    kAmbiguousAsset,     // one account holds the same asset as cash and as shares
    kOverSettled,        // settlements moved more than was due, or the wrong way
    kBookingMismatch,    // a booking and the ledger disagree about an execution
    kBookedTwice,        // an execution's legs are in more than one posting
    kUnbooked,           // a street execution the firm has not booked
    kReferenceMismatch,  // a cash reference and its posting disagree
    kMalformed,          // a record's key does not match its fields
  };
  Kind kind;
  std::string detail;  // one line naming the records involved
};

std::string_view findingKindName(Finding::Kind kind);

struct VerifyReport {
  std::vector<Finding> findings;
  uint64_t commitSequence = 0;  // the firm group's commit the report describes
  size_t ledgerEntries = 0;
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
Result<VerifyReport> verifyBooks(bdb::OwnershipGroup& firm,
                                 std::span<bdb::OwnershipGroup* const> streetReplicas = {});

}  // namespace triad::firm
