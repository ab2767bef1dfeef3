// The exchange's books, one per listed symbol, and what market data needs
// from them (best bid and offer, last trade).
//
// Contract:
// - An order for a symbol that is not listed is rejected (kUnknownSymbol),
//   unless the engine was built with createBooksOnDemand, in which case a
//   well-formed symbol (1 to 16 of A-Z 0-9 . - /) is listed on first use.
// - Order ids are unique across the engine and name their book: the top bits
//   are the book's index and the low kSequenceBits its sequence. So a cancel
//   needs no symbol, and "never issued" is told apart from "no longer open".
//   A book can issue 2^40 ids: twelve days of a million orders a second into
//   one symbol, with nothing yet checking for the end (a later issue).
// - Events are appended to the caller's vector exactly as OrderBook documents.
//
// Thread-safety: none. The engine and its books belong to one thread (the
// acceptor hands every FIX message to it), which is what keeps matching
// free of locks.

#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "exchange/book_event.h"
#include "exchange/order.h"
#include "exchange/order_book.h"

namespace triad::exchange {

struct MatchingEngineOptions {
  // List any well-formed symbol the first time an order names it. Off in a
  // venue that should refuse symbols it was not configured with.
  bool createBooksOnDemand = false;
};

struct BestBidOffer {
  std::optional<PriceLevel> bid;  // absent when that side is empty
  std::optional<PriceLevel> ask;
};

class MatchingEngine {
 public:
  static constexpr int kSequenceBits = 40;
  static constexpr size_t kMaxBooks = size_t{1} << (64 - kSequenceBits);

  explicit MatchingEngine(MatchingEngineOptions options = {});

  MatchingEngine(const MatchingEngine&) = delete;
  MatchingEngine& operator=(const MatchingEngine&) = delete;

  // Lists a symbol. Returns kNone when it is listed (now or before), else
  // kInvalidSymbol or kTooManySymbols.
  [[nodiscard]] Reason addSymbol(std::string_view symbol);
  static bool isValidSymbol(std::string_view symbol);

  // Returns the new order's id, or kNoOrderId when it was rejected.
  OrderId submit(std::string_view symbol, const OrderRequest& request,
                 std::vector<BookEvent>& events);
  // Returns whether the order was cancelled (else kCancelRejected explains).
  bool cancel(OrderId id, std::vector<BookEvent>& events);
  // Expires every book's DAY orders, books in listing order.
  void expireDay(std::vector<BookEvent>& events);

  // nullopt when the symbol is not listed.
  std::optional<BestBidOffer> bestBidOffer(std::string_view symbol) const;
  // nullopt when the symbol is not listed or has not traded.
  std::optional<Trade> lastTrade(std::string_view symbol) const;

  // nullptr when the symbol is not listed. Valid as long as the engine.
  const OrderBook* findBook(std::string_view symbol) const;
  // The book that issued an id, or nullptr if no book could have.
  const OrderBook* bookOf(OrderId id) const;
  // Listed symbols, in listing order.
  std::vector<std::string_view> symbols() const;

 private:
  // Heterogeneous lookup: find a std::string key from a string_view without
  // building a string for every order.
  struct SymbolHash {
    using is_transparent = void;
    size_t operator()(std::string_view symbol) const {
      return std::hash<std::string_view>{}(symbol);
    }
  };

  OrderBook* book(std::string_view symbol) const;

  const MatchingEngineOptions options_;
  std::vector<std::unique_ptr<OrderBook>> books_;  // index = id >> kSequenceBits
  std::unordered_map<std::string, OrderBook*, SymbolHash, std::equal_to<>> bySymbol_;
};

}  // namespace triad::exchange
