// The venue session of an execution report: what makes its ExecID unique at
// a venue that numbers ExecIDs per session or per trading day, and so part
// of the report's dedup identity in the street group's keys
// (docs/storage.md). It is a UTC date, "yyyymmdd":
//  - the report's TradeDate (75) when present and well formed;
//  - else the UTC date of its TransactTime (60);
//  - else the UTC date it was received.
// A resend repeats the original message, fields and all, so it gets the
// session the first delivery got; only the last fallback depends on when a
// report arrives (a report with neither field, resent across midnight UTC,
// would be recorded twice).

#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace triad::street {

// `transactTimeNanos` and `receivedAtNanos` are nanoseconds since the epoch;
// 0 means absent.
std::string venueSessionOf(std::string_view tradeDate, int64_t transactTimeNanos,
                           int64_t receivedAtNanos);

// The UTC date of an instant, "yyyymmdd".
std::string utcDate(int64_t nanos);

}  // namespace triad::street
