// A FIX client for tests: a QuickFIX SocketInitiator with a persistent
// FileStore, playing a street utility against triad-exchanged. It records
// every application message it receives, and every session-level Reject
// (35=3), decoded (fix_codec.h), and lets a test wait for one.
//
// QuickFIX stays in fix_test_client.cc, which is C++14 (see fix_messages.h);
// this header is what the C++20 tests see. Test-only: never linked into a
// shipped program.

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "exchange/fix_messages.h"

namespace triad {
namespace exchange {

struct FixTestClientConfig {
  std::string beginString;   // "FIX.4.2" or "FIX.4.4"
  std::string senderCompId;  // the street utility: "ss1"
  std::string targetCompId;  // the exchange: "xnys"
  std::string host;
  uint16_t port = 0;
  std::string storeDirectory;  // keep it across clients to resume the session
  std::string logDirectory;
};

struct ReceivedMessage {
  std::string msgType;  // "8", "9", "X", "3", "j", ...
  int seqNum = 0;
  bool possDup = false;  // PossDupFlag=Y: a resend
  // "8" is either an execution (`report`) or a status answer (`isStatus`,
  // ExecType I or ExecTransType 3: `status`).
  bool isStatus = false;
  // Exactly one is meaningful, by msgType (and isStatus).
  ExecutionReportMessage report;         // "8"
  OrderStatusMessage status;             // "8", isStatus
  CancelRejectMessage cancelReject;      // "9"
  MarketDataMessage marketData;          // "X"
  SessionRejectMessage sessionReject;    // "3"
  BusinessRejectMessage businessReject;  // "j"
  std::string text;                      // the whole message, '|' between fields
};

class FixTestClient {
 public:
  // Starts connecting (retrying every second). nullptr, with `error` set,
  // when QuickFIX refuses the configuration.
  static std::unique_ptr<FixTestClient> start(const FixTestClientConfig& config,
                                              std::string& error);
  ~FixTestClient();  // crash()es if still running

  FixTestClient(const FixTestClient&) = delete;
  FixTestClient& operator=(const FixTestClient&) = delete;

  bool waitForLogon(std::chrono::milliseconds timeout);
  // Until this client has logged on `count` times since start (it logs on
  // again by itself after the venue restarts).
  bool waitForLogons(int count, std::chrono::milliseconds timeout);
  int logons() const;

  // Sends, or (not logged on) stores for the venue to ask for on logon.
  // `markPossDup`: the message leaves with PossDupFlag=Y and OrigSendingTime,
  // as a session-level resend of it would.
  bool send(const NewOrderMessage& order, bool markPossDup = false);
  bool send(const CancelRequestMessage& request);
  bool send(const StatusRequestMessage& request);
  // The MsgSeqNum (34) the last message naming this ClOrdID (11) left with;
  // 0 if none has. What a Reject's RefSeqNum (45) must name.
  int sentSeqNum(const std::string& clOrdId) const;

  // The first message received since start (oldest first) that `match`es,
  // waiting up to `timeout` for one to arrive. False on timeout.
  bool waitFor(const std::function<bool(const ReceivedMessage&)>& match,
               std::chrono::milliseconds timeout, ReceivedMessage* found = nullptr);
  std::vector<ReceivedMessage> received() const;

  // Logs out and stops (waiting up to 10 s for the venue's answer).
  void logout();
  // Stops at once without a Logout and drops the connection: what the venue
  // sees when the street utility's process dies.
  void crash();

 private:
  class Impl;

 public:
  explicit FixTestClient(std::unique_ptr<Impl> impl);  // Impl is private: use the factory

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace exchange
}  // namespace triad
