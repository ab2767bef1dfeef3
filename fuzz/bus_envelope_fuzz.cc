// libFuzzer target: the bus envelope decoder (brokers/bus_wire.h). The input
// is a topic frame and an envelope frame: its first byte is the topic's
// length (mod 64), then the topic, then the envelope. decodeEnvelope promises
// never to throw, and a message it accepts must be readable in every field
// without throwing.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "brokers/bus_wire.h"
#include "fuzz/visit_all.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t topicSize = std::min<size_t>(data[0] % 64, size - 1);
  const std::string_view topic(reinterpret_cast<const char*>(data + 1), topicSize);
  const kj::ArrayPtr<const kj::byte> payload(data + 1 + topicSize, size - 1 - topicSize);
  auto decoded = triad::brokers::decodeEnvelope(topic, payload);
  if (auto* message = std::get_if<triad::brokers::BusMessage>(&decoded)) {
    (void)triad::fuzz::visitAll(capnp::toDynamic(message->envelope()));
    if (message->origin().empty() || message->sequence() == 0) __builtin_trap();
  }
  return 0;
}
