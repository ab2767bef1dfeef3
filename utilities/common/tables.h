// Every table of every ownership group, with its record type (DESIGN §2).
// Keys (docs/storage.md) put the order id first wherever a record belongs to
// an order, so an order's records in any group are one prefix scan.

#pragma once

#include "bdb/table.h"
#include "idl/records.capnp.h"

namespace triad::tables {

// Type 1: customer groups.
inline constexpr bdb::Table<idl::Order> kOrders{"orders"};               // order id
inline constexpr bdb::Table<idl::CancelRequest> kCancels{"cancels"};     // order id, cancel id
inline constexpr bdb::Table<idl::Order> kClientOrders{"client_orders"};  // account, client id
inline constexpr bdb::Table<idl::SessionAudit> kAudit{"audit"};          // audit id

// Type 3: street groups.
inline constexpr bdb::Table<idl::Route> kRoutes{"routes"};              // order id
inline constexpr bdb::Table<idl::Execution> kExecutions{"executions"};  // order id, execution id
inline constexpr bdb::Table<idl::Execution> kVenueExecutions{"venue_executions"};  // venue, exec id
inline constexpr bdb::Table<idl::Reject> kRejects{"rejects"};     // order id, reject id
inline constexpr bdb::Table<idl::Closure> kClosures{"closures"};  // order id, closure id

// Type 2: the firm group. A posting (all of its legs) is one record, under
// the key that makes it happen once; the firm's books keep no balances or
// positions of their own (utilities/firm/README.md).
inline constexpr bdb::Table<idl::Account> kAccounts{"accounts"};     // account
inline constexpr bdb::Table<idl::Balance> kBalances{"balances"};     // account, currency
inline constexpr bdb::Table<idl::Position> kPositions{"positions"};  // account, symbol
inline constexpr bdb::Table<idl::Posting> kBookings{"bookings",
                                                    bdb::TableKind::kHashed};  // execution id
inline constexpr bdb::Table<idl::Posting> kPostings{"postings",
                                                    bdb::TableKind::kHashed};  // posting id
inline constexpr bdb::Table<idl::CashReference> kCashReferences{
    "cash_references", bdb::TableKind::kHashed};                                     // reference
inline constexpr bdb::Table<idl::Asset> kAssets{"assets", bdb::TableKind::kHashed};  // asset
inline constexpr bdb::Table<idl::Halt> kHalts{"halts"};                              // symbol
inline constexpr bdb::Table<idl::VenueRoute> kVenueRoutes{"venue_routes"};  // symbol ("*": default)

}  // namespace triad::tables
