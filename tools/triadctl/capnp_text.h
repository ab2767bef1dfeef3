// The schema's own name of a Cap'n Proto enum value ("buy", "gtc",
// "insufficientBuyingPower"): what triadctl prints and puts in JSON, so that
// the console and the IDL never disagree.

#pragma once

#include <capnp/schema.h>

#include <string>

namespace triad::ctl {

template <typename Enum>
std::string enumText(Enum value) {
  auto enumerants = capnp::Schema::from<Enum>().getEnumerants();
  const auto index = static_cast<uint16_t>(value);
  if (index >= enumerants.size()) return std::to_string(index);
  return enumerants[index].getProto().getName();
}

}  // namespace triad::ctl
