#include "exchange/fix_venue.h"

#include <quickfix/Application.h>
#include <quickfix/Exceptions.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/FixFields.h>
#include <quickfix/FixValues.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "exchange/bound_socket_acceptor.h"
#include "exchange/fix_codec.h"

namespace triad {
namespace exchange {
namespace {

// Around the clock; QuickFIX resets sequence numbers when a day's session
// begins, here at midnight UTC.
const char kSessionBoundary[] = "00:00:00";

// One queued message: exactly one of the others, by kind (C++14: no
// std::variant).
struct Outgoing {
  enum class Kind {
    kExecutionReport,
    kCancelReject,
    kMarketData,
    kOrderStatus,
    kSessionReject,
    kBusinessReject
  } kind;
  ExecutionReportMessage report;
  CancelRejectMessage reject;
  MarketDataMessage update;
  OrderStatusMessage status;
  SessionRejectMessage sessionReject;
  BusinessRejectMessage businessReject;

  explicit Outgoing(Kind k) : kind(k) {}
};

}  // namespace

class FixVenue::Impl final : public FIX::Application {
 public:
  explicit Impl(const FixVenueConfig& config) : config_(config) {
    FIX::Dictionary defaults;
    defaults.setString(FIX::CONNECTION_TYPE, "acceptor");
    defaults.setString(FIX::USE_DATA_DICTIONARY, "N");
    defaults.setString(FIX::START_TIME, kSessionBoundary);
    defaults.setString(FIX::END_TIME, kSessionBoundary);
    defaults.setString(FIX::FILE_STORE_PATH, config.storeDirectory);
    defaults.setString(FIX::FILE_LOG_PATH, config.logDirectory);
    defaults.setString(FIX::PERSIST_MESSAGES, "Y");
    // Not used by BoundSocketAcceptor (which is given the address), but
    // QuickFIX's session factory expects an acceptor session to have one.
    defaults.setInt(FIX::SOCKET_ACCEPT_PORT, config.listenPort);
    settings_.set(defaults);
    for (const std::string& street : config.streetIds) {
      settings_.set(sessionOf(street), FIX::Dictionary());
    }
    stores_ = std::make_unique<FIX::FileStoreFactory>(settings_);
    logs_ = std::make_unique<FIX::FileLogFactory>(settings_);
    acceptor_ = std::make_unique<BoundSocketAcceptor>(*this, *stores_, settings_, *logs_,
                                                      config.listenAddress, config.listenPort);
    sender_ = std::thread(&Impl::sendQueued, this);
  }

  ~Impl() override { stop(); }

  bool start(VenueInput& input, std::string& error) {
    input_ = &input;
    try {
      acceptor_->start();
    } catch (const FIX::Exception& e) {
      error = e.what();
      return false;
    }
    return true;
  }

  uint16_t listenPort() const {
    return acceptor_->boundPort() != 0 ? acceptor_->boundPort() : config_.listenPort;
  }

  void stop() {
    if (acceptor_) acceptor_->stop();
    {
      std::lock_guard<std::mutex> lock(outboxMutex_);
      stopping_ = true;
    }
    outboxReady_.notify_one();
    if (sender_.joinable()) sender_.join();
    acceptor_.reset();  // the sessions go with it; nothing can send after this
  }

  void enqueue(Outgoing outgoing) {
    {
      std::lock_guard<std::mutex> lock(outboxMutex_);
      outbox_.push_back(std::move(outgoing));
    }
    outboxReady_.notify_one();
  }

  // ---- FIX::Application ----------------------------------------------------
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& session) override {
    if (input_ != nullptr) input_->onLogon(session.getTargetCompID().getString());
  }
  void onLogout(const FIX::SessionID&) override {}
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated"  // QuickFIX's exception specifications
  void toApp(FIX::Message& message, const FIX::SessionID&) throw(FIX::DoNotSend) override {
    // A resend of market data is answered with a gap fill instead.
    const FIX::Header& header = message.getHeader();
    if (header.getField(FIX::FIELD::MsgType) == FIX::MsgType_MarketDataIncrementalRefresh &&
        header.isSetField(FIX::FIELD::PossDupFlag) &&
        header.getField(FIX::FIELD::PossDupFlag) == "Y") {
      throw FIX::DoNotSend();
    }
  }

  void fromAdmin(const FIX::Message&,
                 const FIX::SessionID&) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                              FIX::IncorrectTagValue, FIX::RejectLogon) override {}

  void fromApp(const FIX::Message& message,
               const FIX::SessionID& session) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                                    FIX::IncorrectTagValue,
                                                    FIX::UnsupportedMessageType) override {
    const std::string& type = message.getHeader().getField(FIX::FIELD::MsgType);
    const std::string street = session.getTargetCompID().getString();
    if (type == FIX::MsgType_NewOrderSingle) {
      input_->onNewOrder(decodeNewOrder(message, street));
    } else if (type == FIX::MsgType_OrderCancelRequest) {
      input_->onCancelRequest(decodeCancelRequest(message, street));
    } else if (type == FIX::MsgType_OrderStatusRequest) {
      input_->onStatusRequest(decodeStatusRequest(message, street));
    } else {
      throw FIX::UnsupportedMessageType();
    }
  }
#pragma GCC diagnostic pop

 private:
  FIX::SessionID sessionOf(const std::string& street) const {
    return FIX::SessionID(config_.beginString, config_.exchangeId, street);
  }

  // The sender thread: takes queued messages in order until stop() and the
  // queue is empty.
  void sendQueued() {
    std::unique_lock<std::mutex> lock(outboxMutex_);
    for (;;) {
      outboxReady_.wait(lock, [this] { return stopping_ || !outbox_.empty(); });
      if (outbox_.empty()) return;  // and stopping_
      Outgoing outgoing = std::move(outbox_.front());
      outbox_.pop_front();
      lock.unlock();
      send(outgoing);
      lock.lock();
    }
  }

  void send(const Outgoing& outgoing) {
    switch (outgoing.kind) {
      case Outgoing::Kind::kExecutionReport: {
        FIX::Message message = encodeExecutionReport(config_.beginString, outgoing.report);
        sendTo(outgoing.report.session, message);
        break;
      }
      case Outgoing::Kind::kCancelReject: {
        FIX::Message message = encodeCancelReject(config_.beginString, outgoing.reject);
        sendTo(outgoing.reject.session, message);
        break;
      }
      case Outgoing::Kind::kMarketData: {
        const FIX::Message message = encodeMarketData(outgoing.update);
        if (!outgoing.update.session.empty()) {
          sendIfLoggedOn(outgoing.update.session, message);
        } else {
          for (const std::string& street : config_.streetIds) sendIfLoggedOn(street, message);
        }
        break;
      }
      case Outgoing::Kind::kOrderStatus: {
        FIX::Message message = encodeOrderStatus(config_.beginString, outgoing.status);
        sendTo(outgoing.status.session, message);
        break;
      }
      case Outgoing::Kind::kSessionReject: {
        FIX::Message message = encodeSessionReject(outgoing.sessionReject);
        sendTo(outgoing.sessionReject.session, message);
        break;
      }
      case Outgoing::Kind::kBusinessReject: {
        FIX::Message message = encodeBusinessReject(outgoing.businessReject);
        sendTo(outgoing.businessReject.session, message);
        break;
      }
    }
  }

  // Sends now, or stores for a resend when the session is not logged on.
  void sendTo(const std::string& street, FIX::Message& message) {
    FIX::Session* session = FIX::Session::lookupSession(sessionOf(street));
    if (session != nullptr) session->send(message);
  }

  void sendIfLoggedOn(const std::string& street, const FIX::Message& message) {
    FIX::Session* session = FIX::Session::lookupSession(sessionOf(street));
    if (session == nullptr || !session->isLoggedOn()) return;
    FIX::Message copy = message;
    session->send(copy);
  }

  const FixVenueConfig config_;
  FIX::SessionSettings settings_;
  std::unique_ptr<FIX::FileStoreFactory> stores_;
  std::unique_ptr<FIX::FileLogFactory> logs_;
  std::unique_ptr<BoundSocketAcceptor> acceptor_;
  VenueInput* input_ = nullptr;  // set by start(), before any session can call

  std::mutex outboxMutex_;  // guards outbox_ and stopping_
  std::condition_variable outboxReady_;
  std::deque<Outgoing> outbox_;
  bool stopping_ = false;
  std::thread sender_;
};

std::unique_ptr<FixVenue> FixVenue::create(const FixVenueConfig& config, std::string& error) {
  try {
    return std::make_unique<FixVenue>(std::make_unique<Impl>(config));
  } catch (const FIX::Exception& e) {
    error = e.what();
  } catch (const std::exception& e) {
    error = e.what();
  }
  return nullptr;
}

FixVenue::FixVenue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FixVenue::~FixVenue() { stop(); }

bool FixVenue::start(VenueInput& input, std::string& error) { return impl_->start(input, error); }

uint16_t FixVenue::listenPort() const { return impl_->listenPort(); }

void FixVenue::stop() { impl_->stop(); }

void FixVenue::sendExecutionReport(const ExecutionReportMessage& report) {
  Outgoing outgoing(Outgoing::Kind::kExecutionReport);
  outgoing.report = report;
  impl_->enqueue(std::move(outgoing));
}

void FixVenue::sendCancelReject(const CancelRejectMessage& reject) {
  Outgoing outgoing(Outgoing::Kind::kCancelReject);
  outgoing.reject = reject;
  impl_->enqueue(std::move(outgoing));
}

void FixVenue::sendMarketData(const MarketDataMessage& update) {
  Outgoing outgoing(Outgoing::Kind::kMarketData);
  outgoing.update = update;
  impl_->enqueue(std::move(outgoing));
}

void FixVenue::sendOrderStatus(const OrderStatusMessage& status) {
  Outgoing outgoing(Outgoing::Kind::kOrderStatus);
  outgoing.status = status;
  impl_->enqueue(std::move(outgoing));
}

void FixVenue::sendSessionReject(const SessionRejectMessage& reject) {
  Outgoing outgoing(Outgoing::Kind::kSessionReject);
  outgoing.sessionReject = reject;
  impl_->enqueue(std::move(outgoing));
}

void FixVenue::sendBusinessReject(const BusinessRejectMessage& reject) {
  Outgoing outgoing(Outgoing::Kind::kBusinessReject);
  outgoing.businessReject = reject;
  impl_->enqueue(std::move(outgoing));
}

}  // namespace exchange
}  // namespace triad
