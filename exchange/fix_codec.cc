#include "exchange/fix_codec.h"

#include <quickfix/Exceptions.h>
#include <quickfix/FixFields.h>
#include <quickfix/FixValues.h>
#include <quickfix/Group.h>

#include <cstdlib>
#include <vector>

#include "exchange/decimal_text.h"

namespace triad {
namespace exchange {
namespace {

// Digits after the second in TransactTime (FIX.4.2 allows up to 3).
constexpr int kMillisecondPrecision = 3;

// Cancel reject reason codes (102).
constexpr int kCxlRejTooLate = 0;
constexpr int kCxlRejUnknownOrder = 1;
constexpr int kCxlRejExchangeOption = 2;  // FIX.4.2's nearest to "duplicate ClOrdID"
constexpr int kCxlRejDuplicateClOrdId = 6;

// ExecID (17) of a status answer: "will be 0 (zero)" in FIX.4.2 (for
// ExecTransType 3) and FIX.4.4 (for ExecType I) alike.
constexpr char kStatusExecId[] = "0";

bool isFix42(const std::string& beginString) { return beginString == FIX::BeginString_FIX42; }

std::string fieldOr(const FIX::FieldMap& map, int tag, const std::string& fallback = "") {
  return map.isSetField(tag) ? map.getField(tag) : fallback;
}

bool flagIsSet(const FIX::FieldMap& map, int tag) {
  return map.isSetField(tag) && map.getField(tag) == "Y";
}

// A message field as received, named for fault texts: "Side (54)".
std::string fieldName(const char* name, int tag) {
  return std::string(name) + " (" + std::to_string(tag) + ")";
}

// Reads a one-character field. Returns false (and describes why in `fault`,
// unless a fault is already there) when it is missing and required, or not
// one character.
bool readChar(const FIX::FieldMap& map, const char* name, int tag, bool required, char& value,
              std::string& fault) {
  if (!map.isSetField(tag)) {
    if (required && fault.empty()) fault = fieldName(name, tag) + " is missing";
    return !required;
  }
  const std::string& text = map.getField(tag);
  if (text.size() != 1) {
    if (fault.empty()) fault = fieldName(name, tag) + " '" + text + "' is not one character";
    return false;
  }
  value = text[0];
  return true;
}

void readText(const FIX::FieldMap& map, const char* name, int tag, bool required,
              std::string& value, std::string& fault) {
  if (map.isSetField(tag) && !map.getField(tag).empty()) {
    value = map.getField(tag);
  } else if (required && fault.empty()) {
    fault = fieldName(name, tag) + " is missing";
  }
}

bool possibleDuplicate(const FIX::Message& message) {
  return flagIsSet(message.getHeader(), FIX::FIELD::PossDupFlag) ||
         flagIsSet(message.getHeader(), FIX::FIELD::PossResend);
}

void setQuantity(FIX::FieldMap& map, int tag, int64_t quantity) {
  map.setField(tag, std::to_string(quantity));
}

void setPrice(FIX::FieldMap& map, int tag, int64_t micros) {
  map.setField(tag, formatMicros(micros));
}

void setTransactTime(FIX::FieldMap& map) {
  map.setField(FIX::TransactTime(FIX::UtcTimeStamp(), kMillisecondPrecision));
}

constexpr int64_t kNanosPerSecond = 1000000000;

void setTransactTime(FIX::FieldMap& map, int64_t nanos) {
  if (nanos == 0) return setTransactTime(map);
  const int64_t seconds = nanos / kNanosPerSecond;
  const int64_t millis = nanos % kNanosPerSecond / 1000000;
  FIX::UtcTimeStamp stamp(static_cast<time_t>(seconds), static_cast<int>(millis),
                          kMillisecondPrecision);
  map.setField(FIX::TransactTime(stamp, kMillisecondPrecision));
}

// TransactTime (60) in nanoseconds since the epoch; 0 when absent or malformed.
int64_t transactTimeOr0(const FIX::FieldMap& map) {
  if (!map.isSetField(FIX::FIELD::TransactTime)) return 0;
  try {
    const FIX::UtcTimeStamp stamp =
        FIX::UtcTimeStampConvertor::convert(map.getField(FIX::FIELD::TransactTime));
    return static_cast<int64_t>(stamp.getTimeT()) * kNanosPerSecond + stamp.getNanosecond();
  } catch (const FIX::FieldConvertError&) {
    return 0;
  }
}

int64_t quantityOr0(const FIX::FieldMap& map, int tag) {
  int64_t quantity = 0;
  if (map.isSetField(tag)) (void)parseWholeQuantity(map.getField(tag), quantity);
  return quantity;
}

int64_t priceOr0(const FIX::FieldMap& map, int tag) {
  int64_t micros = 0;
  if (map.isSetField(tag)) (void)parseDecimalMicros(map.getField(tag), micros);
  return micros;
}

char charOr0(const FIX::FieldMap& map, int tag) {
  if (!map.isSetField(tag)) return 0;
  const std::string& text = map.getField(tag);
  return text.size() == 1 ? text[0] : 0;
}

int intOr0(const FIX::FieldMap& map, int tag) {
  return map.isSetField(tag) ? std::atoi(map.getField(tag).c_str()) : 0;
}

int msgSeqNumOf(const FIX::Message& message) {
  return intOr0(message.getHeader(), FIX::FIELD::MsgSeqNum);
}

// An ExecutionReport that answers a status request rather than reporting an
// event: ExecType I (FIX.4.3 on) or ExecTransType 3 (FIX.4.2).
bool isStatusAnswer(const FIX::Message& message) {
  return charOr0(message, FIX::FIELD::ExecType) == FIX::ExecType_ORDER_STATUS ||
         charOr0(message, FIX::FIELD::ExecTransType) == FIX::ExecTransType_STATUS;
}

char execTypeOf(ExecutionKind kind, bool fix42) {
  switch (kind) {
    case ExecutionKind::kNew:
      return FIX::ExecType_NEW;
    case ExecutionKind::kPartialFill:
      return fix42 ? FIX::ExecType_PARTIAL_FILL : FIX::ExecType_TRADE;
    case ExecutionKind::kFill:
      return fix42 ? FIX::ExecType_FILL : FIX::ExecType_TRADE;
    case ExecutionKind::kCancelled:
      return FIX::ExecType_CANCELED;
    case ExecutionKind::kExpired:
      return FIX::ExecType_EXPIRED;
    case ExecutionKind::kRejected:
      return FIX::ExecType_REJECTED;
  }
  return FIX::ExecType_REJECTED;
}

bool kindOf(char execType, char ordStatus, ExecutionKind& kind) {
  switch (execType) {
    case FIX::ExecType_NEW:
      kind = ExecutionKind::kNew;
      return true;
    case FIX::ExecType_PARTIAL_FILL:
      kind = ExecutionKind::kPartialFill;
      return true;
    case FIX::ExecType_FILL:
      kind = ExecutionKind::kFill;
      return true;
    case FIX::ExecType_TRADE:
      kind =
          ordStatus == FIX::OrdStatus_FILLED ? ExecutionKind::kFill : ExecutionKind::kPartialFill;
      return true;
    case FIX::ExecType_CANCELED:
      kind = ExecutionKind::kCancelled;
      return true;
    case FIX::ExecType_EXPIRED:
      kind = ExecutionKind::kExpired;
      return true;
    case FIX::ExecType_REJECTED:
      kind = ExecutionKind::kRejected;
      return true;
    default:
      return false;
  }
}

int cxlRejReasonOf(CancelRejectReason reason, bool fix42) {
  switch (reason) {
    case CancelRejectReason::kTooLateToCancel:
      return kCxlRejTooLate;
    case CancelRejectReason::kUnknownOrder:
      return kCxlRejUnknownOrder;
    case CancelRejectReason::kDuplicateClOrdId:
      return fix42 ? kCxlRejExchangeOption : kCxlRejDuplicateClOrdId;
  }
  return kCxlRejExchangeOption;
}

}  // namespace

NewOrderMessage decodeNewOrder(const FIX::Message& message, const std::string& session) {
  NewOrderMessage order;
  order.session = session;
  order.clOrdId = message.getField(FIX::FIELD::ClOrdID);  // throws FIX::FieldNotFound
  order.possibleDuplicate = possibleDuplicate(message);
  order.possDupFlag = flagIsSet(message.getHeader(), FIX::FIELD::PossDupFlag);
  order.possResend = flagIsSet(message.getHeader(), FIX::FIELD::PossResend);
  order.msgSeqNum = msgSeqNumOf(message);
  std::string& fault = order.fault;
  if (order.clOrdId.empty()) fault = fieldName("ClOrdID", FIX::FIELD::ClOrdID) + " is empty";
  readText(message, "Symbol", FIX::FIELD::Symbol, true, order.symbol, fault);
  readChar(message, "Side", FIX::FIELD::Side, true, order.side, fault);
  readChar(message, "OrdType", FIX::FIELD::OrdType, true, order.ordType, fault);
  readChar(message, "TimeInForce", FIX::FIELD::TimeInForce, false, order.timeInForce, fault);
  if (!message.isSetField(FIX::FIELD::OrderQty)) {
    if (fault.empty()) fault = fieldName("OrderQty", FIX::FIELD::OrderQty) + " is missing";
  } else if (!parseWholeQuantity(message.getField(FIX::FIELD::OrderQty), order.quantity) &&
             fault.empty()) {
    fault = fieldName("OrderQty", FIX::FIELD::OrderQty) + " '" +
            message.getField(FIX::FIELD::OrderQty) + "' is not a whole number of shares";
  }
  if (message.isSetField(FIX::FIELD::Price) &&
      !parseDecimalMicros(message.getField(FIX::FIELD::Price), order.priceMicros) &&
      fault.empty()) {
    fault = fieldName("Price", FIX::FIELD::Price) + " '" + message.getField(FIX::FIELD::Price) +
            "' is not a decimal with at most 6 places";
  }
  return order;
}

CancelRequestMessage decodeCancelRequest(const FIX::Message& message, const std::string& session) {
  CancelRequestMessage request;
  request.session = session;
  request.clOrdId = message.getField(FIX::FIELD::ClOrdID);  // throws FIX::FieldNotFound
  request.possibleDuplicate = possibleDuplicate(message);
  request.msgSeqNum = msgSeqNumOf(message);
  std::string& fault = request.fault;
  if (request.clOrdId.empty()) fault = fieldName("ClOrdID", FIX::FIELD::ClOrdID) + " is empty";
  readText(message, "OrigClOrdID", FIX::FIELD::OrigClOrdID, true, request.origClOrdId, fault);
  readText(message, "OrderID", FIX::FIELD::OrderID, false, request.orderId, fault);
  readText(message, "Symbol", FIX::FIELD::Symbol, false, request.symbol, fault);
  readChar(message, "Side", FIX::FIELD::Side, false, request.side, fault);
  return request;
}

StatusRequestMessage decodeStatusRequest(const FIX::Message& message, const std::string& session) {
  StatusRequestMessage request;
  request.session = session;
  // ClOrdID, Symbol and Side are required in FIX.4.2 and FIX.4.4 alike,
  // and the answer (an ExecutionReport) must carry Symbol and Side even
  // for an order the venue does not know.
  request.clOrdId = message.getField(FIX::FIELD::ClOrdID);  // throws FIX::FieldNotFound
  request.symbol = message.getField(FIX::FIELD::Symbol);    // throws FIX::FieldNotFound
  request.side = charOr0(message, FIX::FIELD::Side);
  if (!message.isSetField(FIX::FIELD::Side)) throw FIX::FieldNotFound(FIX::FIELD::Side);
  if (request.side == 0) throw FIX::IncorrectTagValue(FIX::FIELD::Side);
  if (request.symbol.empty()) throw FIX::IncorrectTagValue(FIX::FIELD::Symbol);
  request.orderId = fieldOr(message, FIX::FIELD::OrderID);
  request.msgSeqNum = msgSeqNumOf(message);
  return request;
}

FIX::Message encodeExecutionReport(const std::string& beginString,
                                   const ExecutionReportMessage& report) {
  const bool fix42 = isFix42(beginString);
  FIX::Message message;
  message.getHeader().setField(FIX::MsgType(FIX::MsgType_ExecutionReport));
  message.setField(FIX::OrderID(report.orderId));
  message.setField(FIX::ClOrdID(report.clOrdId));
  if (!report.origClOrdId.empty()) message.setField(FIX::OrigClOrdID(report.origClOrdId));
  message.setField(FIX::ExecID(report.execId));
  if (fix42) message.setField(FIX::ExecTransType(FIX::ExecTransType_NEW));
  message.setField(FIX::ExecType(execTypeOf(report.kind, fix42)));
  message.setField(FIX::OrdStatus(orderStatusOf(report.kind)));
  message.setField(FIX::Symbol(report.symbol));
  if (report.side != 0) message.setField(FIX::Side(report.side));
  if (report.ordType != 0) message.setField(FIX::OrdType(report.ordType));
  if (report.timeInForce != 0) message.setField(FIX::TimeInForce(report.timeInForce));
  setQuantity(message, FIX::FIELD::OrderQty, report.orderQuantity);
  if (report.priceMicros > 0) setPrice(message, FIX::FIELD::Price, report.priceMicros);
  if (report.kind == ExecutionKind::kPartialFill || report.kind == ExecutionKind::kFill) {
    setQuantity(message, FIX::FIELD::LastQty, report.lastQuantity);  // LastShares in FIX.4.2
    setPrice(message, FIX::FIELD::LastPx, report.lastPriceMicros);
  }
  setQuantity(message, FIX::FIELD::LeavesQty, report.leavesQuantity);
  setQuantity(message, FIX::FIELD::CumQty, report.cumulativeQuantity);
  setPrice(message, FIX::FIELD::AvgPx, report.averagePriceMicros);
  if (report.ordRejReason >= 0) message.setField(FIX::OrdRejReason(report.ordRejReason));
  if (!report.text.empty()) message.setField(FIX::Text(report.text));
  if (!report.tradeDate.empty()) message.setField(FIX::TradeDate(report.tradeDate));
  setTransactTime(message, report.transactTimeNanos);
  return message;
}

FIX::Message encodeCancelReject(const std::string& beginString, const CancelRejectMessage& reject) {
  const bool fix42 = isFix42(beginString);
  FIX::Message message;
  message.getHeader().setField(FIX::MsgType(FIX::MsgType_OrderCancelReject));
  message.setField(FIX::OrderID(reject.orderId));
  message.setField(FIX::ClOrdID(reject.clOrdId));
  message.setField(FIX::OrigClOrdID(reject.origClOrdId));
  message.setField(FIX::OrdStatus(reject.ordStatus));
  message.setField(FIX::CxlRejResponseTo(FIX::CxlRejResponseTo_ORDER_CANCEL_REQUEST));
  message.setField(FIX::CxlRejReason(cxlRejReasonOf(reject.reason, fix42)));
  if (!reject.text.empty()) message.setField(FIX::Text(reject.text));
  if (!fix42) setTransactTime(message);
  return message;
}

FIX::Message encodeMarketData(const MarketDataMessage& update) {
  FIX::Message message;
  message.getHeader().setField(FIX::MsgType(FIX::MsgType_MarketDataIncrementalRefresh));
  FIX::Group entry(FIX::FIELD::NoMDEntries, FIX::FIELD::MDUpdateAction);
  entry.setField(
      FIX::MDUpdateAction(update.present ? FIX::MDUpdateAction_NEW : FIX::MDUpdateAction_DELETE));
  entry.setField(FIX::MDEntryType(static_cast<char>(update.type)));
  entry.setField(FIX::Symbol(update.symbol));
  if (update.present) {
    setPrice(entry, FIX::FIELD::MDEntryPx, update.priceMicros);
    setQuantity(entry, FIX::FIELD::MDEntrySize, update.quantity);
  }
  message.addGroup(entry);
  return message;
}

FIX::Message encodeOrderStatus(const std::string& beginString, const OrderStatusMessage& status) {
  const bool fix42 = isFix42(beginString);
  FIX::Message message;
  message.getHeader().setField(FIX::MsgType(FIX::MsgType_ExecutionReport));
  message.setField(FIX::OrderID(status.orderId));
  message.setField(FIX::ClOrdID(status.clOrdId));
  message.setField(FIX::ExecID(kStatusExecId));
  if (fix42) {
    message.setField(FIX::ExecTransType(FIX::ExecTransType_STATUS));
    message.setField(FIX::ExecType(status.ordStatus));  // FIX.4.2 has no ExecType I
  } else {
    message.setField(FIX::ExecType(FIX::ExecType_ORDER_STATUS));
  }
  message.setField(FIX::OrdStatus(status.ordStatus));
  message.setField(FIX::Symbol(status.symbol));
  if (status.side != 0) message.setField(FIX::Side(status.side));
  if (status.ordType != 0) message.setField(FIX::OrdType(status.ordType));
  if (status.timeInForce != 0) message.setField(FIX::TimeInForce(status.timeInForce));
  if (status.orderQuantity > 0) setQuantity(message, FIX::FIELD::OrderQty, status.orderQuantity);
  if (status.priceMicros > 0) setPrice(message, FIX::FIELD::Price, status.priceMicros);
  setQuantity(message, FIX::FIELD::LeavesQty, status.leavesQuantity);
  setQuantity(message, FIX::FIELD::CumQty, status.cumulativeQuantity);
  setPrice(message, FIX::FIELD::AvgPx, status.averagePriceMicros);
  if (status.ordRejReason >= 0) message.setField(FIX::OrdRejReason(status.ordRejReason));
  if (!status.text.empty()) message.setField(FIX::Text(status.text));
  setTransactTime(message);
  return message;
}

FIX::Message encodeSessionReject(const SessionRejectMessage& reject) {
  // RefTagID, RefMsgType and SessionRejectReason exist from FIX.4.2 on,
  // which is the oldest version the venue speaks.
  FIX::Message message;
  message.getHeader().setField(FIX::MsgType(FIX::MsgType_Reject));
  message.setField(FIX::RefSeqNum(reject.refSeqNum));
  if (reject.refTagId != 0) message.setField(FIX::RefTagID(reject.refTagId));
  message.setField(FIX::RefMsgType(reject.refMsgType));
  message.setField(FIX::SessionRejectReason(reject.reason));
  if (!reject.text.empty()) message.setField(FIX::Text(reject.text));
  return message;
}

FIX::Message encodeBusinessReject(const BusinessRejectMessage& reject) {
  FIX::Message message;
  message.getHeader().setField(FIX::MsgType(FIX::MsgType_BusinessMessageReject));
  message.setField(FIX::RefSeqNum(reject.refSeqNum));
  message.setField(FIX::RefMsgType(reject.refMsgType));
  if (!reject.refId.empty()) message.setField(FIX::BusinessRejectRefID(reject.refId));
  message.setField(FIX::BusinessRejectReason(reject.reason));
  if (!reject.text.empty()) message.setField(FIX::Text(reject.text));
  return message;
}

FIX::Message encodeNewOrder(const NewOrderMessage& order) {
  FIX::Message message;
  message.getHeader().setField(FIX::MsgType(FIX::MsgType_NewOrderSingle));
  if (order.possibleDuplicate || order.possResend) {
    message.getHeader().setField(FIX::PossResend(true));
  }
  message.setField(FIX::ClOrdID(order.clOrdId));
  message.setField(
      FIX::HandlInst(FIX::HandlInst_AUTOMATED_EXECUTION_ORDER_PRIVATE_NO_BROKER_INTERVENTION));
  message.setField(FIX::Symbol(order.symbol));
  if (order.side != 0) message.setField(FIX::Side(order.side));
  setTransactTime(message);
  setQuantity(message, FIX::FIELD::OrderQty, order.quantity);
  if (order.ordType != 0) message.setField(FIX::OrdType(order.ordType));
  if (order.priceMicros > 0) setPrice(message, FIX::FIELD::Price, order.priceMicros);
  if (order.timeInForce != 0) message.setField(FIX::TimeInForce(order.timeInForce));
  return message;
}

FIX::Message encodeCancelRequest(const CancelRequestMessage& request) {
  FIX::Message message;
  message.getHeader().setField(FIX::MsgType(FIX::MsgType_OrderCancelRequest));
  if (request.possibleDuplicate) message.getHeader().setField(FIX::PossResend(true));
  message.setField(FIX::OrigClOrdID(request.origClOrdId));
  message.setField(FIX::ClOrdID(request.clOrdId));
  if (!request.orderId.empty()) message.setField(FIX::OrderID(request.orderId));
  message.setField(FIX::Symbol(request.symbol));
  if (request.side != 0) message.setField(FIX::Side(request.side));
  setTransactTime(message);
  return message;
}

FIX::Message encodeStatusRequest(const StatusRequestMessage& request) {
  FIX::Message message;
  message.getHeader().setField(FIX::MsgType(FIX::MsgType_OrderStatusRequest));
  if (!request.orderId.empty()) message.setField(FIX::OrderID(request.orderId));
  message.setField(FIX::ClOrdID(request.clOrdId));
  message.setField(FIX::Symbol(request.symbol));
  if (request.side != 0) message.setField(FIX::Side(request.side));
  return message;
}

bool decodeExecutionReport(const FIX::Message& message, const std::string& session,
                           ExecutionReportMessage& report) {
  if (isStatusAnswer(message)) return false;
  const char execType = charOr0(message, FIX::FIELD::ExecType);
  const char ordStatus = charOr0(message, FIX::FIELD::OrdStatus);
  ExecutionReportMessage decoded;
  if (!message.isSetField(FIX::FIELD::OrderID) || !message.isSetField(FIX::FIELD::ExecID) ||
      !kindOf(execType, ordStatus, decoded.kind)) {
    return false;
  }
  decoded.session = session;
  decoded.orderId = message.getField(FIX::FIELD::OrderID);
  decoded.clOrdId = fieldOr(message, FIX::FIELD::ClOrdID);
  decoded.origClOrdId = fieldOr(message, FIX::FIELD::OrigClOrdID);
  decoded.execId = message.getField(FIX::FIELD::ExecID);
  decoded.symbol = fieldOr(message, FIX::FIELD::Symbol);
  decoded.side = charOr0(message, FIX::FIELD::Side);
  decoded.ordType = charOr0(message, FIX::FIELD::OrdType);
  decoded.timeInForce = charOr0(message, FIX::FIELD::TimeInForce);
  decoded.orderQuantity = quantityOr0(message, FIX::FIELD::OrderQty);
  decoded.priceMicros = priceOr0(message, FIX::FIELD::Price);
  decoded.lastQuantity = quantityOr0(message, FIX::FIELD::LastQty);
  decoded.lastPriceMicros = priceOr0(message, FIX::FIELD::LastPx);
  decoded.leavesQuantity = quantityOr0(message, FIX::FIELD::LeavesQty);
  decoded.cumulativeQuantity = quantityOr0(message, FIX::FIELD::CumQty);
  decoded.averagePriceMicros = priceOr0(message, FIX::FIELD::AvgPx);
  if (message.isSetField(FIX::FIELD::OrdRejReason)) {
    decoded.ordRejReason = std::atoi(message.getField(FIX::FIELD::OrdRejReason).c_str());
  }
  decoded.text = fieldOr(message, FIX::FIELD::Text);
  decoded.possibleDuplicate = flagIsSet(message.getHeader(), FIX::FIELD::PossDupFlag);
  decoded.tradeDate = fieldOr(message, FIX::FIELD::TradeDate);
  decoded.transactTimeNanos = transactTimeOr0(message);
  report = decoded;
  return true;
}

bool decodeCancelReject(const FIX::Message& message, const std::string& session,
                        CancelRejectMessage& reject) {
  if (!message.isSetField(FIX::FIELD::ClOrdID) || !message.isSetField(FIX::FIELD::CxlRejReason)) {
    return false;
  }
  CancelRejectMessage decoded;
  decoded.session = session;
  decoded.orderId = fieldOr(message, FIX::FIELD::OrderID);
  decoded.clOrdId = message.getField(FIX::FIELD::ClOrdID);
  decoded.origClOrdId = fieldOr(message, FIX::FIELD::OrigClOrdID);
  decoded.ordStatus = charOr0(message, FIX::FIELD::OrdStatus);
  switch (std::atoi(message.getField(FIX::FIELD::CxlRejReason).c_str())) {
    case kCxlRejTooLate:
      decoded.reason = CancelRejectReason::kTooLateToCancel;
      break;
    case kCxlRejUnknownOrder:
      decoded.reason = CancelRejectReason::kUnknownOrder;
      break;
    default:
      decoded.reason = CancelRejectReason::kDuplicateClOrdId;
      break;
  }
  decoded.text = fieldOr(message, FIX::FIELD::Text);
  decoded.possibleDuplicate = flagIsSet(message.getHeader(), FIX::FIELD::PossDupFlag);
  reject = decoded;
  return true;
}

bool decodeMarketData(const FIX::Message& message, const std::string& session,
                      MarketDataMessage& update) {
  // With a data dictionary the entry is a parsed group; without one, its
  // fields are plain body fields (there is only one entry).
  FIX::Group group(FIX::FIELD::NoMDEntries, FIX::FIELD::MDUpdateAction);
  const FIX::FieldMap* entry = &message;
  if (message.groupCount(FIX::FIELD::NoMDEntries) == 1) {
    message.getGroup(1, group);
    entry = &group;
  }
  const char type = charOr0(*entry, FIX::FIELD::MDEntryType);
  if (type != static_cast<char>(MarketDataEntryType::kBid) &&
      type != static_cast<char>(MarketDataEntryType::kOffer) &&
      type != static_cast<char>(MarketDataEntryType::kTrade)) {
    return false;
  }
  MarketDataMessage decoded;
  decoded.session = session;
  decoded.symbol = fieldOr(*entry, FIX::FIELD::Symbol);
  decoded.type = static_cast<MarketDataEntryType>(type);
  decoded.present = charOr0(*entry, FIX::FIELD::MDUpdateAction) != FIX::MDUpdateAction_DELETE;
  decoded.priceMicros = priceOr0(*entry, FIX::FIELD::MDEntryPx);
  decoded.quantity = quantityOr0(*entry, FIX::FIELD::MDEntrySize);
  if (decoded.symbol.empty()) return false;
  update = decoded;
  return true;
}

bool decodeOrderStatus(const FIX::Message& message, const std::string& session,
                       OrderStatusMessage& status) {
  if (!isStatusAnswer(message) || !message.isSetField(FIX::FIELD::OrderID) ||
      !message.isSetField(FIX::FIELD::OrdStatus)) {
    return false;
  }
  OrderStatusMessage decoded;
  decoded.session = session;
  decoded.orderId = message.getField(FIX::FIELD::OrderID);
  decoded.clOrdId = fieldOr(message, FIX::FIELD::ClOrdID);
  decoded.ordStatus = charOr0(message, FIX::FIELD::OrdStatus);
  decoded.symbol = fieldOr(message, FIX::FIELD::Symbol);
  decoded.side = charOr0(message, FIX::FIELD::Side);
  decoded.ordType = charOr0(message, FIX::FIELD::OrdType);
  decoded.timeInForce = charOr0(message, FIX::FIELD::TimeInForce);
  decoded.orderQuantity = quantityOr0(message, FIX::FIELD::OrderQty);
  decoded.priceMicros = priceOr0(message, FIX::FIELD::Price);
  decoded.leavesQuantity = quantityOr0(message, FIX::FIELD::LeavesQty);
  decoded.cumulativeQuantity = quantityOr0(message, FIX::FIELD::CumQty);
  decoded.averagePriceMicros = priceOr0(message, FIX::FIELD::AvgPx);
  if (message.isSetField(FIX::FIELD::OrdRejReason)) {
    decoded.ordRejReason = intOr0(message, FIX::FIELD::OrdRejReason);
  }
  decoded.text = fieldOr(message, FIX::FIELD::Text);
  status = decoded;
  return true;
}

bool decodeSessionReject(const FIX::Message& message, const std::string& session,
                         SessionRejectMessage& reject) {
  if (!message.isSetField(FIX::FIELD::RefSeqNum)) return false;
  SessionRejectMessage decoded;
  decoded.session = session;
  decoded.refSeqNum = intOr0(message, FIX::FIELD::RefSeqNum);
  decoded.refTagId = intOr0(message, FIX::FIELD::RefTagID);
  decoded.refMsgType = fieldOr(message, FIX::FIELD::RefMsgType);
  decoded.reason = message.isSetField(FIX::FIELD::SessionRejectReason)
                       ? intOr0(message, FIX::FIELD::SessionRejectReason)
                       : -1;
  decoded.text = fieldOr(message, FIX::FIELD::Text);
  reject = decoded;
  return true;
}

bool decodeBusinessReject(const FIX::Message& message, const std::string& session,
                          BusinessRejectMessage& reject) {
  if (!message.isSetField(FIX::FIELD::RefMsgType) ||
      !message.isSetField(FIX::FIELD::BusinessRejectReason)) {
    return false;
  }
  BusinessRejectMessage decoded;
  decoded.session = session;
  decoded.refSeqNum = intOr0(message, FIX::FIELD::RefSeqNum);
  decoded.refMsgType = message.getField(FIX::FIELD::RefMsgType);
  decoded.refId = fieldOr(message, FIX::FIELD::BusinessRejectRefID);
  decoded.reason = intOr0(message, FIX::FIELD::BusinessRejectReason);
  decoded.text = fieldOr(message, FIX::FIELD::Text);
  reject = decoded;
  return true;
}

}  // namespace exchange
}  // namespace triad
