#include "tests/integration/fix_wire.h"

#include <quickfix/FieldTypes.h>
#include <quickfix/FixFields.h>
#include <quickfix/FixValues.h>
#include <quickfix/Message.h>

#include "exchange/fix_codec.h"
#include "exchange/fix_messages.h"

namespace triad {
namespace testing {
namespace fixwire {

namespace {

std::string finish(const Header& header, FIX::Message& message, const std::string& msgType) {
  FIX::Header& h = message.getHeader();
  h.setField(FIX::BeginString(header.beginString));
  h.setField(FIX::MsgType(msgType));
  h.setField(FIX::SenderCompID(header.sender));
  h.setField(FIX::TargetCompID(header.target));
  h.setField(FIX::MsgSeqNum(header.sequence));
  h.setField(FIX::SendingTime(FIX::UtcTimeStamp()));
  if (header.possDup) {
    h.setField(FIX::PossDupFlag(true));
    h.setField(FIX::OrigSendingTime(FIX::UtcTimeStamp()));
  }
  if (header.possResend) h.setField(FIX::PossResend(true));
  return message.toString();
}

}  // namespace

std::string message(const Header& header, const std::string& msgType, const Fields& body) {
  FIX::Message message;
  for (const auto& field : body) message.setField(field.first, field.second);
  return finish(header, message, msgType);
}

std::string fill(const Header& header, const std::string& clOrdId, const std::string& execId,
                 const std::string& symbol, int64_t quantity, int64_t priceMicros) {
  exchange::ExecutionReportMessage report;
  report.session = header.target;
  report.orderId = "ROGUE-" + clOrdId;
  report.clOrdId = clOrdId;
  report.execId = execId;
  report.kind = exchange::ExecutionKind::kFill;
  report.symbol = symbol;
  report.side = '1';
  report.ordType = '2';
  report.timeInForce = '0';
  report.orderQuantity = quantity;
  report.priceMicros = priceMicros;
  report.lastQuantity = quantity;
  report.lastPriceMicros = priceMicros;
  report.leavesQuantity = 0;
  report.cumulativeQuantity = quantity;
  report.averagePriceMicros = priceMicros;
  FIX::Message message = exchange::encodeExecutionReport(header.beginString, report);
  return finish(header, message, FIX::MsgType_ExecutionReport);
}

std::string field(const std::string& raw, int tag) {
  const std::string key = std::to_string(tag) + "=";
  size_t at = raw.compare(0, key.size(), key) == 0 ? 0 : std::string::npos;
  if (at == std::string::npos) {
    const size_t found = raw.find("\001" + key);
    if (found == std::string::npos) return "";
    at = found + 1;
  }
  at += key.size();
  const size_t end = raw.find('\001', at);
  return raw.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

bool takeMessage(std::string& buffer, std::string& message) {
  const size_t begin = buffer.find("8=");
  if (begin == std::string::npos) {
    buffer.clear();
    return false;
  }
  const size_t checksum = buffer.find("\00110=", begin);
  if (checksum == std::string::npos) return false;
  const size_t end = buffer.find('\001', checksum + 1);
  if (end == std::string::npos) return false;
  message = buffer.substr(begin, end + 1 - begin);
  buffer.erase(0, end + 1);
  return true;
}

}  // namespace fixwire
}  // namespace testing
}  // namespace triad
