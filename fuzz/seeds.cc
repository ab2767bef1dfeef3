// Writes the seed corpora of the fuzz targets: valid inputs each target
// starts from. Usage: fuzz_seeds <corpus folder> (fuzz/corpus); the
// topology seeds are the repository's etc/triad/topology.conf, copied by
// scripts/fuzz, plus the ones written here.

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "brokers/bus_wire.h"
#include "idl/records.capnp.h"

namespace {

void write(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string_view asBytes(kj::ArrayPtr<const capnp::word> words) {
  auto bytes = words.asBytes();
  return {reinterpret_cast<const char*>(bytes.begin()), bytes.size()};
}

void fillOrder(triad::idl::Order::Builder order) {
  order.setId("cf1-000000042");
  order.setAccount("alice");
  order.setClientOrderId("alice-1");
  order.setSymbol("ACME");
  order.setSide(triad::idl::Side::BUY);
  order.setType(triad::idl::OrderType::LIMIT);
  order.setTimeInForce(triad::idl::TimeInForce::DAY);
  order.setQuantity(100);
  order.setLimitPriceMicros(10'250'000);
  order.setCurrency("USD");
  order.setStreet("ss1");
  order.setVenue("xtst");
  order.setReservedMicros(1'025'000'000);
  order.setPlacedAtNanos(1'700'000'000'000'000'000);
  order.setSession("cf1-s1");
}

void fillExecution(triad::idl::Execution::Builder execution) {
  execution.setId("ss1-000004711");
  execution.setOrderId("cf1-000000042");
  execution.setVenue("xtst");
  execution.setVenueExecId("E-1");
  execution.setAccount("alice");
  execution.setSymbol("ACME");
  execution.setSide(triad::idl::Side::BUY);
  execution.setQuantity(40);
  execution.setPriceMicros(10'200'000);
  execution.setCurrency("USD");
  execution.setCumulativeQuantity(40);
  execution.setLeavesQuantity(60);
  execution.setExecutedAtNanos(1'700'000'000'000'000'000);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::filesystem::path root = argv[1];

  // record: a type byte (0 Order, 1 Execution), then the stored value.
  {
    capnp::MallocMessageBuilder message;
    fillOrder(message.initRoot<triad::idl::Order>());
    write(root / "record" / "order",
          std::string(1, '\0') + std::string(asBytes(capnp::messageToFlatArray(message))));
  }
  {
    capnp::MallocMessageBuilder message;
    fillExecution(message.initRoot<triad::idl::Execution>());
    write(root / "record" / "execution",
          std::string(1, '\1') + std::string(asBytes(capnp::messageToFlatArray(message))));
  }

  // bus_envelope: the topic's length, the topic, the envelope.
  auto envelope = [&](const std::string& name, const std::string& topic, auto fill) {
    triad::brokers::EnvelopeStamp stamp{"cf1", 7, 1, 1'700'000'000'000'000'000};
    kj::Array<capnp::word> words = triad::brokers::encodeEnvelope(topic, stamp, fill);
    write(root / "bus_envelope" / name,
          std::string(1, static_cast<char>(topic.size())) + topic + std::string(asBytes(words)));
  };
  envelope("order", "order.ss1",
           [](triad::idl::Envelope::Record::Builder r) { fillOrder(r.initOrder()); });
  envelope("execution", "execution.ss1",
           [](triad::idl::Envelope::Record::Builder r) { fillExecution(r.initExecution()); });
  envelope("heartbeat", "heartbeat", [](triad::idl::Envelope::Record::Builder r) {
    auto beat = r.initHeartbeat();
    beat.setLastSequence(41);
    beat.setCommitSequence(99);
  });
  return 0;
}
