// libFuzzer target: the topology parser (base/topology.h) on any
// text. parse() promises never to throw; a topology it accepts must answer
// every query without crashing.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "base/topology.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace triad::topology;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = Topology::parse(text, "fuzz.conf");
  if (auto* topology = std::get_if<Topology>(&parsed)) {
    for (const Utility& utility : topology->utilities()) {
      if (topology->findUtility(utility.id) != &utility) __builtin_trap();
      if (utility.replicationPort == 0) __builtin_trap();
    }
    (void)topology->broker(Bus::kCustomer);
    (void)topology->broker(Bus::kFirm);
  }
  return 0;
}
