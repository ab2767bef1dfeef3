#include "exchange/matching_engine.h"

#include <algorithm>

namespace triad::exchange {
namespace {

constexpr size_t kMaxSymbolLength = 16;

bool isSymbolChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '/';
}

}  // namespace

MatchingEngine::MatchingEngine(MatchingEngineOptions options) : options_(options) {}

bool MatchingEngine::isValidSymbol(std::string_view symbol) {
  return !symbol.empty() && symbol.size() <= kMaxSymbolLength &&
         std::all_of(symbol.begin(), symbol.end(), isSymbolChar);
}

Reason MatchingEngine::addSymbol(std::string_view symbol) {
  if (!isValidSymbol(symbol)) return Reason::kInvalidSymbol;
  if (bySymbol_.contains(symbol)) return Reason::kNone;
  if (books_.size() >= kMaxBooks) return Reason::kTooManySymbols;
  const OrderId idBase = static_cast<OrderId>(books_.size()) << kSequenceBits;
  auto& book = books_.emplace_back(std::make_unique<OrderBook>(std::string(symbol), idBase));
  bySymbol_.emplace(std::string(symbol), book.get());
  return Reason::kNone;
}

OrderBook* MatchingEngine::book(std::string_view symbol) const {
  auto it = bySymbol_.find(symbol);
  return it == bySymbol_.end() ? nullptr : it->second;
}

OrderId MatchingEngine::submit(std::string_view symbol, const OrderRequest& request,
                               std::vector<BookEvent>& events) {
  OrderBook* target = book(symbol);
  if (target == nullptr) {
    Reason reason = Reason::kUnknownSymbol;
    if (options_.createBooksOnDemand) {
      reason = addSymbol(symbol);
      if (reason == Reason::kNone) target = book(symbol);
    }
    if (target == nullptr) {
      BookEvent& rejected = events.emplace_back();
      rejected.type = EventType::kRejected;
      rejected.reason = reason;
      rejected.side = request.side;
      rejected.clientOrderId = request.clientOrderId;
      rejected.priceMicros = request.priceMicros;
      rejected.quantity = request.quantity;
      return kNoOrderId;
    }
  }
  return target->submit(request, events);
}

const OrderBook* MatchingEngine::bookOf(OrderId id) const {
  const uint64_t index = id >> kSequenceBits;
  if (index >= books_.size()) return nullptr;
  return books_[index].get();
}

bool MatchingEngine::cancel(OrderId id, std::vector<BookEvent>& events) {
  const uint64_t index = id >> kSequenceBits;
  if (index >= books_.size()) {
    BookEvent& refused = events.emplace_back();
    refused.type = EventType::kCancelRejected;
    refused.reason = Reason::kUnknownOrder;
    refused.orderId = id;
    return false;
  }
  return books_[index]->cancel(id, events);
}

void MatchingEngine::expireDay(std::vector<BookEvent>& events) {
  for (const std::unique_ptr<OrderBook>& book : books_) book->expireDay(events);
}

std::optional<BestBidOffer> MatchingEngine::bestBidOffer(std::string_view symbol) const {
  const OrderBook* target = book(symbol);
  if (target == nullptr) return std::nullopt;
  return BestBidOffer{target->bestBid(), target->bestAsk()};
}

std::optional<Trade> MatchingEngine::lastTrade(std::string_view symbol) const {
  const OrderBook* target = book(symbol);
  if (target == nullptr) return std::nullopt;
  return target->lastTrade();
}

const OrderBook* MatchingEngine::findBook(std::string_view symbol) const { return book(symbol); }

std::vector<std::string_view> MatchingEngine::symbols() const {
  std::vector<std::string_view> out;
  out.reserve(books_.size());
  for (const std::unique_ptr<OrderBook>& book : books_) out.push_back(book->symbol());
  return out;
}

}  // namespace triad::exchange
