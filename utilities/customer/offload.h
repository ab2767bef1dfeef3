// Runs blocking work (a replicated commit, an Argon2id check) on a thread
// pool and resolves a kj promise back on the event loop that asked, so the
// loop keeps serving other sessions meanwhile.
//
// Thread-safety: offload() is called on the event loop thread; `work` runs on
// a pool thread and must touch only thread-safe state (storage is).

#pragma once

#include <kj/async.h>
#include <kj/debug.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>

namespace triad::customer {

class Offload {
 public:
  explicit Offload(size_t threads) : pool_(threads) {}
  ~Offload() { pool_.join(); }

  template <typename T>
  kj::Promise<T> run(std::function<T()> work) {
    auto paf = kj::newPromiseAndCrossThreadFulfiller<T>();
    // asio copies handlers; kj::Own is move-only, so the fulfiller is shared.
    auto fulfiller =
        std::make_shared<kj::Own<kj::CrossThreadPromiseFulfiller<T>>>(kj::mv(paf.fulfiller));
    boost::asio::post(pool_, [work = std::move(work), fulfiller]() mutable {
      KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] { (*fulfiller)->fulfill(work()); })) {
        (*fulfiller)->reject(kj::mv(*exception));
      }
    });
    return kj::mv(paf.promise);
  }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace triad::customer
