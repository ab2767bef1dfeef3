#include "utilities/firm/money.h"

namespace triad::firm {

std::string formatMicros(int64_t micros) {
  constexpr uint64_t kMicrosPerUnit = 1'000'000;
  // Work on the magnitude as unsigned, so INT64_MIN has one too.
  const bool negative = micros < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(micros) : micros;
  const std::string units = std::to_string(magnitude / kMicrosPerUnit);

  std::string text = negative ? "-" : "";
  for (size_t i = 0; i < units.size(); ++i) {
    if (i > 0 && (units.size() - i) % 3 == 0) text += ',';
    text += units[i];
  }
  std::string fraction = std::to_string(magnitude % kMicrosPerUnit);
  fraction.insert(0, 6 - fraction.size(), '0');
  while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
  return text + "." + fraction;
}

}  // namespace triad::firm
