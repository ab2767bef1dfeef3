#include "exchange/fix_test_client.h"

#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/FixFields.h>
#include <quickfix/FixValues.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "exchange/fix_codec.h"

namespace triad {
namespace exchange {

class FixTestClient::Impl final : public FIX::Application {
 public:
  explicit Impl(const FixTestClientConfig& config)
      : config_(config), session_(config.beginString, config.senderCompId, config.targetCompId) {
    FIX::Dictionary defaults;
    defaults.setString(FIX::CONNECTION_TYPE, "initiator");
    defaults.setString(FIX::USE_DATA_DICTIONARY, "N");
    defaults.setString(FIX::START_TIME, "00:00:00");
    defaults.setString(FIX::END_TIME, "00:00:00");
    defaults.setInt(FIX::HEARTBTINT, 30);
    defaults.setInt(FIX::RECONNECT_INTERVAL, 1);
    defaults.setString(FIX::SOCKET_CONNECT_HOST, config.host);
    defaults.setInt(FIX::SOCKET_CONNECT_PORT, config.port);
    defaults.setString(FIX::FILE_STORE_PATH, config.storeDirectory);
    defaults.setString(FIX::FILE_LOG_PATH, config.logDirectory);
    settings_.set(defaults);
    settings_.set(session_, FIX::Dictionary());
    stores_ = std::make_unique<FIX::FileStoreFactory>(settings_);
    logs_ = std::make_unique<FIX::FileLogFactory>(settings_);
    initiator_ = std::make_unique<FIX::SocketInitiator>(*this, *stores_, settings_, *logs_);
    initiator_->start();
  }

  ~Impl() override { stop(true); }

  void stop(bool force) {
    if (!initiator_) return;
    initiator_->stop(force);
    initiator_.reset();
  }

  bool waitForLogon(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return loggedOn_; });
  }

  bool waitForLogons(int count, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [this, count] { return logons_ >= count; });
  }

  int logons() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return logons_;
  }

  bool send(FIX::Message message, const std::string& clOrdId, bool markPossDup) {
    if (markPossDup) {
      std::lock_guard<std::mutex> lock(mutex_);
      markPossDup_.insert(clOrdId);
    }
    try {
      return FIX::Session::sendToTarget(message, session_);
    } catch (const FIX::SessionNotFound&) {
      return false;
    }
  }

  bool waitFor(const std::function<bool(const ReceivedMessage&)>& match,
               std::chrono::milliseconds timeout, ReceivedMessage* found) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::vector<ReceivedMessage>::const_iterator hit;
    const bool matched = changed_.wait_for(lock, timeout, [&] {
      hit = std::find_if(received_.begin(), received_.end(), match);
      return hit != received_.end();
    });
    if (matched && found != nullptr) *found = *hit;
    return matched;
  }

  std::vector<ReceivedMessage> received() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }

  int sentSeqNum(const std::string& clOrdId) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto sent = sentSeqNums_.find(clOrdId);
    return sent == sentSeqNums_.end() ? 0 : sent->second;
  }

  // ---- FIX::Application ----------------------------------------------------
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      loggedOn_ = true;
      ++logons_;
    }
    changed_.notify_all();
  }
  void onLogout(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(mutex_);
    loggedOn_ = false;
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated"  // QuickFIX's exception specifications
  void toApp(FIX::Message& message, const FIX::SessionID&) throw(FIX::DoNotSend) override {
    if (!message.isSetField(FIX::FIELD::ClOrdID)) return;
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string& clOrdId = message.getField(FIX::FIELD::ClOrdID);
    // The session has numbered the message (Session::fill) before this call.
    sentSeqNums_[clOrdId] = std::atoi(message.getHeader().getField(FIX::FIELD::MsgSeqNum).c_str());
    if (markPossDup_.erase(clOrdId) == 0) return;
    FIX::Header& header = message.getHeader();
    header.setField(FIX::PossDupFlag(true));
    header.setField(FIX::FIELD::OrigSendingTime, header.getField(FIX::FIELD::SendingTime));
  }

  void fromAdmin(const FIX::Message& message,
                 const FIX::SessionID&) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                              FIX::IncorrectTagValue, FIX::RejectLogon) override {
    if (message.getHeader().getField(FIX::FIELD::MsgType) == FIX::MsgType_Reject) record(message);
  }

  void fromApp(const FIX::Message& message,
               const FIX::SessionID&) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                            FIX::IncorrectTagValue,
                                            FIX::UnsupportedMessageType) override {
    record(message);
  }
#pragma GCC diagnostic pop

 private:
  void record(const FIX::Message& message) {
    ReceivedMessage received;
    const FIX::Header& header = message.getHeader();
    received.msgType = header.getField(FIX::FIELD::MsgType);
    received.seqNum = std::atoi(header.getField(FIX::FIELD::MsgSeqNum).c_str());
    received.possDup = header.isSetField(FIX::FIELD::PossDupFlag) &&
                       header.getField(FIX::FIELD::PossDupFlag) == "Y";
    if (received.msgType == FIX::MsgType_ExecutionReport) {
      received.isStatus = decodeOrderStatus(message, config_.targetCompId, received.status);
      if (!received.isStatus) {
        decodeExecutionReport(message, config_.targetCompId, received.report);
      }
    } else if (received.msgType == FIX::MsgType_Reject) {
      decodeSessionReject(message, config_.targetCompId, received.sessionReject);
    } else if (received.msgType == FIX::MsgType_BusinessMessageReject) {
      decodeBusinessReject(message, config_.targetCompId, received.businessReject);
    } else if (received.msgType == FIX::MsgType_OrderCancelReject) {
      decodeCancelReject(message, config_.targetCompId, received.cancelReject);
    } else if (received.msgType == FIX::MsgType_MarketDataIncrementalRefresh) {
      decodeMarketData(message, config_.targetCompId, received.marketData);
    }
    message.toString(received.text);
    std::replace(received.text.begin(), received.text.end(), '\001', '|');
    {
      std::lock_guard<std::mutex> lock(mutex_);
      received_.push_back(std::move(received));
    }
    changed_.notify_all();
  }

  const FixTestClientConfig config_;
  const FIX::SessionID session_;
  FIX::SessionSettings settings_;
  std::unique_ptr<FIX::FileStoreFactory> stores_;
  std::unique_ptr<FIX::FileLogFactory> logs_;
  std::unique_ptr<FIX::SocketInitiator> initiator_;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable changed_;
  bool loggedOn_ = false;
  int logons_ = 0;
  std::set<std::string> markPossDup_;       // ClOrdIDs to send as resends
  std::map<std::string, int> sentSeqNums_;  // ClOrdID -> MsgSeqNum it last left with
  std::vector<ReceivedMessage> received_;
};

std::unique_ptr<FixTestClient> FixTestClient::start(const FixTestClientConfig& config,
                                                    std::string& error) {
  try {
    return std::make_unique<FixTestClient>(std::make_unique<Impl>(config));
  } catch (const FIX::Exception& e) {
    error = e.what();
  }
  return nullptr;
}

FixTestClient::FixTestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FixTestClient::~FixTestClient() = default;

bool FixTestClient::waitForLogon(std::chrono::milliseconds timeout) {
  return impl_->waitForLogon(timeout);
}
bool FixTestClient::waitForLogons(int count, std::chrono::milliseconds timeout) {
  return impl_->waitForLogons(count, timeout);
}
int FixTestClient::logons() const { return impl_->logons(); }

bool FixTestClient::send(const NewOrderMessage& order, bool markPossDup) {
  return impl_->send(encodeNewOrder(order), order.clOrdId, markPossDup);
}

bool FixTestClient::send(const CancelRequestMessage& request) {
  return impl_->send(encodeCancelRequest(request), request.clOrdId, false);
}

bool FixTestClient::send(const StatusRequestMessage& request) {
  return impl_->send(encodeStatusRequest(request), request.clOrdId, false);
}

int FixTestClient::sentSeqNum(const std::string& clOrdId) const {
  return impl_->sentSeqNum(clOrdId);
}

bool FixTestClient::waitFor(const std::function<bool(const ReceivedMessage&)>& match,
                            std::chrono::milliseconds timeout, ReceivedMessage* found) {
  return impl_->waitFor(match, timeout, found);
}

std::vector<ReceivedMessage> FixTestClient::received() const { return impl_->received(); }

void FixTestClient::logout() { impl_->stop(false); }
void FixTestClient::crash() { impl_->stop(true); }

}  // namespace exchange
}  // namespace triad
