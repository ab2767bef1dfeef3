// The FIX wire form of the messages in fix_messages.h, for FIX.4.2 and
// FIX.4.4, both ways: the venue decodes orders and encodes reports; a client
// (a street utility, the tests) encodes orders and decodes reports.
//
// Sessions run without a data dictionary (Debian ships none:
// UseDataDictionary=N), so messages are built and read as generic
// FIX::Message field maps, one code path for both versions. Prices and
// quantities are written as exact decimals from integers (decimal_text.h).
//
// Market data is MarketDataIncrementalRefresh (35=X) with NoMDEntries (268)
// = 1 and that one entry's MDUpdateAction (279: 0 new, 2 delete),
// MDEntryType (269: 0 bid, 1 offer, 2 trade), Symbol (55), and, unless
// deleted, MDEntryPx (270) and MDEntrySize (271). A receiver without a data
// dictionary sees them as plain body fields; decodeMarketData() reads that
// form as well as a parsed group.
//
// Beyond orders and their reports, the venue answers an OrderStatusRequest
// (35=H) with a status ExecutionReport (OrderStatusMessage in
// fix_messages.h: ExecType I in FIX.4.4, ExecTransType 3 in FIX.4.2, ExecID
// 0), and, in the venue modes that imitate stricter venues (venue.h,
// VenueRules), refuses messages with a session-level Reject (35=3) or a
// BusinessMessageReject (35=j). A street utility decodes all three with the
// client-side functions below; a status answer is never an execution, so
// decodeExecutionReport() refuses it.
//
// QuickFIX header: compile as C++14 (see fix_messages.h).

#pragma once

#include <quickfix/Message.h>

#include <string>

#include "exchange/fix_messages.h"

namespace triad {
namespace exchange {

// ---- Venue side -------------------------------------------------------------

// Reads a NewOrderSingle from `session`. Throws FIX::FieldNotFound when
// ClOrdID (11) is missing: QuickFIX then answers with a reject naming the
// tag (from FIX.4.2 on a BusinessMessageReject, 380=5), since no execution
// report could name the order. Every other missing or
// malformed field is described in `fault` for the venue to reject.
NewOrderMessage decodeNewOrder(const FIX::Message& message, const std::string& session);
// Reads an OrderCancelRequest; FIX::FieldNotFound without ClOrdID (11).
CancelRequestMessage decodeCancelRequest(const FIX::Message& message, const std::string& session);
// Reads an OrderStatusRequest. Throws FIX::FieldNotFound without ClOrdID
// (11), Symbol (55) or Side (54), all required and all needed for the
// answer (QuickFIX then answers, from FIX.4.2 on, with a
// BusinessMessageReject 380=5 naming the tag in its Text), and
// FIX::IncorrectTagValue when Symbol is empty or Side not one character (a
// session-level Reject 373=5 with RefTagID).
StatusRequestMessage decodeStatusRequest(const FIX::Message& message, const std::string& session);

FIX::Message encodeExecutionReport(const std::string& beginString,
                                   const ExecutionReportMessage& report);
FIX::Message encodeCancelReject(const std::string& beginString, const CancelRejectMessage& reject);
FIX::Message encodeMarketData(const MarketDataMessage& update);
// An ExecutionReport answering a status request, in each version's form
// (fix_messages.h): what a strict FIX.4.2 or FIX.4.4 data dictionary accepts.
FIX::Message encodeOrderStatus(const std::string& beginString, const OrderStatusMessage& status);
FIX::Message encodeSessionReject(const SessionRejectMessage& reject);
FIX::Message encodeBusinessReject(const BusinessRejectMessage& reject);

// ---- Client side ------------------------------------------------------------

FIX::Message encodeNewOrder(const NewOrderMessage& order);
FIX::Message encodeCancelRequest(const CancelRequestMessage& request);
FIX::Message encodeStatusRequest(const StatusRequestMessage& request);

// Each returns false when a field it needs is missing or malformed, or
// (decodeExecutionReport, decodeOrderStatus) when the report is of the
// other kind.
// decodeExecutionReport() returns false for a status answer (ExecType I,
// or ExecTransType 3 in FIX.4.2), which reports no execution: read those
// with decodeOrderStatus(), which returns false for every other report.
// decodeSessionReject() needs RefSeqNum (45) and leaves `reason` -1 without
// SessionRejectReason (373); decodeBusinessReject() needs RefMsgType (372)
// and BusinessRejectReason (380).
bool decodeExecutionReport(const FIX::Message& message, const std::string& session,
                           ExecutionReportMessage& report);
bool decodeCancelReject(const FIX::Message& message, const std::string& session,
                        CancelRejectMessage& reject);
bool decodeMarketData(const FIX::Message& message, const std::string& session,
                      MarketDataMessage& update);
bool decodeOrderStatus(const FIX::Message& message, const std::string& session,
                       OrderStatusMessage& status);
bool decodeSessionReject(const FIX::Message& message, const std::string& session,
                         SessionRejectMessage& reject);
bool decodeBusinessReject(const FIX::Message& message, const std::string& session,
                          BusinessRejectMessage& reject);

}  // namespace exchange
}  // namespace triad
