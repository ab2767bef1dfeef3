// The ledger's accounts that are not customers (the firm's books), and the
// keys of the firm group's per-account tables (docs/storage.md). The typed
// tables are in utilities/common/tables.h. See README.md for the ledger.

#pragma once

#include <string_view>

#include "bdb/key.h"

namespace triad::firm {

// The firm's books. Customer account ids cannot contain ':', so these never
// collide with a customer.
//
// The customers' cash at the firm's bank.
inline constexpr std::string_view kBankBook = "firm:bank";
// What the firm owes the street (clearing), or is owed, until settlement.
inline constexpr std::string_view kStreetBook = "firm:street";

inline bool isFirmBook(std::string_view account) { return account.starts_with("firm:"); }

inline bdb::Key balanceKey(std::string_view account, std::string_view currency) {
  return bdb::Key().add(account).add(currency);
}
inline bdb::Key positionKey(std::string_view account, std::string_view symbol) {
  return bdb::Key().add(account).add(symbol);
}

}  // namespace triad::firm
