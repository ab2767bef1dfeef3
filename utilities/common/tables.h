// Every table of every ownership group, with its record type (DESIGN §2).
// Keys (docs/storage.md) put the order id first wherever a record belongs to
// an order, so an order's records in any group are one prefix scan. Every
// record a table adds is applied at every site: an index holds a reference,
// not a second copy, and a table read only by key is hashed (one log record
// per new record instead of two).

#pragma once

#include <string_view>

#include "bdb/table.h"
#include "idl/records.capnp.h"

namespace triad::tables {

// Type 1: customer groups.
inline constexpr bdb::Table<idl::Order> kOrders{"orders"};                  // order id
inline constexpr bdb::Table<idl::CancelRequest> kCancels{"cancels"};        // order id, cancel id
inline constexpr bdb::Table<idl::OrderRef> kClientOrders{"client_orders"};  // account, client id
inline constexpr bdb::Table<idl::SessionAudit> kAudit{"audit"};             // audit id

// Type 3: street groups.
// Routes are read by order id and scanned whole (start-up), never in order.
inline constexpr bdb::Table<idl::Route> kRoutes{"routes", bdb::TableKind::kHashed};  // order id
// The three kinds of execution report: key reportKey(), so an order's reports
// are one prefix scan and a resend is one point read.
inline constexpr bdb::Table<idl::Execution> kExecutions{"executions"};
inline constexpr bdb::Table<idl::Reject> kRejects{"rejects"};
inline constexpr bdb::Table<idl::Closure> kClosures{"closures"};
// Reports a venue sent that could not be recorded (refusedReportKey).
inline constexpr bdb::Table<idl::RefusedReport> kRefusedReports{"refused_reports",
                                                                bdb::TableKind::kHashed};

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
// The operators' trail (issue 17; admin_audit.h): key (atNanos as U64, id),
// so a time range is one cursor range.
inline constexpr bdb::Table<idl::AdminAudit> kAdminAudit{"admin_audit"};
// Withdrawals waiting for a second treasury operator (pending_withdrawals.h):
// key (account, id), so an account's are one prefix scan.
inline constexpr bdb::Table<idl::WithdrawalRequest> kWithdrawalRequests{"withdrawal_requests"};

// The key of an execution report in executions, rejects or closures: the
// order id, then the report's dedup identity, (venue, venue session, venue
// ExecID) (docs/storage.md).
inline bdb::Key reportKey(std::string_view orderId, std::string_view venue,
                          std::string_view venueSession, std::string_view venueExecId) {
  return bdb::Key().add(orderId).add(venue).add(venueSession).add(venueExecId);
}
inline bdb::Key refusedReportKey(std::string_view venue, std::string_view venueSession,
                                 std::string_view venueExecId, std::string_view clOrdId) {
  return bdb::Key().add(venue).add(venueSession).add(venueExecId).add(clOrdId);
}
inline bdb::Key executionKey(idl::Execution::Reader execution) {
  return reportKey(execution.getOrderId().cStr(), execution.getVenue().cStr(),
                   execution.getVenueSession().cStr(), execution.getVenueExecId().cStr());
}

}  // namespace triad::tables
