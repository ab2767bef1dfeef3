// FIX wire text for tests that speak FIX by hand (fix_session_faults_test.cc):
// messages built with QuickFIX's FIX::Message so that BodyLength and CheckSum
// are right (then corrupted on purpose by the test), and fields read back
// from raw text. No QuickFIX header here: the tests are C++20, QuickFIX's
// headers want C++14 (fix_wire.cc is compiled as C++14).

#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace triad::testing::fixwire {

using Fields = std::vector<std::pair<int, std::string>>;

struct Header {
  std::string beginString = "FIX.4.4";
  std::string sender;       // 49
  std::string target;       // 56
  int sequence = 1;         // 34
  bool possDup = false;     // 43=Y and 122 (OrigSendingTime)
  bool possResend = false;  // 97=Y: an application-level resend under a new number
};

// A whole message of `msgType` with `body` fields, SendingTime now.
std::string message(const Header& header, const std::string& msgType, const Fields& body);

// An ExecutionReport filling `quantity` of order `clOrdId` (fix_codec's
// encodeExecutionReport) at `priceMicros`, as the venue would send it.
std::string fill(const Header& header, const std::string& clOrdId, const std::string& execId,
                 const std::string& symbol, int64_t quantity, int64_t priceMicros);

// The value of `tag` in a raw message ("" when absent).
std::string field(const std::string& raw, int tag);

// Takes one complete message (through its "10=xxx<SOH>") off the front of
// `buffer`, skipping anything before "8="; false when none is complete yet.
bool takeMessage(std::string& buffer, std::string& message);

}  // namespace triad::testing::fixwire
