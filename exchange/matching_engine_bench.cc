// Matching engine throughput and per-order latency on one thread (issue
// triad-exchanged, part 1; target >= 1,000,000 orders/s).
//
//   matching_engine_bench [--orders N] [--symbols S] [--seed X] [--runs R]
//
// The stream is generated before any timing, from a seeded PRNG, and is the
// same for every run. An operation is a cancel 55% of the time while more than
// 40,000 orders are uncancelled, 35% otherwise, so the books stay at a steady,
// realistic depth (about 45% cancels overall). A cancel targets an order not
// cancelled before, four times in five one of the 2,000 most recent, else any;
// some have filled by then, and those cancels are refused, as at a venue.
// A new order goes to a symbol picked uniformly and is
//   75% a passive limit order 1..40 ticks (1 cent) from a fixed mid, on the
//       side that does not cross, 80% DAY / 20% GTC;
//   20% a marketable limit order 0..3 ticks through the mid (half IOC);
//    5% a market order.
// Quantities are 1..10 round lots of 100, with odd lots 10% of the time.
//
// Throughput runs time the whole stream with two clock reads. A separate
// latency run reads steady_clock before and after every order (vDSO, about
// 20 ns on this machine, printed as "clock overhead" and included in each
// sample). Each run starts from a fresh engine.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "exchange/matching_engine.h"

namespace triad::exchange {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  size_t orders = 2'000'000;
  size_t symbols = 4;
  uint64_t seed = 42;
  int runs = 3;
};

// One pre-generated operation, kept small so the stream stays in few pages.
struct Operation {
  enum Kind : uint8_t { kSubmit, kCancel } kind;
  uint8_t symbol;
  Side side;
  OrderType type;
  TimeInForce timeInForce;
  int32_t quantity;
  int64_t priceMicros;
  uint32_t cancelTarget;  // index of the operation whose order is cancelled
};

constexpr int64_t kTickMicros = 10'000;
constexpr size_t kCancelWindow = 2'000;  // "recent" for cancels
// Orders submitted and not yet cancelled, all symbols together; some of them
// have filled, so fewer than this rest.
constexpr size_t kTargetOpenOrders = 40'000;

int64_t midMicros(size_t symbol) { return (50 + 10 * static_cast<int64_t>(symbol)) * 1'000'000; }

std::vector<Operation> generate(const Options& options) {
  std::mt19937_64 random(options.seed);
  auto uniform = [&random](uint64_t n) { return random() % n; };
  std::vector<Operation> ops;
  ops.reserve(options.orders);
  // Orders that could be resting and have not been cancelled yet (indices of
  // their operations). Whether one has filled is only known when it runs.
  std::vector<uint32_t> cancellable;
  for (size_t i = 0; i < options.orders; ++i) {
    Operation op{};
    // More cancels while the books are deeper than wanted, fewer while they
    // are shallower, so that the depth hovers around kTargetOpenOrders.
    const uint64_t cancelPercent = cancellable.size() > kTargetOpenOrders ? 55 : 35;
    if (uniform(100) < cancelPercent && !cancellable.empty()) {
      op.kind = Operation::kCancel;
      // Mostly a recent order, sometimes any: no order rests forever.
      const size_t window = std::min(cancellable.size(), kCancelWindow);
      const size_t pick =
          uniform(5) == 0 ? uniform(cancellable.size()) : cancellable.size() - 1 - uniform(window);
      op.cancelTarget = cancellable[pick];
      op.symbol = ops[op.cancelTarget].symbol;
      cancellable[pick] = cancellable.back();
      cancellable.pop_back();
      ops.push_back(op);
      continue;
    }
    op.kind = Operation::kSubmit;
    op.symbol = static_cast<uint8_t>(uniform(options.symbols));
    const uint64_t dice = uniform(100);
    op.side = uniform(2) ? Side::kBuy : Side::kSell;
    op.quantity = uniform(10) == 0 ? static_cast<int32_t>(1 + uniform(99))
                                   : static_cast<int32_t>(100 * (1 + uniform(10)));
    const int64_t mid = midMicros(op.symbol);
    const int64_t toward = op.side == Side::kBuy ? 1 : -1;  // direction that crosses
    if (dice < 75) {
      op.type = OrderType::kLimit;
      op.timeInForce = uniform(5) == 0 ? TimeInForce::kGoodTillCancel : TimeInForce::kDay;
      op.priceMicros = mid - toward * static_cast<int64_t>(1 + uniform(40)) * kTickMicros;
      cancellable.push_back(static_cast<uint32_t>(i));
    } else if (dice < 95) {
      op.type = OrderType::kLimit;
      op.timeInForce = uniform(2) ? TimeInForce::kImmediateOrCancel : TimeInForce::kDay;
      op.priceMicros = mid + toward * static_cast<int64_t>(uniform(4)) * kTickMicros;
      if (op.timeInForce == TimeInForce::kDay) cancellable.push_back(static_cast<uint32_t>(i));
    } else {
      op.type = OrderType::kMarket;
      op.timeInForce = TimeInForce::kDay;
    }
    ops.push_back(op);
  }
  return ops;
}

struct RunStats {
  double seconds = 0;
  size_t events = 0;
  size_t fills = 0;
  size_t refusedCancels = 0;
  size_t restingAtEnd = 0;
};

// Runs the stream on a fresh engine. When latencies is not null, times each
// operation into it (nanoseconds).
RunStats run(const Options& options, const std::vector<Operation>& ops,
             std::vector<int64_t>* latencies) {
  MatchingEngine engine;
  std::vector<std::string> symbols;
  for (size_t s = 0; s < options.symbols; ++s) {
    symbols.push_back("SYM" + std::to_string(s));
    if (engine.addSymbol(symbols.back()) != Reason::kNone) std::abort();
  }
  std::vector<OrderId> ids(ops.size(), kNoOrderId);
  std::vector<BookEvent> events;
  events.reserve(1024);
  RunStats stats;

  auto execute = [&](size_t i) {
    const Operation& op = ops[i];
    events.clear();
    if (op.kind == Operation::kSubmit) {
      const OrderRequest request{.side = op.side,
                                 .type = op.type,
                                 .timeInForce = op.timeInForce,
                                 .priceMicros = op.priceMicros,
                                 .quantity = op.quantity,
                                 .clientOrderId = i};
      ids[i] = engine.submit(symbols[op.symbol], request, events);
    } else {
      engine.cancel(ids[op.cancelTarget], events);
    }
    stats.events += events.size();
  };
  auto tally = [&] {
    for (const BookEvent& event : events) {
      stats.fills += event.type == EventType::kFill;
      stats.refusedCancels += event.type == EventType::kCancelRejected;
    }
  };

  const Clock::time_point start = Clock::now();
  if (latencies == nullptr) {
    for (size_t i = 0; i < ops.size(); ++i) {
      execute(i);
      tally();
    }
  } else {
    for (size_t i = 0; i < ops.size(); ++i) {
      const Clock::time_point before = Clock::now();
      execute(i);
      const Clock::time_point after = Clock::now();
      (*latencies)[i] =
          std::chrono::duration_cast<std::chrono::nanoseconds>(after - before).count();
      tally();
    }
  }
  stats.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (const std::string& symbol : symbols) {
    stats.restingAtEnd += engine.findBook(symbol)->openOrderCount();
  }
  return stats;
}

int64_t percentile(std::vector<int64_t>& sorted, double p) {
  size_t index = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

int64_t clockOverheadNanos() {
  std::vector<int64_t> samples(100'000);
  for (int64_t& sample : samples) {
    const Clock::time_point a = Clock::now();
    const Clock::time_point b = Clock::now();
    sample = std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
  }
  std::sort(samples.begin(), samples.end());
  return percentile(samples, 50);
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (std::strcmp(argv[i], "--orders") == 0) {
      options.orders = std::strtoull(value(), nullptr, 10);
    } else if (std::strcmp(argv[i], "--symbols") == 0) {
      options.symbols = std::strtoull(value(), nullptr, 10);
    } else if (std::strcmp(argv[i], "--seed") == 0) {
      options.seed = std::strtoull(value(), nullptr, 10);
    } else if (std::strcmp(argv[i], "--runs") == 0) {
      options.runs = std::atoi(value());
    } else {
      std::fprintf(stderr,
                   "usage: matching_engine_bench [--orders N] [--symbols S (1-255)] [--seed X] "
                   "[--runs R]\n");
      std::exit(2);
    }
  }
  if (options.orders == 0 || options.symbols == 0 || options.symbols > 255 || options.runs < 1) {
    std::fprintf(stderr, "orders, symbols (1-255) and runs must be positive\n");
    std::exit(2);
  }
  return options;
}

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const std::vector<Operation> ops = generate(options);
  std::printf("stream: %zu operations over %zu symbols, seed %llu\n", ops.size(), options.symbols,
              static_cast<unsigned long long>(options.seed));

  std::vector<double> rates;
  for (int r = 0; r < options.runs; ++r) {
    RunStats stats = run(options, ops, nullptr);
    const double rate = static_cast<double>(ops.size()) / stats.seconds;
    rates.push_back(rate);
    std::printf(
        "throughput run %d: %.3f s, %.0f orders/s (%.1f ns/order); %zu events, %zu fills, "
        "%zu cancels refused, %zu orders resting at the end\n",
        r + 1, stats.seconds, rate, 1e9 / rate, stats.events, stats.fills, stats.refusedCancels,
        stats.restingAtEnd);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("throughput: median %.0f orders/s over %d runs\n", rates[rates.size() / 2],
              options.runs);

  std::vector<int64_t> latencies(ops.size());
  RunStats stats = run(options, ops, &latencies);
  std::sort(latencies.begin(), latencies.end());
  std::printf(
      "latency per order (steady_clock around each call, clock overhead %lld ns included): "
      "median %lld ns, p99 %lld ns, p99.9 %lld ns, max %lld ns (%.0f orders/s with timing)\n",
      static_cast<long long>(clockOverheadNanos()),
      static_cast<long long>(percentile(latencies, 50)),
      static_cast<long long>(percentile(latencies, 99)),
      static_cast<long long>(percentile(latencies, 99.9)), static_cast<long long>(latencies.back()),
      static_cast<double>(ops.size()) / stats.seconds);
  return 0;
}

}  // namespace
}  // namespace triad::exchange

int main(int argc, char** argv) { return triad::exchange::main(argc, argv); }
