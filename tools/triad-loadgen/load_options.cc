#include "tools/triad-loadgen/load_options.h"

#include <sstream>

namespace triad::loadgen {

std::optional<std::string> parseMix(const std::string& text, Mix& mix) {
  Mix out{0, 0, 0, 0};
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    const size_t equals = part.find('=');
    if (equals == std::string::npos) return "mix part '" + part + "' is not kind=weight";
    const std::string kind = part.substr(0, equals);
    unsigned weight = 0;
    try {
      size_t used = 0;
      weight = static_cast<unsigned>(std::stoul(part.substr(equals + 1), &used));
      if (used != part.size() - equals - 1) throw std::invalid_argument(part);
    } catch (const std::exception&) {
      return "mix weight in '" + part + "' is not a whole number";
    }
    if (kind == "buy") {
      out.buy = weight;
    } else if (kind == "sell") {
      out.sell = weight;
    } else if (kind == "cancel") {
      out.cancel = weight;
    } else if (kind == "status") {
      out.status = weight;
    } else {
      return "mix kind '" + kind + "' is not buy, sell, cancel or status";
    }
  }
  if (out.total() == 0) return "the mix weighs nothing";
  mix = out;
  return std::nullopt;
}

}  // namespace triad::loadgen
