#include "tools/triad-loadgen/load_driver.h"

#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <thread>

#include "utilities/common/call_refusal.h"

namespace triad::loadgen {
namespace {

constexpr int64_t kDollarMicros = 1'000'000;
// What --setup deposits into each account: far more than a run can spend.
constexpr int64_t kDepositMicros = 1'000'000'000 * kDollarMicros;
// Marketable orders cross the reference by this much (the liquidity provider
// quotes in 1-cent levels around it); resting ones for cancels sit this far below.
constexpr int64_t kCrossMicros = 1 * kDollarMicros;
constexpr int64_t kRestMicros = 5 * kDollarMicros;
constexpr auto kRpcPatience = 30 * kj::SECONDS;
// How long a probe order may take to show its fill and its booking: under
// overload the firm's booking can lag by far more than a second.
constexpr auto kProbePatience = std::chrono::seconds(120);

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

// One TCP connection to a Gateway or an Admin, with its RPC client.
struct LoadDriver::Link {
  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<capnp::TwoPartyClient> client;
};

struct LoadDriver::SessionState {
  size_t account = 0;
  std::unique_ptr<Link> link;
  kj::Maybe<idl::Session::Client> session;
  std::string lastOrderId;

  idl::Session::Client& client() { return KJ_ASSERT_NONNULL(session); }
};

class LoadDriver::TaskErrors final : public kj::TaskSet::ErrorHandler {
 public:
  explicit TaskErrors(LoadDriver& driver) : driver_(driver) {}
  void taskFailed(kj::Exception&& exception) override {
    driver_.countError("internal: " + std::string(exception.getDescription().cStr()));
  }

 private:
  LoadDriver& driver_;
};

LoadDriver::LoadDriver(kj::AsyncIoContext& io, const topology::Topology& topology,
                       LoadOptions options)
    : io_(io),
      gatewayDialer_(common::GatewayDialer::fromFiles(options.tls)),
      adminDialer_(common::GatewayDialer::fromFiles(options.adminTls)),
      topology_(topology),
      options_(std::move(options)),
      taskErrors_(kj::heap<TaskErrors>(*this)),
      tasks_(kj::heap<kj::TaskSet>(*taskErrors_)) {
  for (const std::string& id : options_.utilities) {
    const topology::Utility* site = topology_.findUtility(id);
    if (site == nullptr || !site->customerAddress) {
      throw std::runtime_error("no customer utility '" + id + "' in the topology");
    }
    utilities_.push_back(site);
  }
  if (utilities_.empty()) throw std::runtime_error("give at least one customer utility");
  for (const AccountLogin& login : options_.accounts) accounts_.push_back({login, 0});
}

LoadDriver::~LoadDriver() noexcept {}

std::unique_ptr<LoadDriver::Link> LoadDriver::connectGateway(size_t utility) {
  const topology::Utility& site = *utilities_.at(utility);
  auto link = std::make_unique<Link>();
  link->stream = io_.provider->getTimer()
                     .timeoutAfter(kRpcPatience,
                                   gatewayDialer_.connect(io_.provider->getNetwork(),
                                                          *site.customerAddress, site.gatewayPort))
                     .wait(io_.waitScope);
  link->client = kj::heap<capnp::TwoPartyClient>(*link->stream);
  return link;
}

std::unique_ptr<LoadDriver::Link> LoadDriver::connectFirmAdmin() {
  const topology::Utility* firm = nullptr;
  for (const topology::Utility& site : topology_.utilities()) {
    if (site.role == topology::Role::kFirm) firm = &site;
  }
  if (firm == nullptr) throw std::runtime_error("the topology has no firm utility");
  auto link = std::make_unique<Link>();
  // The firm's Admin certificate names its id.
  if (adminDialer_.serverName.empty()) adminDialer_.serverName = firm->id;
  link->stream =
      io_.provider->getTimer()
          .timeoutAfter(kRpcPatience, adminDialer_.connect(io_.provider->getNetwork(),
                                                           firm->firmAddress, firm->adminPort))
          .wait(io_.waitScope);
  link->client = kj::heap<capnp::TwoPartyClient>(*link->stream);
  return link;
}

idl::Session::Client LoadDriver::loginWithRetry(Link& link, const AccountLogin& login,
                                                std::chrono::seconds patience) {
  auto gateway = link.client->bootstrap().castAs<idl::Gateway>();
  const auto deadline = Clock::now() + patience;
  std::string lastReason;
  while (Clock::now() < deadline) {
    auto request = gateway.loginRequest();
    request.setAccount(login.id);
    request.setSecret(login.secret);
    auto answer =
        io_.provider->getTimer().timeoutAfter(kRpcPatience, request.send()).wait(io_.waitScope);
    if (answer.getResult().isSession()) return answer.getResult().getSession();
    lastReason = answer.getResult().getError().getReason();
    // A new account reaches a utility when the firm group replicates to it.
    io_.provider->getTimer().afterDelay(200 * kj::MILLISECONDS).wait(io_.waitScope);
  }
  throw std::runtime_error("cannot log in as " + login.id + ": " + lastReason);
}

int64_t LoadDriver::positionOf(idl::Session::Client& session) {
  auto held = session.positionsRequest().send().wait(io_.waitScope);
  for (idl::PositionView::Reader position : held.getPositions()) {
    if (position.getSymbol() == options_.symbol) return position.getQuantity();
  }
  return 0;
}

void LoadDriver::buyInventory(idl::Session::Client& session, int64_t shares) {
  // IOC chunks no larger than a level of the provider's book, so that a
  // remainder never rests (a resting bid would stop the provider replacing
  // its asks); repeated until filled.
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  int64_t filled = 0;
  while (filled < shares && Clock::now() < deadline) {
    auto place = session.placeOrderRequest();
    auto request = place.initRequest();
    request.setClientOrderId(clientOrderIds_.next("inv"));
    request.setSymbol(options_.symbol);
    request.setSide(idl::Side::BUY);
    request.setType(idl::OrderType::LIMIT);
    request.setTimeInForce(idl::TimeInForce::IOC);
    request.setQuantity(std::min<int64_t>(500, shares - filled));
    request.setLimitPriceMicros(options_.referencePriceMicros + kCrossMicros);
    auto placed = place.send().wait(io_.waitScope);
    if (placed.getResult().isError()) {
      throw std::runtime_error("inventory buy refused: " +
                               std::string(placed.getResult().getError().getReason().cStr()));
    }
    const std::string id = placed.getResult().getStatus().getOrder().getId();
    for (;;) {
      auto ask = session.orderStatusRequest();
      ask.setOrderId(id);
      auto seen = ask.send().wait(io_.waitScope);
      if (seen.getResult().isStatus()) {
        auto state = seen.getResult().getStatus().getState();
        if (state == idl::OrderState::FILLED || state == idl::OrderState::EXPIRED ||
            state == idl::OrderState::CANCELLED || state == idl::OrderState::REJECTED) {
          filled += seen.getResult().getStatus().getFilledQuantity();
          break;
        }
      }
      if (Clock::now() > deadline) throw std::runtime_error("an inventory buy did not finish");
      io_.provider->getTimer().afterDelay(20 * kj::MILLISECONDS).wait(io_.waitScope);
    }
  }
}

void LoadDriver::setUp() {
  auto firmLink = connectFirmAdmin();
  auto admin = firmLink->client->bootstrap().castAs<idl::Admin>();
  auto check = [](idl::AdminResult::Reader result, const std::string& what, bool duplicateOk) {
    if (result.isOk()) return;
    if (duplicateOk && result.getError().getCode() == idl::ErrorCode::DUPLICATE) return;
    throw std::runtime_error(what + ": " + std::string(result.getError().getReason().cStr()));
  };

  std::vector<AccountLogin> made;
  for (unsigned i = 0; i < options_.accountCount; ++i) {
    const std::string id = options_.accountPrefix + "-" + std::to_string(i);
    made.push_back({id, id + "-loadgen-secret"});
  }
  const std::string probeId = options_.accountPrefix + "-probe";
  AccountLogin probe{probeId, probeId + "-loadgen-secret"};
  std::vector<AccountLogin> everyone = made;
  everyone.push_back(probe);

  // Accounts concurrently: each creation pays for an Argon2id hash.
  kj::Vector<kj::Promise<void>> creating;
  for (const AccountLogin& login : everyone) {
    auto create = admin.createAccountRequest();
    auto request = create.initRequest();
    request.setId(login.id);
    request.setName("triad-loadgen " + login.id);
    request.setSecret(login.secret);
    request.setCurrency("USD");
    creating.add(create.send().then([check, id = login.id](auto answer) {
      check(answer.getResult(), "createAccount " + id, true);
    }));
  }
  io_.provider->getTimer()
      .timeoutAfter(120 * kj::SECONDS, kj::joinPromises(creating.releaseAsArray()))
      .wait(io_.waitScope);
  for (const AccountLogin& login : everyone) {
    auto deposit = admin.depositRequest();
    deposit.setAccount(login.id);
    deposit.setCurrency("USD");
    deposit.setAmountMicros(kDepositMicros);
    deposit.setReference(login.id + "-loadgen-deposit");  // a rerun posts nothing more
    check(deposit.send().wait(io_.waitScope).getResult(), "deposit " + login.id, true);
  }
  auto route = admin.setRouteRequest();
  auto r = route.initRoute();
  r.setSymbol("*");
  r.setStreet(options_.street);
  r.setVenue(options_.venue);
  r.setCurrency("USD");
  r.setLastPriceMicros(options_.referencePriceMicros);
  check(route.send().wait(io_.waitScope).getResult(), "setRoute", false);

  options_.accounts = made;
  options_.probe = probe;
  accounts_.clear();
  for (const AccountLogin& login : made) accounts_.push_back({login, 0});

  // Inventory, so that sells are covered by positions, bought at the first utility.
  auto link = connectGateway(0);
  for (const AccountLogin& login : made) {
    idl::Session::Client session = loginWithRetry(*link, login, std::chrono::seconds(60));
    const int64_t held = positionOf(session);
    if (held < options_.inventory) buyInventory(session, options_.inventory - held);
  }
}

bool LoadDriver::stopping() {
  if (options_.orders > 0) return issued_ >= options_.orders;
  return Clock::now() >= deadline_;
}

kj::Promise<void> LoadDriver::workerLoop(size_t worker) {
  if (stopping()) return kj::READY_NOW;
  SessionState& session = *sessions_[worker % sessions_.size()];
  return operate(session, Clock::now()).then([this, worker] { return workerLoop(worker); });
}

kj::Promise<void> LoadDriver::paceLoop() {
  const auto now = Clock::now();
  const double due = seconds(now - start_) * options_.rate;
  while (static_cast<double>(issued_) < due && !stopping()) {
    const auto intended =
        start_ + std::chrono::duration_cast<Clock::duration>(
                     std::chrono::duration<double>(static_cast<double>(issued_) / options_.rate));
    if (inFlight_ >= options_.maxInFlight) {
      ++issued_;
      countError("backlog (over --max-in-flight)");
      continue;
    }
    SessionState& session = *sessions_[issued_ % sessions_.size()];
    tasks_->add(operate(session, intended));
  }
  if (stopping()) return kj::READY_NOW;
  return io_.provider->getTimer().afterDelay(1 * kj::MILLISECONDS).then([this] {
    return paceLoop();
  });
}

kj::Promise<void> LoadDriver::operate(SessionState& session, Clock::time_point intended) {
  ++issued_;
  ++inFlight_;
  const Mix& mix = options_.mix;
  const unsigned pick = static_cast<unsigned>(random_() % mix.total());
  kj::Promise<void> done = nullptr;
  if (pick < mix.buy) {
    done = place(session, idl::Side::BUY, intended);
  } else if (pick < mix.buy + mix.sell) {
    AccountState& account = accounts_[session.account];
    if (account.sellBudget >= options_.quantity) {
      account.sellBudget -= options_.quantity;
      done = place(session, idl::Side::SELL, intended);
    } else {
      done = place(session, idl::Side::BUY, intended);  // nothing left to sell
    }
  } else if (pick < mix.buy + mix.sell + mix.cancel) {
    done = cancelResting(session, intended);
  } else if (!session.lastOrderId.empty()) {
    done = status(session, intended);
  } else {
    done = place(session, idl::Side::BUY, intended);
  }
  ++result_.operations;
  return done.then([this] { --inFlight_; },
                   [this](kj::Exception&& e) {
                     --inFlight_;
                     countError("rpc failed: " + std::string(e.getDescription().cStr()));
                   });
}

kj::Promise<void> LoadDriver::place(SessionState& session, idl::Side side,
                                    Clock::time_point intended) {
  auto place = session.client().placeOrderRequest();
  auto request = place.initRequest();
  request.setClientOrderId(clientOrderIds_.next("lg"));
  request.setSymbol(options_.symbol);
  request.setSide(side);
  request.setType(idl::OrderType::LIMIT);
  request.setTimeInForce(idl::TimeInForce::DAY);
  request.setQuantity(options_.quantity);
  request.setLimitPriceMicros(side == idl::Side::BUY
                                  ? options_.referencePriceMicros + kCrossMicros
                                  : options_.referencePriceMicros - kCrossMicros);
  return place.send().then([this, &session, intended](auto answer) {
    result_.place.add(Clock::now() - intended);
    if (answer.getResult().isError()) return countError(answer.getResult().getError());
    ++result_.placed;
    ++result_.fillable;
    session.lastOrderId = answer.getResult().getStatus().getOrder().getId();
  });
}

kj::Promise<void> LoadDriver::cancelResting(SessionState& session, Clock::time_point intended) {
  auto place = session.client().placeOrderRequest();
  auto request = place.initRequest();
  request.setClientOrderId(clientOrderIds_.next("lg"));
  request.setSymbol(options_.symbol);
  request.setSide(idl::Side::BUY);
  request.setType(idl::OrderType::LIMIT);
  request.setTimeInForce(idl::TimeInForce::DAY);
  request.setQuantity(options_.quantity);
  request.setLimitPriceMicros(options_.referencePriceMicros - kRestMicros);
  return place.send().then([this, &session, intended](auto answer) -> kj::Promise<void> {
    result_.place.add(Clock::now() - intended);
    if (answer.getResult().isError()) {
      countError(answer.getResult().getError());
      return kj::READY_NOW;
    }
    ++result_.placed;
    auto cancel = session.client().cancelOrderRequest();
    cancel.setOrderId(answer.getResult().getStatus().getOrder().getId());
    const auto sent = Clock::now();
    return cancel.send().then([this, sent](auto cancelled) {
      result_.cancel.add(Clock::now() - sent);
      if (cancelled.getResult().isError()) return countError(cancelled.getResult().getError());
      ++result_.cancelled;
    });
  });
}

kj::Promise<void> LoadDriver::status(SessionState& session, Clock::time_point intended) {
  auto ask = session.client().orderStatusRequest();
  ask.setOrderId(session.lastOrderId);
  return ask.send().then([this, intended](auto answer) {
    result_.status.add(Clock::now() - intended);
    if (answer.getResult().isError()) return countError(answer.getResult().getError());
    ++result_.statuses;
  });
}

void LoadDriver::countError(idl::Error::Reader error) {
  const std::string code(common::errorCodeName(error.getCode()));
  countError(code);
  firstReasons_.emplace(code, error.getReason().cStr());  // kept once per code
}

kj::Promise<void> LoadDriver::progressLoop() {
  return io_.provider->getTimer().afterDelay(1 * kj::SECONDS).then([this]() -> kj::Promise<void> {
    if (finished_) return kj::READY_NOW;
    const double elapsed = seconds(Clock::now() - start_);
    uint64_t errors = 0;
    for (const auto& [reason, count] : result_.errors) errors += count;
    std::fprintf(stderr,
                 "%s[%5.1fs] placed %llu (%.0f/s), in flight %llu, place p50 %.3f ms p99 %.3f ms, "
                 "fill samples %zu, errors %llu%s",
                 isatty(2) ? "\r" : "", elapsed, static_cast<unsigned long long>(result_.placed),
                 static_cast<double>(result_.placed) / elapsed,
                 static_cast<unsigned long long>(inFlight_), result_.place.percentileMs(50),
                 result_.place.percentileMs(99), result_.fillVisible.count(),
                 static_cast<unsigned long long>(errors), isatty(2) ? "   " : "\n");
    return progressLoop();
  });
}

kj::Promise<void> LoadDriver::probeLoop() {
  if (stopping()) return kj::READY_NOW;
  const auto next =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double, std::milli>(options_.probeIntervalMs));
  return probeOnce().then([this, next]() -> kj::Promise<void> {
    const auto wait = next - Clock::now();
    const auto waitNs = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    if (waitNs <= 0) return probeLoop();
    return io_.provider->getTimer().afterDelay(waitNs * kj::NANOSECONDS).then([this] {
      return probeLoop();
    });
  });
}

kj::Promise<void> LoadDriver::probeOnce() {
  auto place = KJ_ASSERT_NONNULL(probeAt_).placeOrderRequest();
  auto request = place.initRequest();
  request.setClientOrderId(clientOrderIds_.next("probe"));
  request.setSymbol(options_.symbol);
  request.setSide(idl::Side::BUY);
  request.setType(idl::OrderType::LIMIT);
  request.setTimeInForce(idl::TimeInForce::DAY);
  request.setQuantity(options_.quantity);
  request.setLimitPriceMicros(options_.referencePriceMicros + kCrossMicros);
  const auto sent = Clock::now();
  return place.send().then([this, sent](auto answer) -> kj::Promise<void> {
    result_.place.add(Clock::now() - sent);
    if (answer.getResult().isError()) {
      countError(answer.getResult().getError());
      return kj::READY_NOW;
    }
    ++result_.placed;
    ++result_.fillable;
    const std::string id = answer.getResult().getStatus().getOrder().getId();
    const auto deadline = sent + kProbePatience;
    const int64_t expected = probeHeld_ + options_.quantity;
    return pollFilled(id, sent, deadline).then([this, expected, sent, deadline] {
      return pollBooked(expected, sent, deadline);
    });
  });
}

kj::Promise<void> LoadDriver::pollFilled(std::string orderId, Clock::time_point sent,
                                         Clock::time_point deadline) {
  auto ask = KJ_ASSERT_NONNULL(probeSeen_).orderStatusRequest();
  ask.setOrderId(orderId);
  return ask.send().then([this, orderId, sent, deadline](auto answer) mutable -> kj::Promise<void> {
    if (answer.getResult().isStatus()) {
      const auto state = answer.getResult().getStatus().getState();
      if (state == idl::OrderState::FILLED) {
        result_.fillVisible.add(Clock::now() - sent);
        return kj::READY_NOW;
      }
      if (state == idl::OrderState::CANCELLED || state == idl::OrderState::REJECTED ||
          state == idl::OrderState::EXPIRED) {
        return KJ_EXCEPTION(FAILED, "a probe order ended unfilled");
      }
    }  // notFound: not replicated to this utility yet
    if (Clock::now() > deadline) {
      return KJ_EXCEPTION(FAILED, "a probe order's fill was not visible within 120 s");
    }
    return io_.provider->getTimer()
        .afterDelay(1 * kj::MILLISECONDS)
        .then([this, orderId = kj::mv(orderId), sent, deadline]() mutable {
          return pollFilled(kj::mv(orderId), sent, deadline);
        });
  });
}

kj::Promise<void> LoadDriver::pollBooked(int64_t expected, Clock::time_point sent,
                                         Clock::time_point deadline) {
  return KJ_ASSERT_NONNULL(probeSeen_)
      .positionsRequest()
      .send()
      .then([this, expected, sent, deadline](auto held) -> kj::Promise<void> {
        for (idl::PositionView::Reader position : held.getPositions()) {
          if (position.getSymbol() == options_.symbol && position.getQuantity() >= expected) {
            result_.booked.add(Clock::now() - sent);
            probeHeld_ = expected;
            return kj::READY_NOW;
          }
        }
        if (Clock::now() > deadline) {
          return KJ_EXCEPTION(FAILED, "a probe fill was not booked within 120 s");
        }
        return io_.provider->getTimer()
            .afterDelay(1 * kj::MILLISECONDS)
            .then(
                [this, expected, sent, deadline] { return pollBooked(expected, sent, deadline); });
      });
}

std::optional<LoadDriver::Verified> LoadDriver::verifyOnce(idl::Admin::Client& admin) {
  std::optional<Verified> out;
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] {
                 auto answer = io_.provider->getTimer()
                                   .timeoutAfter(kRpcPatience, admin.verifyRequest().send())
                                   .wait(io_.waitScope);
                 auto report = answer.getReport();
                 Verified verified{report.getExecutionsBooked(), report.getClean(), {}};
                 for (auto finding : report.getFindings()) verified.findings.push_back(finding);
                 out = std::move(verified);
               })) {
    lastVerifyError_ = exception->getDescription().cStr();
  }
  return out;
}

LoadResult LoadDriver::run() {
  const bool open = options_.rate > 0;
  const unsigned workers = open ? 0 : std::max(1u, options_.concurrency);
  unsigned sessionCount = options_.sessions;
  if (sessionCount == 0) sessionCount = open ? 16 : workers;
  if (accounts_.empty()) throw std::runtime_error("no accounts: give --accounts or --setup");

  // Log in: session i is account i mod A at utility i mod U, each on its own
  // connection, one login at a time: the customer utility counts a login in
  // flight as a failure of the peer until it succeeds (login_guard.h), so
  // more than --login-failures at once from this one address are refused.
  for (unsigned i = 0; i < sessionCount; ++i) {
    auto state = std::make_unique<SessionState>();
    state->account = i % accounts_.size();
    state->link = connectGateway(i % utilities_.size());
    auto gateway = state->link->client->bootstrap().castAs<idl::Gateway>();
    auto request = gateway.loginRequest();
    request.setAccount(accounts_[state->account].login.id);
    request.setSecret(accounts_[state->account].login.secret);
    auto answer =
        io_.provider->getTimer().timeoutAfter(kRpcPatience, request.send()).wait(io_.waitScope);
    if (answer.getResult().isError()) {
      throw std::runtime_error("cannot log in as " + accounts_[state->account].login.id + ": " +
                               std::string(answer.getResult().getError().getReason().cStr()));
    }
    state->session = answer.getResult().getSession();
    sessions_.push_back(std::move(state));
  }
  // Each account's sell budget: what it holds now.
  std::vector<bool> known(accounts_.size(), false);
  for (auto& session : sessions_) {
    if (known[session->account]) continue;
    known[session->account] = true;
    accounts_[session->account].sellBudget = positionOf(session->client());
  }
  if (options_.probe && options_.probeIntervalMs > 0) {
    probeAtLink_ = connectGateway(0);
    probeSeenLink_ = connectGateway(utilities_.size() > 1 ? 1 : 0);
    probeAt_ = loginWithRetry(*probeAtLink_, *options_.probe, std::chrono::seconds(60));
    probeSeen_ = loginWithRetry(*probeSeenLink_, *options_.probe, std::chrono::seconds(60));
    probeHeld_ = positionOf(KJ_ASSERT_NONNULL(probeSeen_));
  }
  uint64_t bookedBefore = 0;
  std::unique_ptr<Link> firmLink;
  if (options_.drain) {
    firmLink = connectFirmAdmin();
    auto admin = firmLink->client->bootstrap().castAs<idl::Admin>();
    // The firm may still be booking what came before (verify then answers
    // "overloaded"): wait until it can verify, so the count starts from quiet.
    const auto patience = Clock::now() + std::chrono::seconds(300);
    std::optional<Verified> before;
    while (!(before = verifyOnce(admin)) && Clock::now() < patience) {
      io_.provider->getTimer().afterDelay(1 * kj::SECONDS).wait(io_.waitScope);
    }
    if (!before) throw std::runtime_error("the firm cannot verify its books: " + lastVerifyError_);
    bookedBefore = before->executionsBooked;
  }

  result_.mode = open ? "open" : "closed";
  result_.concurrency = workers;
  result_.sessions = sessionCount;
  result_.targetRate = options_.rate;
  start_ = Clock::now();
  deadline_ = start_ + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(options_.durationSeconds));
  if (options_.progress) tasks_->add(progressLoop());
  kj::Promise<void> probing = kj::READY_NOW;
  if (probeAt_ != nullptr) {
    probing = probeLoop().catch_([this](kj::Exception&& e) {
      countError("probe: " + std::string(e.getDescription().cStr()));
    });
  }
  if (open) {
    paceLoop().wait(io_.waitScope);
    const auto patience = Clock::now() + std::chrono::seconds(60);
    while (inFlight_ > 0 && Clock::now() < patience) {
      io_.provider->getTimer().afterDelay(1 * kj::MILLISECONDS).wait(io_.waitScope);
    }
  } else {
    kj::Vector<kj::Promise<void>> looping;
    for (unsigned w = 0; w < workers; ++w) looping.add(workerLoop(w));
    kj::joinPromises(looping.releaseAsArray()).wait(io_.waitScope);
  }
  const auto loadEnded = Clock::now();
  result_.elapsedSeconds = seconds(loadEnded - start_);
  io_.provider->getTimer()
      .timeoutAfter(150 * kj::SECONDS, kj::mv(probing))
      .then([] {}, [this](kj::Exception&&) { countError("probe: did not finish in 150 s"); })
      .wait(io_.waitScope);
  finished_ = true;
  if (options_.progress) std::fputc('\n', stderr);

  if (options_.drain) {
    auto admin = firmLink->client->bootstrap().castAs<idl::Admin>();
    const auto deadline =
        loadEnded + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(options_.drainTimeoutSeconds));
    // Every order final: no open orders left for any account (one session each).
    std::vector<SessionState*> perAccount(accounts_.size(), nullptr);
    for (auto& session : sessions_) perAccount[session->account] = session.get();
    bool anyOpen = true;
    while (anyOpen && Clock::now() < deadline) {
      anyOpen = false;
      for (SessionState* session : perAccount) {
        if (session == nullptr) continue;
        auto list = session->client().listOrdersRequest();
        list.setOpenOnly(true);
        if (list.send().wait(io_.waitScope).getOrders().size() > 0) anyOpen = true;
      }
      if (anyOpen) io_.provider->getTimer().afterDelay(100 * kj::MILLISECONDS).wait(io_.waitScope);
    }
    result_.drained = !anyOpen;
    // Then every fill booked and the firm's books consistent.
    do {  // at least once, so that a timed-out drain still reports what was booked
      if (std::optional<Verified> now = verifyOnce(admin)) {
        result_.executionsBooked = now->executionsBooked - bookedBefore;
        result_.verifyClean = now->clean;
        result_.findings = now->findings;
        if (result_.verifyClean && result_.executionsBooked >= result_.fillable) break;
      } else {
        result_.verifyClean = false;
        result_.findings = {"verify: " + lastVerifyError_};
      }
      io_.provider->getTimer().afterDelay(250 * kj::MILLISECONDS).wait(io_.waitScope);
    } while (Clock::now() < deadline);
    result_.drainSeconds = seconds(Clock::now() - loadEnded);
  }
  // Each refusal's code, with the first reason given for it, e.g.
  // "unavailable (first: ...)".
  for (const auto& [code, reason] : firstReasons_) {
    auto counted = result_.errors.find(code);
    if (counted == result_.errors.end()) continue;
    result_.errors[code + " (first: " + reason + ")"] = counted->second;
    result_.errors.erase(counted);
  }
  return std::move(result_);
}

}  // namespace triad::loadgen
