#include "exchange/venue.h"

#include <algorithm>
#include <set>
#include <utility>

namespace triad::exchange {
namespace {

constexpr char kNoOrderIdText[] = "NONE";

// The FIX values the venue's rules refer to (the engine's enums carry FIX's
// characters, as fix_messages.h's fields do).
constexpr char kLimit = static_cast<char>(OrderType::kLimit);
constexpr char kDay = static_cast<char>(TimeInForce::kDay);
constexpr int kOrdTypeTag = 40;
constexpr int kTimeInForceTag = 59;
constexpr char kMsgTypeNewOrder[] = "D";
constexpr char kMsgTypeCancelRequest[] = "F";
constexpr char kMsgTypeStatusRequest[] = "H";
// QuickFIX's own wording for BusinessRejectReason 3, which it sends for the
// message types it is not given an answer for.
constexpr char kUnsupportedMessageTypeText[] = "Unsupported Message Type";

// Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict for
// `"'" + std::string(text) + "'"` (operator+ inlined into char_traits::copy).
std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('\'');
  out.append(text);
  out.push_back('\'');
  return out;
}

std::vector<std::string> namesOf(const std::vector<SymbolLiquidity>& symbols) {
  std::vector<std::string> names;
  for (const SymbolLiquidity& symbol : symbols) names.push_back(symbol.symbol);
  return names;
}

// Market data shows price and size; a change in order count alone is no news.
bool sameTop(const std::optional<PriceLevel>& a, const std::optional<PriceLevel>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->priceMicros == b->priceMicros && a->quantity == b->quantity);
}

int ordRejReasonOf(Reason reason) {
  return reason == Reason::kUnknownSymbol || reason == Reason::kInvalidSymbol
             ? kRejectUnknownSymbol
             : kRejectExchangeOption;
}

}  // namespace

std::variant<std::unique_ptr<Venue>, std::string> Venue::create(VenueOptions options,
                                                                VenueOutput& output) {
  if (options.exchangeId.empty()) return std::string("the venue needs an exchange id");
  if (options.symbols.empty()) return std::string("the venue needs at least one symbol");
  std::set<std::string> seen;
  for (const SymbolLiquidity& symbol : options.symbols) {
    if (std::optional<std::string> fault = LiquidityProvider::checkConfig(symbol)) return *fault;
    if (!seen.insert(symbol.symbol).second) {
      return "symbol " + quoted(symbol.symbol) + " is configured twice";
    }
  }
  auto venue = std::make_unique<Venue>(Key{}, std::move(options), output);
  {
    std::lock_guard lock(venue->mutex_);
    if (std::optional<std::string> fault = venue->start()) return *fault;
  }
  return venue;
}

Venue::Venue(Key, VenueOptions options, VenueOutput& output)
    : exchangeId_(std::move(options.exchangeId)),
      run_(options.run),
      rules_(options.rules),
      output_(output),
      symbols_(namesOf(options.symbols)),
      provider_(engine_, {.symbols = std::move(options.symbols)}) {}

std::optional<std::string> Venue::start() {
  for (const std::string& symbol : symbols_) {
    if (Reason reason = engine_.addSymbol(symbol); reason != Reason::kNone) {
      return "symbol " + quoted(symbol) + ": " + std::string(describe(reason));
    }
  }
  events_.clear();
  if (std::optional<std::string> fault = provider_.start(events_)) return fault;
  publish(events_);
  return std::nullopt;
}

void Venue::onNewOrder(const NewOrderMessage& order) {
  std::lock_guard lock(mutex_);
  if (refusedByRules(order)) return;
  ClOrdIds& used = clOrdIds_[order.session];
  // A venue that ignores PossResend takes such a resend for a new order.
  const bool newDespiteClOrdId =
      !rules_.honoursPossResend && order.possResend && !order.possDupFlag;
  if (!order.clOrdId.empty() && used.contains(order.clOrdId) && !newDespiteClOrdId) {
    if (order.possResend && !order.possDupFlag) {
      // FIX's answer to an order resent by the application that it already
      // has (FIX.4.4 Appendix D, F.1.b): the order's state now.
      output_.sendOrderStatus(statusOf({.session = order.session,
                                        .clOrdId = order.clOrdId,
                                        .orderId = {},
                                        .symbol = order.symbol,
                                        .side = order.side,
                                        .msgSeqNum = order.msgSeqNum}));
      return;
    }
    if (order.possibleDuplicate) return;  // the original's reports stand
    rejectOrder(order, kRejectDuplicateOrder,
                "duplicate ClOrdID " + quoted(order.clOrdId) +
                    ": this session already sent it; the original order is unchanged");
    return;
  }
  if (!order.fault.empty()) {
    if (!order.clOrdId.empty()) used.emplace(order.clOrdId, 0);
    rejectOrder(order, kRejectExchangeOption, order.fault);
    return;
  }

  const uint64_t clientOrderId = ++lastClientOrderId_;
  used.insert_or_assign(order.clOrdId, clientOrderId);
  orders_.emplace(clientOrderId, FixOrder{.session = order.session,
                                          .clOrdId = order.clOrdId,
                                          .symbol = order.symbol,
                                          .side = order.side,
                                          .ordType = order.ordType,
                                          .timeInForce = order.timeInForce,
                                          .quantity = order.quantity,
                                          .priceMicros = order.priceMicros});
  // The engine validates side, type and time in force: the enums carry the
  // FIX characters, and any other value is rejected with a reason.
  const OrderRequest request{.side = static_cast<Side>(order.side),
                             .type = static_cast<OrderType>(order.ordType),
                             .timeInForce = static_cast<TimeInForce>(order.timeInForce),
                             .priceMicros = order.priceMicros,
                             .quantity = order.quantity,
                             .clientOrderId = clientOrderId};
  events_.clear();
  engine_.submit(order.symbol, request, events_);
  provider_.onEvents(events_);
  report(events_, {});
  publish(events_);
}

void Venue::onCancelRequest(const CancelRequestMessage& request) {
  std::lock_guard lock(mutex_);
  if (!rules_.acceptsCancels) {
    rejectUnsupported(request.session, request.msgSeqNum, kMsgTypeCancelRequest, request.clOrdId);
    return;
  }
  ClOrdIds& used = clOrdIds_[request.session];
  if (!request.clOrdId.empty() && used.contains(request.clOrdId)) {
    if (request.possibleDuplicate) return;
    rejectCancel(request, nullptr, CancelRejectReason::kDuplicateClOrdId,
                 "duplicate ClOrdID " + quoted(request.clOrdId) +
                     ": this session already sent it; nothing was cancelled");
    return;
  }
  const auto target = used.find(request.origClOrdId);
  const uint64_t clientOrderId = target == used.end() ? 0 : target->second;
  if (!request.clOrdId.empty()) used.emplace(request.clOrdId, clientOrderId);
  FixOrder* order = findOrder(clientOrderId);
  if (!request.fault.empty()) {
    rejectCancel(request, order, CancelRejectReason::kUnknownOrder, request.fault);
    return;
  }
  if (order == nullptr || order->orderId == kNoOrderId) {
    rejectCancel(request, order, CancelRejectReason::kUnknownOrder,
                 "unknown order: this session has no open order with ClOrdID " +
                     quoted(request.origClOrdId));
    return;
  }
  if (!order->open()) {
    rejectCancel(request, order, CancelRejectReason::kTooLateToCancel,
                 std::string(describe(Reason::kOrderNotOpen)));
    return;
  }
  events_.clear();
  engine_.cancel(order->orderId, events_);
  provider_.onEvents(events_);
  report(events_, {.request = &request, .clientOrderId = clientOrderId});
  publish(events_);
}

void Venue::onStatusRequest(const StatusRequestMessage& request) {
  std::lock_guard lock(mutex_);
  if (!rules_.answersStatusRequests) {
    rejectUnsupported(request.session, request.msgSeqNum, kMsgTypeStatusRequest, request.clOrdId);
    return;
  }
  output_.sendOrderStatus(statusOf(request));
}

void Venue::onLogon(const std::string& session) {
  std::lock_guard lock(mutex_);
  if (!rules_.publishesMarketData) return;
  for (const std::string& symbol : symbols_) {
    for (MarketDataEntryType type : {MarketDataEntryType::kBid, MarketDataEntryType::kOffer}) {
      MarketDataMessage message = topOf(*engine_.findBook(symbol), type);
      message.session = session;
      output_.sendMarketData(message);
    }
  }
}

void Venue::expireDay() {
  std::lock_guard lock(mutex_);
  events_.clear();
  engine_.expireDay(events_);
  provider_.onEvents(events_);
  report(events_, {});
  publish(events_);
}

std::optional<BestBidOffer> Venue::bestBidOffer(std::string_view symbol) const {
  std::lock_guard lock(mutex_);
  return engine_.bestBidOffer(symbol);
}

void Venue::report(const std::vector<BookEvent>& events, const CancelInProgress& cancel) {
  for (const BookEvent& event : events) {
    switch (event.type) {
      case EventType::kAccepted:
        if (FixOrder* order = findOrder(event.clientOrderId)) {
          order->orderId = event.orderId;
          order->ordStatus = orderStatusOf(ExecutionKind::kNew);
          order->leavesQuantity = event.leavesQuantity;
          output_.sendExecutionReport(reportFor(*order, ExecutionKind::kNew));
        }
        break;
      case EventType::kFill:
        reportFill(event.clientOrderId, event.quantity, event.priceMicros, event.leavesQuantity,
                   event.cumulativeQuantity);
        reportFill(event.restingClientOrderId, event.quantity, event.priceMicros,
                   event.restingLeavesQuantity, event.restingCumulativeQuantity);
        break;
      case EventType::kCancelled:
      case EventType::kExpired:
        if (FixOrder* order = findOrder(event.clientOrderId)) {
          // What the book removes on its own (an IOC or market remainder, a
          // DAY order at the close) is reported Expired (ExecType C); only a
          // cancel the client asked for is Canceled (4).
          const ExecutionKind kind = event.reason == Reason::kCancelRequested
                                         ? ExecutionKind::kCancelled
                                         : ExecutionKind::kExpired;
          order->ordStatus = orderStatusOf(kind);
          order->leavesQuantity = 0;
          ExecutionReportMessage message = reportFor(*order, kind);
          if (cancel.request != nullptr && cancel.clientOrderId == event.clientOrderId &&
              event.reason == Reason::kCancelRequested) {
            message.clOrdId = cancel.request->clOrdId;
            message.origClOrdId = order->clOrdId;
          }
          message.text = std::string(describe(event.reason));
          output_.sendExecutionReport(message);
        }
        break;
      case EventType::kRejected:
        if (FixOrder* order = findOrder(event.clientOrderId)) {
          order->ordStatus = orderStatusOf(ExecutionKind::kRejected);
          order->leavesQuantity = 0;
          ExecutionReportMessage message = reportFor(*order, ExecutionKind::kRejected);
          message.ordRejReason = ordRejReasonOf(event.reason);
          message.text = std::string(describe(event.reason));
          output_.sendExecutionReport(message);
        }
        break;
      case EventType::kCancelRejected:
        // Only a cancel request causes one, and the venue checked the order
        // was open first; should the engine still refuse, say why.
        if (cancel.request != nullptr) {
          rejectCancel(*cancel.request, findOrder(cancel.clientOrderId),
                       event.reason == Reason::kUnknownOrder ? CancelRejectReason::kUnknownOrder
                                                             : CancelRejectReason::kTooLateToCancel,
                       std::string(describe(event.reason)));
        }
        break;
    }
  }
}

void Venue::reportFill(uint64_t clientOrderId, int64_t quantity, int64_t priceMicros,
                       int64_t leavesQuantity, int64_t cumulativeQuantity) {
  FixOrder* order = findOrder(clientOrderId);
  if (order == nullptr) return;  // the liquidity provider's
  const ExecutionKind kind =
      leavesQuantity == 0 ? ExecutionKind::kFill : ExecutionKind::kPartialFill;
  order->ordStatus = orderStatusOf(kind);
  order->leavesQuantity = leavesQuantity;
  order->cumulativeQuantity = cumulativeQuantity;
  order->notionalMicros += static_cast<__int128>(quantity) * priceMicros;
  ExecutionReportMessage message = reportFor(*order, kind);
  message.lastQuantity = quantity;
  message.lastPriceMicros = priceMicros;
  output_.sendExecutionReport(message);
}

ExecutionReportMessage Venue::reportFor(const FixOrder& order, ExecutionKind kind) {
  ExecutionReportMessage message;
  message.session = order.session;
  message.orderId =
      order.orderId == kNoOrderId ? std::string(kNoOrderIdText) : std::to_string(order.orderId);
  message.clOrdId = order.clOrdId;
  message.execId = nextExecId();
  message.kind = kind;
  message.symbol = order.symbol;
  message.side = order.side;
  message.ordType = order.ordType;
  message.timeInForce = order.timeInForce;
  message.orderQuantity = order.quantity;
  message.priceMicros = order.priceMicros;
  message.leavesQuantity = order.leavesQuantity;
  message.cumulativeQuantity = order.cumulativeQuantity;
  message.averagePriceMicros = order.averagePriceMicros();
  return message;
}

OrderStatusMessage Venue::statusOf(const StatusRequestMessage& request) {
  const FixOrder* order = nullptr;
  if (const auto session = clOrdIds_.find(request.session); session != clOrdIds_.end()) {
    if (const auto used = session->second.find(request.clOrdId); used != session->second.end()) {
      order = findOrder(used->second);
    }
  }
  OrderStatusMessage status;
  status.session = request.session;
  status.clOrdId = request.clOrdId;
  if (order == nullptr) {
    // Also a ClOrdID whose message was rejected before it became an order.
    status.orderId = kNoOrderIdText;
    status.ordStatus = orderStatusOf(ExecutionKind::kRejected);
    status.symbol = request.symbol;
    status.side = request.side;
    status.ordRejReason = kRejectUnknownOrder;
    status.text =
        "unknown order: this session has no order with ClOrdID " + quoted(request.clOrdId);
    return status;
  }
  status.orderId =
      order->orderId == kNoOrderId ? std::string(kNoOrderIdText) : std::to_string(order->orderId);
  status.ordStatus = order->ordStatus;
  status.symbol = order->symbol;
  status.side = order->side;
  status.ordType = order->ordType;
  status.timeInForce = order->timeInForce;
  status.orderQuantity = order->quantity;
  status.priceMicros = order->priceMicros;
  status.leavesQuantity = order->leavesQuantity;
  status.cumulativeQuantity = order->cumulativeQuantity;
  status.averagePriceMicros = order->averagePriceMicros();
  return status;
}

bool Venue::refusedByRules(const NewOrderMessage& order) {
  if (!rules_.onlyLimitDay) return false;
  // A missing or malformed field (0 here) is the decoder's fault to report.
  int tag = 0;
  std::string what;
  if (order.ordType != 0 && order.ordType != kLimit) {
    tag = kOrdTypeTag;
    what = "OrdType (40) " + quoted(std::string(1, order.ordType));
  } else if (order.timeInForce != 0 && order.timeInForce != kDay) {
    tag = kTimeInForceTag;
    what = "TimeInForce (59) " + quoted(std::string(1, order.timeInForce));
  } else {
    return false;
  }
  output_.sendSessionReject(
      {.session = order.session,
       .refSeqNum = order.msgSeqNum,
       .refTagId = tag,
       .refMsgType = kMsgTypeNewOrder,
       .reason = kSessionRejectValueIsIncorrect,
       .text = what + " refused: this venue accepts only limit orders (OrdType 2) with "
                      "TimeInForce DAY (0)"});
  return true;
}

void Venue::rejectUnsupported(const std::string& session, int msgSeqNum, const char* msgType,
                              const std::string& clOrdId) {
  output_.sendBusinessReject({.session = session,
                              .refSeqNum = msgSeqNum,
                              .refMsgType = msgType,
                              .refId = clOrdId,
                              .reason = kBusinessRejectUnsupportedMessageType,
                              .text = kUnsupportedMessageTypeText});
}

void Venue::rejectOrder(const NewOrderMessage& order, int ordRejReason, std::string text) {
  ExecutionReportMessage message;
  message.session = order.session;
  message.orderId = kNoOrderIdText;
  message.clOrdId = order.clOrdId;
  message.execId = nextExecId();
  message.kind = ExecutionKind::kRejected;
  message.symbol = order.symbol;
  message.side = order.side;
  message.ordType = order.ordType;
  message.timeInForce = order.timeInForce;
  message.orderQuantity = order.quantity;
  message.priceMicros = order.priceMicros;
  message.ordRejReason = ordRejReason;
  message.text = std::move(text);
  output_.sendExecutionReport(message);
}

void Venue::rejectCancel(const CancelRequestMessage& request, const FixOrder* order,
                         CancelRejectReason reason, std::string text) {
  CancelRejectMessage message;
  message.session = request.session;
  message.orderId = order != nullptr && order->orderId != kNoOrderId
                        ? std::to_string(order->orderId)
                        : std::string(kNoOrderIdText);
  message.clOrdId = request.clOrdId;
  message.origClOrdId = request.origClOrdId;
  message.ordStatus = order != nullptr ? order->ordStatus : orderStatusOf(ExecutionKind::kRejected);
  message.reason = reason;
  message.text = std::move(text);
  output_.sendCancelReject(message);
}

void Venue::publish(const std::vector<BookEvent>& events) {
  if (!rules_.publishesMarketData) return;
  std::vector<const OrderBook*> touched;
  for (const BookEvent& event : events) {
    if (event.orderId == kNoOrderId) continue;  // a rejected order changed nothing
    const OrderBook* book = engine_.bookOf(event.orderId);
    if (book == nullptr) continue;
    if (std::find(touched.begin(), touched.end(), book) == touched.end()) touched.push_back(book);
    if (event.type == EventType::kFill) {
      MarketDataMessage trade;
      trade.symbol = book->symbol();
      trade.type = MarketDataEntryType::kTrade;
      trade.priceMicros = event.priceMicros;
      trade.quantity = event.quantity;
      output_.sendMarketData(trade);
    }
  }
  for (const OrderBook* book : touched) {
    PublishedTop& published = published_[book->symbol()];
    const std::optional<PriceLevel> bid = book->bestBid();
    if (!sameTop(published.bid, bid)) {
      published.bid = bid;
      output_.sendMarketData(topOf(*book, MarketDataEntryType::kBid));
    }
    const std::optional<PriceLevel> ask = book->bestAsk();
    if (!sameTop(published.ask, ask)) {
      published.ask = ask;
      output_.sendMarketData(topOf(*book, MarketDataEntryType::kOffer));
    }
  }
}

MarketDataMessage Venue::topOf(const OrderBook& book, MarketDataEntryType type) {
  const std::optional<PriceLevel> level =
      type == MarketDataEntryType::kBid ? book.bestBid() : book.bestAsk();
  MarketDataMessage message;
  message.symbol = book.symbol();
  message.type = type;
  message.present = level.has_value();
  if (level) {
    message.priceMicros = level->priceMicros;
    message.quantity = level->quantity;
  }
  return message;
}

Venue::FixOrder* Venue::findOrder(uint64_t clientOrderId) {
  auto it = orders_.find(clientOrderId);
  return it == orders_.end() ? nullptr : &it->second;
}

std::string Venue::nextExecId() {
  if (rules_.execIds == ExecIdScheme::kRestartEachRun) return std::to_string(++lastExecution_);
  return exchangeId_ + "-" + std::to_string(run_) + "-" + std::to_string(++lastExecution_);
}

}  // namespace triad::exchange
