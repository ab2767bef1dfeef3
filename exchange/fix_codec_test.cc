// The FIX wire form, both versions, as a receiver without a data dictionary
// sees it (every Triad session runs with UseDataDictionary=N). Compiled as
// C++14, like everything that includes QuickFIX (see fix_messages.h).

#include "exchange/fix_codec.h"

#include <gtest/gtest.h>

#include <quickfix/DataDictionary.h>
#include <quickfix/Exceptions.h>
#include <quickfix/FixFields.h>
#include <quickfix/FixValues.h>

#include <string>

namespace triad {
namespace exchange {
namespace {

const char kFix42[] = "FIX.4.2";
const char kFix44[] = "FIX.4.4";

// What the other side parses: the message on the wire, read back with an
// empty data dictionary, as a session with UseDataDictionary=N does.
FIX::Message overTheWire(FIX::Message message, const std::string& beginString) {
  FIX::Header& header = message.getHeader();
  header.setField(FIX::BeginString(beginString));
  header.setField(FIX::SenderCompID("xnys"));
  header.setField(FIX::TargetCompID("ss1"));
  header.setField(FIX::MsgSeqNum(7));
  header.setField(FIX::SendingTime(FIX::UtcTimeStamp(), 3));
  std::string text;
  message.toString(text);
  FIX::DataDictionary empty;
  FIX::Message parsed(text, empty, true);
  empty.validate(parsed);  // throws, as the receiving session would reject it
  return parsed;
}

ExecutionReportMessage fill() {
  ExecutionReportMessage report;
  report.session = "ss1";
  report.orderId = "1099511627777";
  report.clOrdId = "B1";
  report.execId = "xnys-3-42";
  report.kind = ExecutionKind::kPartialFill;
  report.symbol = "ACME";
  report.side = '1';
  report.ordType = '2';
  report.timeInForce = '0';
  report.orderQuantity = 150;
  report.priceMicros = 100010000;
  report.lastQuantity = 100;
  report.lastPriceMicros = 100010000;
  report.leavesQuantity = 50;
  report.cumulativeQuantity = 100;
  report.averagePriceMicros = 100010000;
  return report;
}

class FixCodecTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixCodecTest, ExecutionReportsRoundTrip) {
  const FIX::Message wire = overTheWire(encodeExecutionReport(GetParam(), fill()), GetParam());
  ExecutionReportMessage decoded;
  ASSERT_TRUE(decodeExecutionReport(wire, "xnys", decoded));
  const ExecutionReportMessage expected = fill();
  EXPECT_EQ(decoded.kind, ExecutionKind::kPartialFill);
  EXPECT_EQ(decoded.orderId, expected.orderId);
  EXPECT_EQ(decoded.execId, expected.execId);
  EXPECT_EQ(decoded.clOrdId, expected.clOrdId);
  EXPECT_EQ(decoded.lastQuantity, 100);
  EXPECT_EQ(decoded.lastPriceMicros, 100010000);
  EXPECT_EQ(decoded.leavesQuantity, 50);
  EXPECT_EQ(decoded.cumulativeQuantity, 100);
  EXPECT_EQ(decoded.averagePriceMicros, 100010000);
  EXPECT_EQ(wire.getField(FIX::FIELD::OrdStatus), "1");
  EXPECT_EQ(wire.getField(FIX::FIELD::Price), "100.01");
}

// The street side keys a report by its venue session, taken from these two
// (utilities/street/venue_session.h).
TEST_P(FixCodecTest, ExecutionReportsCarryTheirTradeDateAndTransactTime) {
  ExecutionReportMessage report = fill();
  report.tradeDate = "20231115";
  report.transactTimeNanos = 1700000000123000000;  // 2023-11-14 22:13:20.123 UTC
  const FIX::Message wire = overTheWire(encodeExecutionReport(GetParam(), report), GetParam());
  EXPECT_EQ(wire.getField(FIX::FIELD::TransactTime), "20231114-22:13:20.123");
  ExecutionReportMessage decoded;
  ASSERT_TRUE(decodeExecutionReport(wire, "xnys", decoded));
  EXPECT_EQ(decoded.tradeDate, "20231115");
  EXPECT_EQ(decoded.transactTimeNanos, 1700000000123000000);

  // Without them: no trade date, and the time of encoding.
  const FIX::Message plain = overTheWire(encodeExecutionReport(GetParam(), fill()), GetParam());
  ASSERT_TRUE(decodeExecutionReport(plain, "xnys", decoded));
  EXPECT_EQ(decoded.tradeDate, "");
  EXPECT_GT(decoded.transactTimeNanos, 1700000000000000000);
}

TEST_P(FixCodecTest, MarketDataIsOneEntryWithoutRepeatedTags) {
  MarketDataMessage update;
  update.symbol = "ACME";
  update.type = MarketDataEntryType::kOffer;
  update.priceMicros = 100010000;
  update.quantity = 60;
  MarketDataMessage decoded;
  ASSERT_TRUE(decodeMarketData(overTheWire(encodeMarketData(update), GetParam()), "xnys", decoded));
  EXPECT_EQ(decoded.symbol, "ACME");
  EXPECT_EQ(decoded.type, MarketDataEntryType::kOffer);
  EXPECT_TRUE(decoded.present);
  EXPECT_EQ(decoded.priceMicros, 100010000);
  EXPECT_EQ(decoded.quantity, 60);

  update.present = false;
  const FIX::Message deleted = overTheWire(encodeMarketData(update), GetParam());
  EXPECT_FALSE(deleted.isSetField(FIX::FIELD::MDEntryPx));
  ASSERT_TRUE(decodeMarketData(deleted, "xnys", decoded));
  EXPECT_FALSE(decoded.present);
}

TEST_P(FixCodecTest, CancelRejectsRoundTrip) {
  CancelRejectMessage reject;
  reject.orderId = "NONE";
  reject.clOrdId = "C1";
  reject.origClOrdId = "O1";
  reject.reason = CancelRejectReason::kTooLateToCancel;
  reject.ordStatus = '2';
  reject.text = "too late";
  CancelRejectMessage decoded;
  ASSERT_TRUE(decodeCancelReject(overTheWire(encodeCancelReject(GetParam(), reject), GetParam()),
                                 "xnys", decoded));
  EXPECT_EQ(decoded.reason, CancelRejectReason::kTooLateToCancel);
  EXPECT_EQ(decoded.ordStatus, '2');
  EXPECT_EQ(decoded.origClOrdId, "O1");
  EXPECT_EQ(decoded.text, "too late");
}

TEST_P(FixCodecTest, OrdersRoundTrip) {
  NewOrderMessage order;
  order.clOrdId = "O1";
  order.symbol = "ACME";
  order.side = '2';
  order.ordType = '2';
  order.timeInForce = '1';
  order.priceMicros = 99500000;
  order.quantity = 300;
  order.possibleDuplicate = true;
  const NewOrderMessage decoded =
      decodeNewOrder(overTheWire(encodeNewOrder(order), GetParam()), "ss1");
  EXPECT_EQ(decoded.fault, "");
  EXPECT_EQ(decoded.session, "ss1");
  EXPECT_EQ(decoded.clOrdId, "O1");
  EXPECT_EQ(decoded.side, '2');
  EXPECT_EQ(decoded.timeInForce, '1');
  EXPECT_EQ(decoded.priceMicros, 99500000);
  EXPECT_EQ(decoded.quantity, 300);
  EXPECT_TRUE(decoded.possibleDuplicate);
}

TEST_P(FixCodecTest, OrdersCarryTheirResendFlagsAndSequenceNumber) {
  NewOrderMessage order;
  order.clOrdId = "O1";
  order.symbol = "ACME";
  order.side = '1';
  order.ordType = '2';
  order.priceMicros = 100000000;
  order.quantity = 100;
  order.possResend = true;
  FIX::Message message = encodeNewOrder(order);
  EXPECT_EQ(message.getHeader().getField(FIX::FIELD::PossResend), "Y");
  const NewOrderMessage decoded = decodeNewOrder(overTheWire(message, GetParam()), "ss1");
  EXPECT_TRUE(decoded.possResend);
  EXPECT_FALSE(decoded.possDupFlag);
  EXPECT_TRUE(decoded.possibleDuplicate);
  EXPECT_EQ(decoded.msgSeqNum, 7);  // as overTheWire() numbers it
}

TEST_P(FixCodecTest, StatusRequestsRoundTrip) {
  StatusRequestMessage request;
  request.clOrdId = "O1";
  request.orderId = "42";
  request.symbol = "ACME";
  request.side = '2';
  const StatusRequestMessage decoded =
      decodeStatusRequest(overTheWire(encodeStatusRequest(request), GetParam()), "ss1");
  EXPECT_EQ(decoded.session, "ss1");
  EXPECT_EQ(decoded.clOrdId, "O1");
  EXPECT_EQ(decoded.orderId, "42");
  EXPECT_EQ(decoded.symbol, "ACME");
  EXPECT_EQ(decoded.side, '2');
  EXPECT_EQ(decoded.msgSeqNum, 7);

  // Each is required, and the answer needs Symbol and Side.
  for (int tag : {FIX::FIELD::ClOrdID, FIX::FIELD::Symbol, FIX::FIELD::Side}) {
    FIX::Message without = encodeStatusRequest(request);
    without.removeField(tag);
    EXPECT_THROW(decodeStatusRequest(without, "ss1"), FIX::FieldNotFound) << tag;
  }
  FIX::Message badSide = encodeStatusRequest(request);
  badSide.setField(FIX::FIELD::Side, "12");
  EXPECT_THROW(decodeStatusRequest(badSide, "ss1"), FIX::IncorrectTagValue);
}

OrderStatusMessage partlyFilled() {
  OrderStatusMessage status;
  status.orderId = "1099511627777";
  status.clOrdId = "B1";
  status.ordStatus = '1';
  status.symbol = "ACME";
  status.side = '1';
  status.ordType = '2';
  status.timeInForce = '0';
  status.orderQuantity = 150;
  status.priceMicros = 100010000;
  status.leavesQuantity = 50;
  status.cumulativeQuantity = 100;
  status.averagePriceMicros = 100005000;
  return status;
}

TEST_P(FixCodecTest, StatusAnswersRoundTripAndAreNeverExecutions) {
  const FIX::Message wire = overTheWire(encodeOrderStatus(GetParam(), partlyFilled()), GetParam());
  EXPECT_EQ(wire.getField(FIX::FIELD::ExecID), "0");
  OrderStatusMessage decoded;
  ASSERT_TRUE(decodeOrderStatus(wire, "xnys", decoded));
  EXPECT_EQ(decoded.orderId, "1099511627777");
  EXPECT_EQ(decoded.clOrdId, "B1");
  EXPECT_EQ(decoded.ordStatus, '1');
  EXPECT_EQ(decoded.orderQuantity, 150);
  EXPECT_EQ(decoded.leavesQuantity, 50);
  EXPECT_EQ(decoded.cumulativeQuantity, 100);
  EXPECT_EQ(decoded.averagePriceMicros, 100005000);
  EXPECT_EQ(decoded.ordRejReason, -1);
  ExecutionReportMessage report;
  EXPECT_FALSE(decodeExecutionReport(wire, "xnys", report));

  // And an execution is never a status answer.
  EXPECT_FALSE(decodeOrderStatus(overTheWire(encodeExecutionReport(GetParam(), fill()), GetParam()),
                                 "xnys", decoded));
}

TEST_P(FixCodecTest, AnUnknownOrdersStatusIsRejectedWithUnknownOrder) {
  OrderStatusMessage unknown;
  unknown.orderId = "NONE";
  unknown.clOrdId = "Z9";
  unknown.ordStatus = '8';
  unknown.symbol = "ACME";
  unknown.side = '1';
  unknown.ordRejReason = kRejectUnknownOrder;
  unknown.text = "unknown order";
  const FIX::Message wire = overTheWire(encodeOrderStatus(GetParam(), unknown), GetParam());
  EXPECT_EQ(wire.getField(FIX::FIELD::OrdRejReason), "5");
  EXPECT_FALSE(wire.isSetField(FIX::FIELD::OrderQty));
  OrderStatusMessage decoded;
  ASSERT_TRUE(decodeOrderStatus(wire, "xnys", decoded));
  EXPECT_EQ(decoded.orderId, "NONE");
  EXPECT_EQ(decoded.ordStatus, '8');
  EXPECT_EQ(decoded.ordRejReason, kRejectUnknownOrder);
  EXPECT_EQ(decoded.leavesQuantity, 0);
  EXPECT_EQ(decoded.cumulativeQuantity, 0);
  EXPECT_EQ(decoded.text, "unknown order");
}

TEST_P(FixCodecTest, SessionRejectsRoundTrip) {
  SessionRejectMessage reject;
  reject.refSeqNum = 12;
  reject.refTagId = 59;
  reject.refMsgType = "D";
  reject.text = "TimeInForce (59) '1' refused";
  const FIX::Message wire = overTheWire(encodeSessionReject(reject), GetParam());
  EXPECT_EQ(wire.getHeader().getField(FIX::FIELD::MsgType), "3");
  EXPECT_EQ(wire.getField(FIX::FIELD::SessionRejectReason), "5");
  SessionRejectMessage decoded;
  ASSERT_TRUE(decodeSessionReject(wire, "xnys", decoded));
  EXPECT_EQ(decoded.session, "xnys");
  EXPECT_EQ(decoded.refSeqNum, 12);
  EXPECT_EQ(decoded.refTagId, 59);
  EXPECT_EQ(decoded.refMsgType, "D");
  EXPECT_EQ(decoded.reason, kSessionRejectValueIsIncorrect);
  EXPECT_EQ(decoded.text, "TimeInForce (59) '1' refused");
}

TEST_P(FixCodecTest, BusinessRejectsRoundTrip) {
  BusinessRejectMessage reject;
  reject.refSeqNum = 13;
  reject.refMsgType = "F";
  reject.refId = "C1";
  reject.text = "Unsupported Message Type";
  const FIX::Message wire = overTheWire(encodeBusinessReject(reject), GetParam());
  EXPECT_EQ(wire.getHeader().getField(FIX::FIELD::MsgType), "j");
  EXPECT_EQ(wire.getField(FIX::FIELD::BusinessRejectReason), "3");
  BusinessRejectMessage decoded;
  ASSERT_TRUE(decodeBusinessReject(wire, "xnys", decoded));
  EXPECT_EQ(decoded.refSeqNum, 13);
  EXPECT_EQ(decoded.refMsgType, "F");
  EXPECT_EQ(decoded.refId, "C1");
  EXPECT_EQ(decoded.reason, kBusinessRejectUnsupportedMessageType);
  EXPECT_EQ(decoded.text, "Unsupported Message Type");

  FIX::Message withoutReason = encodeBusinessReject(reject);
  withoutReason.removeField(FIX::FIELD::BusinessRejectReason);
  EXPECT_FALSE(decodeBusinessReject(withoutReason, "xnys", decoded));
}

INSTANTIATE_TEST_SUITE_P(BothFixVersions, FixCodecTest, ::testing::Values(kFix42, kFix44));

TEST(FixCodecVersionTest, FillsUseEachVersionsExecType) {
  ExecutionReportMessage report = fill();
  report.kind = ExecutionKind::kFill;
  const FIX::Message fix42 = encodeExecutionReport(kFix42, report);
  EXPECT_EQ(fix42.getField(FIX::FIELD::ExecType), "2");
  EXPECT_EQ(fix42.getField(FIX::FIELD::ExecTransType), "0");
  const FIX::Message fix44 = encodeExecutionReport(kFix44, report);
  EXPECT_EQ(fix44.getField(FIX::FIELD::ExecType), "F");
  EXPECT_FALSE(fix44.isSetField(FIX::FIELD::ExecTransType));
  ExecutionReportMessage decoded;
  ASSERT_TRUE(decodeExecutionReport(fix44, "xnys", decoded));
  EXPECT_EQ(decoded.kind, ExecutionKind::kFill);
}

// FIX.4.2 has no ExecType I: a status answer is ExecTransType 3 (Status)
// with ExecType = the order's status.
TEST(FixCodecVersionTest, StatusAnswersUseEachVersionsForm) {
  const FIX::Message fix42 = encodeOrderStatus(kFix42, partlyFilled());
  EXPECT_EQ(fix42.getField(FIX::FIELD::ExecTransType), "3");
  EXPECT_EQ(fix42.getField(FIX::FIELD::ExecType), "1");
  EXPECT_EQ(fix42.getField(FIX::FIELD::OrdStatus), "1");
  const FIX::Message fix44 = encodeOrderStatus(kFix44, partlyFilled());
  EXPECT_FALSE(fix44.isSetField(FIX::FIELD::ExecTransType));
  EXPECT_EQ(fix44.getField(FIX::FIELD::ExecType), "I");
  EXPECT_EQ(fix44.getField(FIX::FIELD::OrdStatus), "1");
}

TEST(FixCodecVersionTest, ADuplicateClOrdIdCancelRejectReasonFitsEachVersion) {
  CancelRejectMessage reject;
  reject.reason = CancelRejectReason::kDuplicateClOrdId;
  EXPECT_EQ(encodeCancelReject(kFix42, reject).getField(FIX::FIELD::CxlRejReason), "2");
  EXPECT_EQ(encodeCancelReject(kFix44, reject).getField(FIX::FIELD::CxlRejReason), "6");
}

FIX::Message orderMessage() {
  FIX::Message message;
  message.getHeader().setField(FIX::MsgType(FIX::MsgType_NewOrderSingle));
  message.setField(FIX::ClOrdID("O1"));
  message.setField(FIX::Symbol("ACME"));
  message.setField(FIX::Side(FIX::Side_BUY));
  message.setField(FIX::OrdType(FIX::OrdType_LIMIT));
  message.setField(FIX::FIELD::OrderQty, "100");
  message.setField(FIX::FIELD::Price, "100.01");
  return message;
}

TEST(FixCodecDecodeTest, AnOrderWithoutClOrdIdIsASessionLevelFault) {
  FIX::Message message = orderMessage();
  message.removeField(FIX::FIELD::ClOrdID);
  EXPECT_THROW(decodeNewOrder(message, "ss1"), FIX::FieldNotFound);
}

TEST(FixCodecDecodeTest, OtherFaultsAreDescribedForTheReject) {
  struct Case {
    int tag;
    const char* value;  // nullptr: remove the field
    const char* fault;
  };
  const Case cases[] = {
      {FIX::FIELD::Side, nullptr, "Side (54) is missing"},
      {FIX::FIELD::Symbol, nullptr, "Symbol (55) is missing"},
      {FIX::FIELD::OrdType, nullptr, "OrdType (40) is missing"},
      {FIX::FIELD::OrderQty, nullptr, "OrderQty (38) is missing"},
      {FIX::FIELD::OrderQty, "12.5", "OrderQty (38) '12.5' is not a whole number of shares"},
      {FIX::FIELD::Price, "1e2", "Price (44) '1e2' is not a decimal with at most 6 places"},
      {FIX::FIELD::Side, "12", "Side (54) '12' is not one character"},
  };
  for (const Case& c : cases) {
    FIX::Message message = orderMessage();
    if (c.value == nullptr) {
      message.removeField(c.tag);
    } else {
      message.setField(c.tag, c.value);
    }
    EXPECT_EQ(decodeNewOrder(message, "ss1").fault, c.fault);
  }
  EXPECT_EQ(decodeNewOrder(orderMessage(), "ss1").fault, "");
  EXPECT_EQ(decodeNewOrder(orderMessage(), "ss1").timeInForce, '0');  // FIX's default: DAY
}

}  // namespace
}  // namespace exchange
}  // namespace triad
