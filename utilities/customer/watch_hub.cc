#include "utilities/customer/watch_hub.h"

#include <tuple>
#include <utility>

#include "utilities/customer/session_servers.h"

namespace triad::customer {

// What a watcher last heard of one order: a status is pushed again only when
// this changes.
using Heard = std::tuple<idl::OrderState, int64_t, int64_t, int64_t, std::string>;

struct WatchHub::Watcher {
  Watcher(std::string account, idl::OrderListener::Client listener)
      : account(std::move(account)), listener(kj::mv(listener)) {}

  const std::string account;
  idl::OrderListener::Client listener;
  bool ended = false;                  // released, or its listener failed
  bool inFlight = false;               // a call to the listener has not returned yet
  std::map<std::string, Heard> heard;  // by order id
  // Waiting to be sent, conflated: the latest per order id, and per
  // "venue.symbol".
  std::map<std::string, kj::Own<capnp::MallocMessageBuilder>> orders;
  std::map<std::string, kj::Own<capnp::MallocMessageBuilder>> quotes;
};

class WatchHub::SubscriptionServer final : public idl::Subscription::Server {
 public:
  explicit SubscriptionServer(std::shared_ptr<Watcher> watcher) : watcher_(std::move(watcher)) {}
  ~SubscriptionServer() noexcept { watcher_->ended = true; }

 private:
  std::shared_ptr<Watcher> watcher_;
};

WatchHub::WatchHub(CustomerService& service, kj::Timer& timer)
    : service_(service), timer_(timer), tasks_(*this) {}

WatchHub::~WatchHub() noexcept = default;

idl::Subscription::Client WatchHub::watch(std::string account,
                                          idl::OrderListener::Client listener) {
  auto watcher = std::make_shared<Watcher>(std::move(account), kj::mv(listener));
  watchers_.push_back(watcher);
  poked_ = true;  // its first refresh tells it every order
  return kj::heap<SubscriptionServer>(kj::mv(watcher));
}

void WatchHub::marketData(idl::MarketData::Reader data) {
  const std::string key = std::string(data.getVenue().cStr()) + "." + data.getSymbol().cStr();
  for (const std::shared_ptr<Watcher>& watcher : watchers_) {
    if (watcher->ended) continue;
    auto message = kj::heap<capnp::MallocMessageBuilder>();
    message->setRoot(data);
    watcher->quotes[key] = kj::mv(message);
    send(watcher);
  }
}

kj::Promise<void> WatchHub::run() {
  return timer_.afterDelay(kTick).then([this] { return tick(); });
}

kj::Promise<void> WatchHub::tick() {
  std::erase_if(watchers_, [](const std::shared_ptr<Watcher>& watcher) { return watcher->ended; });
  if (!watchers_.empty() && !refreshing_) {
    std::vector<uint64_t> now = positions();
    if (poked_ || now != lastPositions_) {
      poked_ = false;
      lastPositions_ = std::move(now);
      refreshing_ = true;
      tasks_.add(refresh().then([this] { refreshing_ = false; }));
    }
  }
  return run();
}

std::vector<uint64_t> WatchHub::positions() const {
  std::vector<uint64_t> out;
  for (const std::unique_ptr<bdb::OwnershipGroup>& group : service_.storage().groups()) {
    out.push_back(group->commitPosition().sequence);
  }
  return out;
}

kj::Promise<void> WatchHub::refresh() {
  using Views = std::map<std::string, Outcome<std::vector<OrderView>>>;
  auto accounts = std::make_shared<std::vector<std::string>>();
  for (const std::shared_ptr<Watcher>& watcher : watchers_) {
    if (std::find(accounts->begin(), accounts->end(), watcher->account) == accounts->end()) {
      accounts->push_back(watcher->account);
    }
  }
  return service_.offload()
      .run<std::shared_ptr<Views>>([this, accounts] {
        auto views = std::make_shared<Views>();
        for (const std::string& account : *accounts) {
          views->emplace(account, service_.desk().list(account, false));
        }
        return views;
      })
      .then([this](std::shared_ptr<Views> views) {
        for (const std::shared_ptr<Watcher>& watcher : watchers_) {
          auto found = views->find(watcher->account);
          if (watcher->ended || found == views->end()) continue;
          const auto* orders = std::get_if<std::vector<OrderView>>(&found->second);
          if (orders == nullptr) continue;  // storage trouble: the next tick tries again
          for (const OrderView& view : *orders) {
            const std::string id = view.order->getId();
            Heard now{view.status.state, view.status.filledQuantity, view.status.averagePriceMicros,
                      view.status.leavesQuantity, view.status.reason};
            auto [heard, added] = watcher->heard.try_emplace(id, now);
            if (!added && heard->second == now) continue;
            heard->second = std::move(now);
            auto message = kj::heap<capnp::MallocMessageBuilder>();
            fillStatus(view, message->initRoot<idl::OrderStatus>());
            watcher->orders[id] = kj::mv(message);
          }
          send(watcher);
        }
      });
}

void WatchHub::send(const std::shared_ptr<Watcher>& watcher) {
  if (watcher->ended || watcher->inFlight) return;
  kj::Promise<void> sent = nullptr;
  if (!watcher->orders.empty()) {
    auto next = watcher->orders.begin();
    auto request = watcher->listener.updateRequest();
    request.setStatus(next->second->getRoot<idl::OrderStatus>().asReader());
    watcher->orders.erase(next);
    sent = request.send().ignoreResult();
  } else if (!watcher->quotes.empty()) {
    auto next = watcher->quotes.begin();
    idl::MarketData::Reader data = next->second->getRoot<idl::MarketData>().asReader();
    auto request = watcher->listener.marketDataRequest();
    request.setVenue(data.getVenue());
    request.setSymbol(data.getSymbol());
    request.setBidPriceMicros(data.getBidPriceMicros());
    request.setAskPriceMicros(data.getAskPriceMicros());
    request.setLastPriceMicros(data.getLastPriceMicros());
    watcher->quotes.erase(next);
    sent = request.send().ignoreResult();
  } else {
    return;
  }
  watcher->inFlight = true;
  tasks_.add(sent.then(
      [this, watcher] {
        watcher->inFlight = false;
        send(watcher);
      },
      [watcher](kj::Exception&&) {
        watcher->ended = true;  // the client went away: stop talking to it
      }));
}

void WatchHub::taskFailed(kj::Exception&& exception) {
  service_.logger().error("watch-failed", {{"reason", exception.getDescription().cStr()}});
}

}  // namespace triad::customer
