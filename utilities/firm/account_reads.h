// What a customer utility reads from its replica of the firm group (DESIGN
// §2): an account's cash and positions, and whether a secret opens it. These
// work at any site, the owner included, and never write.
//
// A replica being re-initialised answers unavailable (retry shortly); a table
// not yet replicated reads as empty, so a brand-new replica knows no account.

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bdb/ownership_group.h"
#include "utilities/firm/result.h"

namespace triad::firm {

struct CashBalance {
  int64_t tradeDateMicros = 0;  // including unsettled trades
  int64_t settledMicros = 0;
};

struct PositionSummary {
  std::string symbol;
  int64_t quantity = 0;  // negative: short
  int64_t costBasisMicros = 0;
  int64_t averageCostMicros = 0;
  int64_t realisedPnlMicros = 0;
};

// An existing account with no cash in `currency` has a zero balance; an
// unknown account is notFound.
Result<CashBalance> balanceOf(bdb::OwnershipGroup& firm, std::string_view account,
                              std::string_view currency);

// Every position the account has held, in symbol order, closed ones
// (quantity 0, realised P&L kept) included.
Result<std::vector<PositionSummary>> positionsOf(bdb::OwnershipGroup& firm,
                                                 std::string_view account);

// Checks `secret` against the account's Argon2id hash with libsodium's
// constant-time verification. An unknown account costs the same as a wrong
// secret and gets the same answer (unauthenticated), so neither tells which
// accounts exist; a disabled account is refused only once the secret is right.
Result<> authenticate(bdb::OwnershipGroup& firm, std::string_view account, std::string_view secret);

}  // namespace triad::firm
