#include "exchange/decimal_text.h"

namespace triad {
namespace exchange {
namespace {

constexpr int kMicroDigits = 6;
constexpr int64_t kMicrosPerUnit = 1000000;
constexpr int64_t kMaxWholeUnits = 1000000000000;   // 10^12
constexpr int64_t kMaxQuantity = 1000000000000000;  // 10^15

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Reads the digits of text[from, to) into `value`; false if any is not a
// digit, the range is empty, or the value would exceed `max`.
bool readDigits(const std::string& text, size_t from, size_t to, int64_t max, int64_t& value) {
  if (from >= to) return false;
  int64_t result = 0;
  for (size_t i = from; i < to; ++i) {
    if (!isDigit(text[i])) return false;
    result = result * 10 + (text[i] - '0');
    if (result > max) return false;
  }
  value = result;
  return true;
}

}  // namespace

bool parseDecimalMicros(const std::string& text, int64_t& micros) {
  const size_t point = text.find('.');
  const size_t wholeEnd = point == std::string::npos ? text.size() : point;
  int64_t whole = 0;
  if (!readDigits(text, 0, wholeEnd, kMaxWholeUnits, whole)) return false;
  int64_t fraction = 0;
  if (point != std::string::npos) {
    const size_t places = text.size() - point - 1;
    if (places > static_cast<size_t>(kMicroDigits)) return false;
    if (places > 0 && !readDigits(text, point + 1, text.size(), kMicrosPerUnit, fraction)) {
      return false;
    }
    for (size_t i = places; i < static_cast<size_t>(kMicroDigits); ++i) fraction *= 10;
  }
  micros = whole * kMicrosPerUnit + fraction;
  return true;
}

bool parseWholeQuantity(const std::string& text, int64_t& quantity) {
  const size_t point = text.find('.');
  const size_t wholeEnd = point == std::string::npos ? text.size() : point;
  int64_t whole = 0;
  if (!readDigits(text, 0, wholeEnd, kMaxQuantity, whole)) return false;
  if (point != std::string::npos) {
    for (size_t i = point + 1; i < text.size(); ++i) {
      if (text[i] != '0') return false;
    }
  }
  quantity = whole;
  return true;
}

std::string formatMicros(int64_t micros) {
  // Work on the magnitude as unsigned so that INT64_MIN has one too.
  const bool negative = micros < 0;
  const uint64_t magnitude =
      negative ? static_cast<uint64_t>(-(micros + 1)) + 1 : static_cast<uint64_t>(micros);
  std::string text = std::to_string(magnitude / kMicrosPerUnit);
  uint64_t fraction = magnitude % kMicrosPerUnit;
  if (fraction != 0) {
    std::string digits = std::to_string(fraction);
    digits.insert(0, kMicroDigits - digits.size(), '0');
    digits.erase(digits.find_last_not_of('0') + 1);
    text += "." + digits;
  }
  return negative ? "-" + text : text;
}

}  // namespace exchange
}  // namespace triad
