#include "utilities/street/street_fix_initiator.h"

#include <quickfix/Application.h>
#include <quickfix/Exceptions.h>
#include <quickfix/FileLog.h>
#include <quickfix/FileStore.h>
#include <quickfix/FixFields.h>
#include <quickfix/FixValues.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "exchange/fix_codec.h"
#include "utilities/common/crash_point.h"

namespace triad {
namespace street {
namespace {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated"  // QuickFIX's exception specifications

// QuickFIX's file store, with the crash point "street.after-store-write":
// an order stored and its sequence number taken, not yet on the wire. The
// venue then sees a sequence gap at the next logon and asks for a resend.
class CrashPointStore final : public FIX::MessageStore {
 public:
  explicit CrashPointStore(FIX::MessageStore* store) : store_(store) {}
  ~CrashPointStore() override { delete store_; }

  bool set(int seq, const std::string& message) throw(FIX::IOException) override {
    lastWasOrder_ = message.find("\00135=D\001") != std::string::npos;
    return store_->set(seq, message);
  }
  void get(int begin, int end, std::vector<std::string>& out) const
      throw(FIX::IOException) override {
    store_->get(begin, end, out);
  }
  int getNextSenderMsgSeqNum() const throw(FIX::IOException) override {
    return store_->getNextSenderMsgSeqNum();
  }
  int getNextTargetMsgSeqNum() const throw(FIX::IOException) override {
    return store_->getNextTargetMsgSeqNum();
  }
  void setNextSenderMsgSeqNum(int n) throw(FIX::IOException) override {
    store_->setNextSenderMsgSeqNum(n);
  }
  void setNextTargetMsgSeqNum(int n) throw(FIX::IOException) override {
    store_->setNextTargetMsgSeqNum(n);
  }
  void incrNextSenderMsgSeqNum() throw(FIX::IOException) override {
    store_->incrNextSenderMsgSeqNum();
    if (lastWasOrder_) common::crashPoint("street.after-store-write");
    lastWasOrder_ = false;
  }
  void incrNextTargetMsgSeqNum() throw(FIX::IOException) override {
    store_->incrNextTargetMsgSeqNum();
  }
  FIX::UtcTimeStamp getCreationTime() const throw(FIX::IOException) override {
    return store_->getCreationTime();
  }
  void reset() throw(FIX::IOException) override { store_->reset(); }
  void refresh() throw(FIX::IOException) override { store_->refresh(); }

 private:
  FIX::MessageStore* store_;  // owned
  bool lastWasOrder_ = false;
};

class CrashPointStoreFactory final : public FIX::MessageStoreFactory {
 public:
  explicit CrashPointStoreFactory(const FIX::SessionSettings& settings) : files_(settings) {}
  FIX::MessageStore* create(const FIX::SessionID& id) override {
    return new CrashPointStore(files_.create(id));
  }
  void destroy(FIX::MessageStore* store) override { delete store; }

 private:
  FIX::FileStoreFactory files_;
};

#pragma GCC diagnostic pop

}  // namespace

class StreetFixInitiator::Impl final : public FIX::Application {
 public:
  Impl(const StreetFixConfig& config, StreetFixHandler& handler) : handler_(handler) {
    FIX::Dictionary defaults;
    defaults.setString(FIX::CONNECTION_TYPE, "initiator");
    defaults.setString(FIX::USE_DATA_DICTIONARY, "N");
    defaults.setString(FIX::START_TIME, "00:00:00");
    defaults.setString(FIX::END_TIME, "00:00:00");
    defaults.setInt(FIX::HEARTBTINT, 30);
    defaults.setInt(FIX::RECONNECT_INTERVAL, 1);
    defaults.setString(FIX::FILE_STORE_PATH, config.storeDirectory);
    defaults.setString(FIX::FILE_LOG_PATH, config.logDirectory);
    settings_.set(defaults);
    for (const FixVenueSession& venue : config.venues) {
      FIX::SessionID id(venue.beginString, config.street, venue.venue);
      FIX::Dictionary session;
      session.setString(FIX::SOCKET_CONNECT_HOST, venue.host);
      session.setInt(FIX::SOCKET_CONNECT_PORT, venue.port);
      if (!venue.sourceHost.empty()) {
        session.setString(FIX::SOCKET_CONNECT_SOURCE_HOST, venue.sourceHost);
      }
      settings_.set(id, session);
      sessions_.emplace(venue.venue, id);
    }
    stores_.reset(new CrashPointStoreFactory(settings_));
    logs_.reset(new FIX::FileLogFactory(settings_));
    initiator_.reset(new FIX::SocketInitiator(*this, *stores_, settings_, *logs_));
    initiator_->start();
  }

  ~Impl() override { stop(); }

  void stop() {
    if (!initiator_) return;
    initiator_->stop(false);
    initiator_.reset();
  }

  bool send(FIX::Message message, const std::string& venue) {
    const auto session = sessions_.find(venue);
    if (session == sessions_.end()) return false;
    try {
      // False while logged out; the message is stored and resent on logon.
      FIX::Session::sendToTarget(message, session->second);
      return true;
    } catch (const FIX::SessionNotFound&) {
      return false;
    }
  }

  // ---- FIX::Application ----------------------------------------------------
  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    handler_.onLogon(id.getTargetCompID().getValue());
  }
  void onLogout(const FIX::SessionID& id) override {
    handler_.onLogout(id.getTargetCompID().getValue());
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated"  // QuickFIX's exception specifications
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}

  void fromAdmin(const FIX::Message& message,
                 const FIX::SessionID& id) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                                 FIX::IncorrectTagValue,
                                                 FIX::RejectLogon) override {
    if (message.getHeader().getField(FIX::FIELD::MsgType) != FIX::MsgType_Reject) return;
    exchange::SessionRejectMessage decoded;
    if (!exchange::decodeSessionReject(message, id.getTargetCompID().getValue(), decoded)) return;
    VenueReject reject;
    reject.venue = decoded.session;
    reject.refSeqNum = decoded.refSeqNum;
    reject.refMsgType = decoded.refMsgType;
    reject.refTagId = decoded.refTagId;
    reject.reason = decoded.reason;
    reject.text = decoded.text;
    reject.message = readable(message);
    findReferred(id, reject);
    handler_.onVenueReject(reject);
  }

  // Throwing IOException makes QuickFIX disconnect without advancing the
  // inbound sequence number (Session::next catches it): the report comes
  // back as a resend after the reconnect.
  void fromApp(const FIX::Message& message,
               const FIX::SessionID& id) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
                                               FIX::IncorrectTagValue,
                                               FIX::UnsupportedMessageType) override {
    const std::string venue = id.getTargetCompID().getValue();
    const std::string& msgType = message.getHeader().getField(FIX::FIELD::MsgType);
    HandlerOutcome outcome = HandlerOutcome::kDone;
    exchange::OrderStatusMessage status;
    if (msgType == FIX::MsgType_ExecutionReport &&
        exchange::decodeOrderStatus(message, venue, status)) {
      OrderStatusAnswer answer;
      answer.venue = venue;
      answer.clOrdId = status.clOrdId;
      answer.venueOrderId = status.orderId;
      answer.ordStatus = status.ordStatus;
      answer.ordRejReason = status.ordRejReason;
      answer.cumulativeQuantity = status.cumulativeQuantity;
      answer.leavesQuantity = status.leavesQuantity;
      answer.text = status.text;
      outcome = handler_.onOrderStatus(answer);
    } else if (msgType == FIX::MsgType_ExecutionReport) {
      exchange::ExecutionReportMessage report;
      if (!exchange::decodeExecutionReport(message, venue, report)) {
        throw FIX::IncorrectDataFormat(0, "an execution report without a field it needs");
      }
      outcome = handler_.onExecutionReport(report, readable(message));
    } else if (msgType == FIX::MsgType_BusinessMessageReject) {
      exchange::BusinessRejectMessage decoded;
      if (!exchange::decodeBusinessReject(message, venue, decoded)) {
        throw FIX::IncorrectDataFormat(0, "a business reject without a field it needs");
      }
      VenueReject reject;
      reject.venue = venue;
      reject.business = true;
      reject.refSeqNum = decoded.refSeqNum;
      reject.refMsgType = decoded.refMsgType;
      reject.reason = decoded.reason;
      reject.text = decoded.text;
      reject.message = readable(message);
      findReferred(id, reject);
      // Without the sent message, the venue's reference is the ClOrdID.
      if (reject.clOrdId.empty()) reject.clOrdId = decoded.refId;
      outcome = handler_.onVenueReject(reject);
    } else if (msgType == FIX::MsgType_OrderCancelReject) {
      exchange::CancelRejectMessage reject;
      if (!exchange::decodeCancelReject(message, venue, reject)) {
        throw FIX::IncorrectDataFormat(0, "a cancel reject without a field it needs");
      }
      outcome = handler_.onCancelReject(reject);
    } else if (msgType == FIX::MsgType_MarketDataIncrementalRefresh) {
      exchange::MarketDataMessage update;
      if (exchange::decodeMarketData(message, venue, update)) handler_.onMarketData(update);
    }
    // Anything else: not this version's business.
    if (outcome == HandlerOutcome::kRetryLater) {
      throw FIX::IOException("the report could not be recorded: reconnecting for a resend");
    }
  }
#pragma GCC diagnostic pop

 private:
  static std::string textField(const FIX::FieldMap& map, int tag) {
    return map.isSetField(tag) ? map.getField(tag) : std::string();
  }
  // The message with '|' for SOH, for a person (and the records) to read.
  static std::string readable(const FIX::Message& message) {
    std::string text = message.toString();
    std::replace(text.begin(), text.end(), '\x01', '|');
    return text;
  }

  // What a reject refers to: the message this street sent with MsgSeqNum
  // RefSeqNum on the session, read back from QuickFIX's store.
  static void findReferred(const FIX::SessionID& id, VenueReject& reject) {
    FIX::Session* session = FIX::Session::lookupSession(id);
    if (session == nullptr || reject.refSeqNum <= 0) return;
    std::vector<std::string> sent;
    try {
      session->getStore()->get(reject.refSeqNum, reject.refSeqNum, sent);
    } catch (const FIX::IOException&) {
      return;
    }
    if (sent.empty()) return;
    try {
      FIX::Message original(sent.front(), /*validate=*/false);
      if (reject.refMsgType.empty()) {
        reject.refMsgType = textField(original.getHeader(), FIX::FIELD::MsgType);
      }
      reject.clOrdId = textField(original, FIX::FIELD::ClOrdID);
      reject.origClOrdId = textField(original, FIX::FIELD::OrigClOrdID);
    } catch (const FIX::Exception&) {
      // A stored message that does not parse names nothing.
    }
  }

  StreetFixHandler& handler_;
  FIX::SessionSettings settings_;
  std::map<std::string, FIX::SessionID> sessions_;  // by venue id; fixed after construction
  std::unique_ptr<FIX::MessageStoreFactory> stores_;
  std::unique_ptr<FIX::FileLogFactory> logs_;
  std::unique_ptr<FIX::SocketInitiator> initiator_;
};

std::unique_ptr<StreetFixInitiator> StreetFixInitiator::start(const StreetFixConfig& config,
                                                              StreetFixHandler& handler,
                                                              std::string& error) {
  try {
    return std::unique_ptr<StreetFixInitiator>(
        new StreetFixInitiator(std::unique_ptr<Impl>(new Impl(config, handler))));
  } catch (const FIX::Exception& e) {
    error = e.what();
  }
  return nullptr;
}

StreetFixInitiator::StreetFixInitiator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StreetFixInitiator::~StreetFixInitiator() = default;

bool StreetFixInitiator::send(const exchange::NewOrderMessage& order) {
  return impl_->send(exchange::encodeNewOrder(order), order.session);
}

bool StreetFixInitiator::send(const exchange::CancelRequestMessage& request) {
  return impl_->send(exchange::encodeCancelRequest(request), request.session);
}

bool StreetFixInitiator::sendStatusRequest(const std::string& venue, const std::string& clOrdId,
                                           const std::string& symbol, char side) {
  exchange::StatusRequestMessage request;
  request.session = venue;
  request.clOrdId = clOrdId;
  request.symbol = symbol;
  request.side = side;
  return impl_->send(exchange::encodeStatusRequest(request), venue);
}

void StreetFixInitiator::stop() { impl_->stop(); }

}  // namespace street
}  // namespace triad
