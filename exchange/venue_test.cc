#include "exchange/venue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace triad::exchange {
namespace {

constexpr int64_t kDollar = 1'000'000;
constexpr int64_t kCent = 10'000;
constexpr int64_t kReference = 100 * kDollar;

// What the venue sends, in order (the real one queues for QuickFIX).
class RecordingOutput final : public VenueOutput {
 public:
  void sendExecutionReport(const ExecutionReportMessage& report) override {
    std::lock_guard lock(mutex_);
    reports.push_back(report);
  }
  void sendCancelReject(const CancelRejectMessage& reject) override {
    std::lock_guard lock(mutex_);
    cancelRejects.push_back(reject);
  }
  void sendMarketData(const MarketDataMessage& snapshot) override {
    std::lock_guard lock(mutex_);
    marketData.push_back(snapshot);
  }
  void sendOrderStatus(const OrderStatusMessage& status) override {
    std::lock_guard lock(mutex_);
    statuses.push_back(status);
  }
  void sendSessionReject(const SessionRejectMessage& reject) override {
    std::lock_guard lock(mutex_);
    sessionRejects.push_back(reject);
  }
  void sendBusinessReject(const BusinessRejectMessage& reject) override {
    std::lock_guard lock(mutex_);
    businessRejects.push_back(reject);
  }
  void clear() {
    reports.clear();
    cancelRejects.clear();
    marketData.clear();
    statuses.clear();
    sessionRejects.clear();
    businessRejects.clear();
  }

  std::vector<ExecutionReportMessage> reports;
  std::vector<CancelRejectMessage> cancelRejects;
  std::vector<MarketDataMessage> marketData;
  std::vector<OrderStatusMessage> statuses;
  std::vector<SessionRejectMessage> sessionRejects;
  std::vector<BusinessRejectMessage> businessRejects;

 private:
  std::mutex mutex_;
};

NewOrderMessage limit(std::string session, std::string clOrdId, char side, int64_t priceMicros,
                      int64_t quantity, char timeInForce = '0') {
  NewOrderMessage order;
  order.session = std::move(session);
  order.clOrdId = std::move(clOrdId);
  order.symbol = "ACME";
  order.side = side;
  order.ordType = '2';
  order.timeInForce = timeInForce;
  order.priceMicros = priceMicros;
  order.quantity = quantity;
  return order;
}

CancelRequestMessage cancel(std::string session, std::string clOrdId, std::string origClOrdId) {
  CancelRequestMessage request;
  request.session = std::move(session);
  request.clOrdId = std::move(clOrdId);
  request.origClOrdId = std::move(origClOrdId);
  request.symbol = "ACME";
  request.side = '1';
  return request;
}

StatusRequestMessage statusRequest(std::string session, std::string clOrdId, int msgSeqNum = 0) {
  StatusRequestMessage request;
  request.session = std::move(session);
  request.clOrdId = std::move(clOrdId);
  request.symbol = "ACME";
  request.side = '1';
  request.msgSeqNum = msgSeqNum;
  return request;
}

class VenueTest : public ::testing::Test {
 protected:
  VenueTest() { start({}, 7); }

  // A new venue in place of the old one, as a restart of the daemon makes
  // it: the books and every order are gone.
  void start(VenueRules rules, uint64_t run) {
    venue_.reset();
    auto created = Venue::create({.exchangeId = "xtst",
                                  .run = run,
                                  .symbols = {{.symbol = "ACME",
                                               .referencePriceMicros = kReference,
                                               .tickMicros = kCent,
                                               .levels = 3,
                                               .quantityPerLevel = 100}},
                                  .rules = rules},
                                 output_);
    if (auto* fault = std::get_if<std::string>(&created)) ADD_FAILURE() << *fault;
    venue_ = std::move(std::get<std::unique_ptr<Venue>>(created));
    output_.clear();
  }

  PriceLevel bestBid() { return *venue_->bestBidOffer("ACME")->bid; }

  RecordingOutput output_;
  std::unique_ptr<Venue> venue_;
};

TEST_F(VenueTest, MarketableBuyFillsAgainstTheLiquidityProvider) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference + kCent, 50));
  ASSERT_EQ(output_.reports.size(), 2u);
  const ExecutionReportMessage& accepted = output_.reports[0];
  EXPECT_EQ(accepted.kind, ExecutionKind::kNew);
  EXPECT_EQ(accepted.session, "ss1");
  EXPECT_EQ(accepted.clOrdId, "O1");
  EXPECT_EQ(accepted.leavesQuantity, 50);
  EXPECT_NE(accepted.orderId, "NONE");
  const ExecutionReportMessage& filled = output_.reports[1];
  EXPECT_EQ(filled.kind, ExecutionKind::kFill);
  EXPECT_EQ(filled.orderId, accepted.orderId);
  EXPECT_EQ(filled.lastQuantity, 50);
  EXPECT_EQ(filled.lastPriceMicros, kReference + kCent);
  EXPECT_EQ(filled.leavesQuantity, 0);
  EXPECT_EQ(filled.cumulativeQuantity, 50);
  EXPECT_EQ(filled.averagePriceMicros, kReference + kCent);
  EXPECT_EQ(accepted.execId, "xtst-7-1");
  EXPECT_EQ(filled.execId, "xtst-7-2");
}

TEST_F(VenueTest, AnOrderLargerThanALevelFillsPartlyAndRestsTheRest) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference + kCent, 150));
  ASSERT_EQ(output_.reports.size(), 2u);
  EXPECT_EQ(output_.reports[1].kind, ExecutionKind::kPartialFill);
  EXPECT_EQ(output_.reports[1].lastQuantity, 100);
  EXPECT_EQ(output_.reports[1].leavesQuantity, 50);
  EXPECT_EQ(bestBid(), (PriceLevel{kReference + kCent, 50, 1}));
}

TEST_F(VenueTest, AverageIsOverEveryFill) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference + 2 * kCent, 200));
  ASSERT_EQ(output_.reports.size(), 3u);
  EXPECT_EQ(output_.reports[2].kind, ExecutionKind::kFill);
  EXPECT_EQ(output_.reports[2].averagePriceMicros, kReference + kCent + kCent / 2);
}

TEST_F(VenueTest, ATradeBetweenTwoSessionsIsReportedToBoth) {
  venue_->onNewOrder(limit("ss1", "S1", '2', kReference, 10));
  venue_->onNewOrder(limit("ss2", "B1", '1', kReference, 10));
  std::vector<ExecutionReportMessage> fills;
  for (const auto& report : output_.reports) {
    if (report.kind == ExecutionKind::kFill) fills.push_back(report);
  }
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(fills[0].session, "ss2");
  EXPECT_EQ(fills[0].clOrdId, "B1");
  EXPECT_EQ(fills[1].session, "ss1");
  EXPECT_EQ(fills[1].clOrdId, "S1");
  EXPECT_NE(fills[0].execId, fills[1].execId);
  EXPECT_EQ(fills[1].lastPriceMicros, kReference);
}

TEST_F(VenueTest, ARestingOrderIsCancelledOnRequest) {
  venue_->onNewOrder(limit("ss1", "O1", '1', 99 * kDollar, 10));
  venue_->onCancelRequest(cancel("ss1", "C1", "O1"));
  ASSERT_EQ(output_.reports.size(), 2u);
  const ExecutionReportMessage& cancelled = output_.reports[1];
  EXPECT_EQ(cancelled.kind, ExecutionKind::kCancelled);
  EXPECT_EQ(cancelled.clOrdId, "C1");
  EXPECT_EQ(cancelled.origClOrdId, "O1");
  EXPECT_EQ(cancelled.orderId, output_.reports[0].orderId);
  EXPECT_EQ(cancelled.leavesQuantity, 0);
  EXPECT_TRUE(output_.cancelRejects.empty());
}

TEST_F(VenueTest, CancellingAnUnknownOrderIsRefused) {
  venue_->onCancelRequest(cancel("ss1", "C1", "NOPE"));
  ASSERT_EQ(output_.cancelRejects.size(), 1u);
  const CancelRejectMessage& reject = output_.cancelRejects[0];
  EXPECT_EQ(reject.reason, CancelRejectReason::kUnknownOrder);
  EXPECT_EQ(reject.orderId, "NONE");
  EXPECT_EQ(reject.clOrdId, "C1");
  EXPECT_EQ(reject.origClOrdId, "NOPE");
  EXPECT_EQ(reject.ordStatus, '8');
  EXPECT_NE(reject.text.find("unknown order"), std::string::npos);
}

TEST_F(VenueTest, AnotherSessionsOrderIsUnknown) {
  venue_->onNewOrder(limit("ss1", "O1", '1', 99 * kDollar, 10));
  venue_->onCancelRequest(cancel("ss2", "C1", "O1"));
  ASSERT_EQ(output_.cancelRejects.size(), 1u);
  EXPECT_EQ(output_.cancelRejects[0].reason, CancelRejectReason::kUnknownOrder);
  EXPECT_EQ(bestBid().priceMicros, kReference - kCent);  // the order is still there
  EXPECT_EQ(venue_->bestBidOffer("ACME")->bid->quantity, 100);
}

TEST_F(VenueTest, CancellingAFilledOrderIsTooLate) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference + kCent, 10));
  venue_->onCancelRequest(cancel("ss1", "C1", "O1"));
  ASSERT_EQ(output_.cancelRejects.size(), 1u);
  EXPECT_EQ(output_.cancelRejects[0].reason, CancelRejectReason::kTooLateToCancel);
  EXPECT_EQ(output_.cancelRejects[0].ordStatus, '2');
  EXPECT_EQ(output_.cancelRejects[0].orderId, output_.reports[0].orderId);
}

TEST_F(VenueTest, AZeroQuantityOrderIsRejectedWithAReason) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference, 0));
  ASSERT_EQ(output_.reports.size(), 1u);
  const ExecutionReportMessage& rejected = output_.reports[0];
  EXPECT_EQ(rejected.kind, ExecutionKind::kRejected);
  EXPECT_EQ(rejected.orderId, "NONE");
  EXPECT_EQ(rejected.clOrdId, "O1");
  EXPECT_EQ(rejected.ordRejReason, kRejectExchangeOption);
  EXPECT_EQ(rejected.text, "order quantity must be at least one share");
  EXPECT_TRUE(output_.marketData.empty());
}

TEST_F(VenueTest, AnUnknownSymbolIsRejectedAsSuch) {
  NewOrderMessage order = limit("ss1", "O1", '1', kReference, 10);
  order.symbol = "ZZZZ";
  venue_->onNewOrder(order);
  ASSERT_EQ(output_.reports.size(), 1u);
  EXPECT_EQ(output_.reports[0].ordRejReason, kRejectUnknownSymbol);
  EXPECT_EQ(output_.reports[0].symbol, "ZZZZ");
}

TEST_F(VenueTest, AMalformedOrderIsRejectedWithTheDecodersFault) {
  NewOrderMessage order = limit("ss1", "O1", '1', kReference, 10);
  order.fault = "OrderQty (38) 'ten' is not a whole number of shares";
  venue_->onNewOrder(order);
  ASSERT_EQ(output_.reports.size(), 1u);
  EXPECT_EQ(output_.reports[0].kind, ExecutionKind::kRejected);
  EXPECT_EQ(output_.reports[0].text, order.fault);
}

TEST_F(VenueTest, ADuplicateClOrdIdIsRejectedAndTheOriginalStands) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference, 10));
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference, 10));
  ASSERT_EQ(output_.reports.size(), 2u);
  const ExecutionReportMessage& rejected = output_.reports[1];
  EXPECT_EQ(rejected.kind, ExecutionKind::kRejected);
  EXPECT_EQ(rejected.ordRejReason, kRejectDuplicateOrder);
  EXPECT_EQ(rejected.orderId, "NONE");
  EXPECT_NE(rejected.text.find("duplicate ClOrdID 'O1'"), std::string::npos);
  EXPECT_EQ(bestBid(), (PriceLevel{kReference, 10, 1}));
}

TEST_F(VenueTest, APossibleDuplicateOfASeenOrderIsIgnored) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference, 10));
  output_.clear();
  NewOrderMessage resend = limit("ss1", "O1", '1', kReference, 10);
  resend.possibleDuplicate = true;
  venue_->onNewOrder(resend);
  EXPECT_TRUE(output_.reports.empty());
  EXPECT_TRUE(output_.marketData.empty());
  EXPECT_EQ(bestBid(), (PriceLevel{kReference, 10, 1}));
}

TEST_F(VenueTest, APossibleDuplicateNotSeenBeforeIsANewOrder) {
  NewOrderMessage order = limit("ss1", "O1", '1', kReference, 10);
  order.possibleDuplicate = true;
  venue_->onNewOrder(order);
  ASSERT_EQ(output_.reports.size(), 1u);
  EXPECT_EQ(output_.reports[0].kind, ExecutionKind::kNew);
}

TEST_F(VenueTest, ARejectedOrdersClOrdIdIsUsed) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference, 0));
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference, 10));
  ASSERT_EQ(output_.reports.size(), 2u);
  EXPECT_EQ(output_.reports[1].ordRejReason, kRejectDuplicateOrder);
}

TEST_F(VenueTest, ClOrdIdsBelongToTheirSession) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference, 10));
  venue_->onNewOrder(limit("ss2", "O1", '1', kReference, 10));
  ASSERT_EQ(output_.reports.size(), 2u);
  EXPECT_EQ(output_.reports[1].kind, ExecutionKind::kNew);
  EXPECT_EQ(bestBid(), (PriceLevel{kReference, 20, 2}));
}

TEST_F(VenueTest, ACancelReusingAClOrdIdIsRefused) {
  venue_->onNewOrder(limit("ss1", "O1", '1', 99 * kDollar, 10));
  venue_->onCancelRequest(cancel("ss1", "O1", "O1"));
  ASSERT_EQ(output_.cancelRejects.size(), 1u);
  EXPECT_EQ(output_.cancelRejects[0].reason, CancelRejectReason::kDuplicateClOrdId);
  // A possible duplicate of a cancel already served is ignored.
  venue_->onCancelRequest(cancel("ss1", "C1", "O1"));
  CancelRequestMessage again = cancel("ss1", "C1", "O1");
  again.possibleDuplicate = true;
  venue_->onCancelRequest(again);
  EXPECT_EQ(output_.cancelRejects.size(), 1u);
  EXPECT_EQ(output_.reports.back().kind, ExecutionKind::kCancelled);
}

TEST_F(VenueTest, EndOfDayExpiresDayOrdersOnly) {
  venue_->onNewOrder(limit("ss1", "D1", '1', 99 * kDollar, 10, '0'));
  venue_->onNewOrder(limit("ss1", "G1", '1', 98 * kDollar, 10, '1'));
  output_.clear();
  venue_->expireDay();
  ASSERT_EQ(output_.reports.size(), 1u);
  EXPECT_EQ(output_.reports[0].kind, ExecutionKind::kExpired);
  EXPECT_EQ(output_.reports[0].clOrdId, "D1");
  venue_->onCancelRequest(cancel("ss1", "C1", "D1"));
  venue_->onCancelRequest(cancel("ss1", "C2", "G1"));
  ASSERT_EQ(output_.cancelRejects.size(), 1u);
  EXPECT_EQ(output_.cancelRejects[0].ordStatus, 'C');
  EXPECT_EQ(output_.reports.back().kind, ExecutionKind::kCancelled);
}

// What the book removes on its own is reported Expired; Canceled is kept for
// what a client asked for.
TEST_F(VenueTest, ImmediateOrCancelRemainderExpires) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference + kCent, 150, '3'));
  ASSERT_EQ(output_.reports.size(), 3u);
  EXPECT_EQ(output_.reports[2].kind, ExecutionKind::kExpired);
  EXPECT_EQ(output_.reports[2].clOrdId, "O1");
  EXPECT_EQ(output_.reports[2].cumulativeQuantity, 100);
  EXPECT_TRUE(output_.reports[2].origClOrdId.empty());
}

TEST_F(VenueTest, MarketDataFollowsTheTopAndTrades) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference, 10));
  ASSERT_EQ(output_.marketData.size(), 1u);
  const MarketDataMessage& bid = output_.marketData[0];
  EXPECT_TRUE(bid.session.empty());
  EXPECT_EQ(bid.symbol, "ACME");
  EXPECT_EQ(bid.type, MarketDataEntryType::kBid);
  EXPECT_TRUE(bid.present);
  EXPECT_EQ(bid.priceMicros, kReference);
  EXPECT_EQ(bid.quantity, 10);

  // Behind the best bid: the top does not change, nothing is sent.
  venue_->onNewOrder(limit("ss1", "O2", '1', 90 * kDollar, 10));
  EXPECT_EQ(output_.marketData.size(), 1u);

  // A trade prints, and the offer it took from shrinks; the bid is unchanged.
  output_.clear();
  venue_->onNewOrder(limit("ss1", "O3", '1', kReference + kCent, 40));
  ASSERT_EQ(output_.marketData.size(), 2u);
  EXPECT_EQ(output_.marketData[0].type, MarketDataEntryType::kTrade);
  EXPECT_EQ(output_.marketData[0].priceMicros, kReference + kCent);
  EXPECT_EQ(output_.marketData[0].quantity, 40);
  EXPECT_EQ(output_.marketData[1].type, MarketDataEntryType::kOffer);
  EXPECT_EQ(output_.marketData[1].priceMicros, kReference + kCent);
  EXPECT_EQ(output_.marketData[1].quantity, 60);

  output_.clear();
  venue_->onCancelRequest(cancel("ss1", "C1", "O1"));
  ASSERT_EQ(output_.marketData.size(), 1u);
  EXPECT_EQ(output_.marketData[0].type, MarketDataEntryType::kBid);
  EXPECT_EQ(output_.marketData[0].priceMicros, kReference - kCent);
}

TEST_F(VenueTest, AnEmptiedSideIsPublishedAsADelete) {
  // Takes all three offers (300 shares) and rests 100 at the highest, where
  // the provider may not quote an offer without crossing it.
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference + 3 * kCent, 400));
  ASSERT_FALSE(output_.marketData.empty());
  const MarketDataMessage& last = output_.marketData.back();
  EXPECT_EQ(last.type, MarketDataEntryType::kOffer);
  EXPECT_FALSE(last.present);
  size_t trades = 0;
  for (const auto& message : output_.marketData) {
    if (message.type == MarketDataEntryType::kTrade) ++trades;
  }
  EXPECT_EQ(trades, 3u);
}

TEST_F(VenueTest, ALogonGetsEveryBooksBestBidAndOffer) {
  venue_->onLogon("ss2");
  ASSERT_EQ(output_.marketData.size(), 2u);
  EXPECT_EQ(output_.marketData[0].session, "ss2");
  EXPECT_EQ(output_.marketData[0].type, MarketDataEntryType::kBid);
  EXPECT_EQ(output_.marketData[0].priceMicros, kReference - kCent);
  EXPECT_EQ(output_.marketData[1].session, "ss2");
  EXPECT_EQ(output_.marketData[1].type, MarketDataEntryType::kOffer);
  EXPECT_EQ(output_.marketData[1].priceMicros, kReference + kCent);
}

TEST_F(VenueTest, ExecIdsAreUniqueAcrossARun) {
  for (int i = 0; i < 20; ++i) {
    venue_->onNewOrder(limit("ss1", "O" + std::to_string(i), i % 2 ? '1' : '2',
                             i % 2 ? kReference + kCent : kReference - kCent, 30));
  }
  std::set<std::string> execIds;
  for (const auto& report : output_.reports) {
    EXPECT_TRUE(execIds.insert(report.execId).second) << report.execId;
    EXPECT_EQ(report.execId.rfind("xtst-7-", 0), 0u) << report.execId;
  }
}

// ---- Status requests and the venue modes (VenueRules) ----------------------

TEST_F(VenueTest, AStatusRequestIsAnsweredWithTheOrdersStateNow) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference + kCent, 150));  // fills 100, rests 50
  output_.clear();
  venue_->onStatusRequest(statusRequest("ss1", "O1"));
  ASSERT_EQ(output_.statuses.size(), 1u);
  const OrderStatusMessage& status = output_.statuses[0];
  EXPECT_EQ(status.session, "ss1");
  EXPECT_EQ(status.clOrdId, "O1");
  EXPECT_NE(status.orderId, "NONE");
  EXPECT_EQ(status.ordStatus, '1');  // partially filled
  EXPECT_EQ(status.orderQuantity, 150);
  EXPECT_EQ(status.cumulativeQuantity, 100);
  EXPECT_EQ(status.leavesQuantity, 50);
  EXPECT_EQ(status.averagePriceMicros, kReference + kCent);
  EXPECT_EQ(status.ordRejReason, -1);
  EXPECT_TRUE(output_.reports.empty());
  EXPECT_TRUE(output_.businessRejects.empty());
}

TEST_F(VenueTest, AStatusRequestForAnUnknownOrderIsRejectedAsUnknown) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference, 10));
  output_.clear();
  for (const StatusRequestMessage& request :
       {statusRequest("ss1", "NEVER"), statusRequest("ss2", "O1")}) {  // another session's
    venue_->onStatusRequest(request);
  }
  ASSERT_EQ(output_.statuses.size(), 2u);
  for (const OrderStatusMessage& status : output_.statuses) {
    EXPECT_EQ(status.orderId, "NONE");
    EXPECT_EQ(status.ordStatus, '8');
    EXPECT_EQ(status.ordRejReason, kRejectUnknownOrder);
    EXPECT_EQ(status.symbol, "ACME");
    EXPECT_EQ(status.side, '1');
  }
}

TEST_F(VenueTest, OnlyLimitDayRefusesOtherOrdersWithASessionReject) {
  start({.onlyLimitDay = true}, 7);
  NewOrderMessage market = limit("ss1", "M1", '1', 0, 10);
  market.ordType = '1';
  market.msgSeqNum = 12;
  venue_->onNewOrder(market);
  NewOrderMessage ioc = limit("ss1", "I1", '1', kReference, 10, '3');
  ioc.msgSeqNum = 13;
  venue_->onNewOrder(ioc);
  EXPECT_TRUE(output_.reports.empty());
  EXPECT_TRUE(output_.marketData.empty());
  ASSERT_EQ(output_.sessionRejects.size(), 2u);
  const SessionRejectMessage& byType = output_.sessionRejects[0];
  EXPECT_EQ(byType.session, "ss1");
  EXPECT_EQ(byType.refSeqNum, 12);
  EXPECT_EQ(byType.refTagId, 40);
  EXPECT_EQ(byType.refMsgType, "D");
  EXPECT_EQ(byType.reason, kSessionRejectValueIsIncorrect);
  EXPECT_NE(byType.text.find("OrdType (40) '1'"), std::string::npos) << byType.text;
  const SessionRejectMessage& byTimeInForce = output_.sessionRejects[1];
  EXPECT_EQ(byTimeInForce.refSeqNum, 13);
  EXPECT_EQ(byTimeInForce.refTagId, 59);
  EXPECT_NE(byTimeInForce.text.find("TimeInForce (59) '3'"), std::string::npos);

  // A limit DAY order is taken, even under a refused order's ClOrdID.
  venue_->onNewOrder(limit("ss1", "I1", '1', kReference, 10));
  ASSERT_EQ(output_.reports.size(), 1u);
  EXPECT_EQ(output_.reports[0].kind, ExecutionKind::kNew);
  EXPECT_EQ(bestBid(), (PriceLevel{kReference, 10, 1}));
}

TEST_F(VenueTest, NoCancelAnswersACancelWithABusinessRejectAndKeepsTheOrder) {
  start({.acceptsCancels = false}, 7);
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference, 10));
  output_.clear();
  CancelRequestMessage request = cancel("ss1", "C1", "O1");
  request.msgSeqNum = 5;
  venue_->onCancelRequest(request);
  ASSERT_EQ(output_.businessRejects.size(), 1u);
  const BusinessRejectMessage& reject = output_.businessRejects[0];
  EXPECT_EQ(reject.session, "ss1");
  EXPECT_EQ(reject.refSeqNum, 5);
  EXPECT_EQ(reject.refMsgType, "F");
  EXPECT_EQ(reject.refId, "C1");
  EXPECT_EQ(reject.reason, kBusinessRejectUnsupportedMessageType);
  EXPECT_FALSE(reject.text.empty());
  EXPECT_TRUE(output_.reports.empty());
  EXPECT_TRUE(output_.cancelRejects.empty());
  EXPECT_EQ(bestBid(), (PriceLevel{kReference, 10, 1}));
}

TEST_F(VenueTest, NoStatusRequestsAnswersThemWithABusinessReject) {
  start({.answersStatusRequests = false}, 7);
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference, 10));
  output_.clear();
  venue_->onStatusRequest(statusRequest("ss1", "O1", 9));
  EXPECT_TRUE(output_.statuses.empty());
  ASSERT_EQ(output_.businessRejects.size(), 1u);
  EXPECT_EQ(output_.businessRejects[0].refSeqNum, 9);
  EXPECT_EQ(output_.businessRejects[0].refMsgType, "H");
  EXPECT_EQ(output_.businessRejects[0].refId, "O1");
  EXPECT_EQ(output_.businessRejects[0].reason, kBusinessRejectUnsupportedMessageType);
}

NewOrderMessage possResend(NewOrderMessage order) {
  order.possResend = true;
  order.possibleDuplicate = true;
  return order;
}

TEST_F(VenueTest, AnOrderResentWithPossResendIsAnsweredWithItsStatusNotExecutedAgain) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference + kCent, 50));  // fills
  output_.clear();
  venue_->onNewOrder(possResend(limit("ss1", "O1", '1', kReference + kCent, 50)));
  EXPECT_TRUE(output_.reports.empty());
  ASSERT_EQ(output_.statuses.size(), 1u);
  EXPECT_EQ(output_.statuses[0].clOrdId, "O1");
  EXPECT_EQ(output_.statuses[0].ordStatus, '2');
  EXPECT_EQ(output_.statuses[0].cumulativeQuantity, 50);
  EXPECT_EQ(output_.statuses[0].leavesQuantity, 0);
}

TEST_F(VenueTest, IgnorePossResendExecutesTheResendAgain) {
  start({.honoursPossResend = false}, 7);
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference + kCent, 50));
  venue_->onNewOrder(possResend(limit("ss1", "O1", '1', kReference + kCent, 50)));
  std::vector<ExecutionReportMessage> fills;
  for (const auto& report : output_.reports) {
    if (report.kind == ExecutionKind::kFill) fills.push_back(report);
  }
  ASSERT_EQ(fills.size(), 2u);  // the double execution the street must guard against
  EXPECT_NE(fills[0].orderId, fills[1].orderId);
  EXPECT_EQ(fills[1].clOrdId, "O1");
  EXPECT_TRUE(output_.statuses.empty());

  // A session-level resend (PossDupFlag) is still recognised.
  output_.clear();
  NewOrderMessage possDup = limit("ss1", "O1", '1', kReference + kCent, 50);
  possDup.possDupFlag = true;
  possDup.possibleDuplicate = true;
  venue_->onNewOrder(possDup);
  EXPECT_TRUE(output_.reports.empty());
}

TEST_F(VenueTest, ExecIdsRestartAtOneOnEveryStartWhenAsked) {
  start({.execIds = ExecIdScheme::kRestartEachRun}, 7);
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference + kCent, 50));
  ASSERT_EQ(output_.reports.size(), 2u);
  EXPECT_EQ(output_.reports[0].execId, "1");
  EXPECT_EQ(output_.reports[1].execId, "2");
  start({.execIds = ExecIdScheme::kRestartEachRun}, 8);
  venue_->onNewOrder(limit("ss1", "O2", '1', kReference + kCent, 50));
  ASSERT_EQ(output_.reports.size(), 2u);
  EXPECT_EQ(output_.reports[0].execId, "1");
}

TEST_F(VenueTest, NoMarketDataPublishesNothing) {
  start({.publishesMarketData = false}, 7);
  venue_->onLogon("ss1");
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference + kCent, 50));  // a trade, a new offer
  venue_->onNewOrder(limit("ss1", "O2", '1', kReference, 10));          // a new bid
  EXPECT_EQ(output_.reports.size(), 3u);
  EXPECT_TRUE(output_.marketData.empty());
}

// The venue keeps no orders on disk (venue.h, "Memory"): a restart forgets them.
TEST_F(VenueTest, ARestartForgetsEveryOrderAndClOrdId) {
  venue_->onNewOrder(limit("ss1", "O1", '1', kReference, 10));
  start({}, 8);
  venue_->onStatusRequest(statusRequest("ss1", "O1"));
  ASSERT_EQ(output_.statuses.size(), 1u);
  EXPECT_EQ(output_.statuses[0].ordRejReason, kRejectUnknownOrder);
  venue_->onNewOrder(possResend(limit("ss1", "O1", '1', kReference, 10)));
  ASSERT_EQ(output_.reports.size(), 1u);
  EXPECT_EQ(output_.reports[0].kind, ExecutionKind::kNew);
}

TEST(VenueCreateTest, RefusesUnusableOptions) {
  RecordingOutput output;
  const SymbolLiquidity acme{.symbol = "ACME",
                             .referencePriceMicros = kReference,
                             .tickMicros = kCent,
                             .levels = 1,
                             .quantityPerLevel = 1};
  auto fault = [&](VenueOptions options) {
    auto created = Venue::create(std::move(options), output);
    return std::holds_alternative<std::string>(created) ? std::get<std::string>(created) : "";
  };
  EXPECT_NE(fault({.exchangeId = "", .symbols = {acme}, .rules = {}}), "");
  EXPECT_NE(fault({.exchangeId = "x", .symbols = {}, .rules = {}}), "");
  EXPECT_NE(
      fault({.exchangeId = "x", .symbols = {acme, acme}, .rules = {}}).find("configured twice"),
      std::string::npos);
  SymbolLiquidity bad = acme;
  bad.tickMicros = 0;
  EXPECT_NE(fault({.exchangeId = "x", .symbols = {bad}, .rules = {}}).find("tick"),
            std::string::npos);
}

// QuickFIX calls from one thread per connection: the venue's lock must keep
// the engine whole (run under a sanitizer build to check it more closely).
TEST_F(VenueTest, SessionsMayCallFromManyThreads) {
  constexpr int kThreads = 4;
  constexpr int kOrders = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      const std::string session = "ss" + std::to_string(t);
      for (int i = 0; i < kOrders; ++i) {
        const std::string id = "O" + std::to_string(i);
        venue_->onNewOrder(
            limit(session, id, i % 2 ? '1' : '2', kReference + (i % 2 ? 1 : -1) * kCent, 5));
        if (i % 3 == 0) venue_->onCancelRequest(cancel(session, "C" + id, id));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const auto accepted = std::count_if(output_.reports.begin(), output_.reports.end(),
                                      [](const auto& r) { return r.kind == ExecutionKind::kNew; });
  EXPECT_EQ(accepted, kThreads * kOrders);
}

}  // namespace
}  // namespace triad::exchange
