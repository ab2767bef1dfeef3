// libFuzzer target: decoding a stored record (bdb/value.h) from any bytes,
// as a replica reads what its group holds. The first byte picks the record
// type (Order, Execution and the rest of records.capnp); the others are the
// stored value. Value::fromBytes must refuse what is not a message; what it
// accepts is read through a reader with a small traversal limit, every field.
// A malformed pointer may throw kj::Exception (the storage layer's callers
// meet that as a failed call); it must never crash or read out of bounds.

#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bdb/value.h"
#include "fuzz/visit_all.h"
#include "idl/records.capnp.h"

namespace {

const capnp::StructSchema kRecordTypes[] = {
    capnp::Schema::from<triad::idl::Order>(),         capnp::Schema::from<triad::idl::Execution>(),
    capnp::Schema::from<triad::idl::CancelRequest>(), capnp::Schema::from<triad::idl::Route>(),
    capnp::Schema::from<triad::idl::Reject>(),        capnp::Schema::from<triad::idl::Closure>(),
    capnp::Schema::from<triad::idl::Account>(),       capnp::Schema::from<triad::idl::Balance>(),
    capnp::Schema::from<triad::idl::Position>(),      capnp::Schema::from<triad::idl::Posting>(),
    capnp::Schema::from<triad::idl::CashReference>(), capnp::Schema::from<triad::idl::Asset>(),
    capnp::Schema::from<triad::idl::Halt>(),          capnp::Schema::from<triad::idl::VenueRoute>(),
    capnp::Schema::from<triad::idl::SessionAudit>(),  capnp::Schema::from<triad::idl::CommitMark>(),
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const capnp::StructSchema type = kRecordTypes[data[0] % std::size(kRecordTypes)];
  triad::bdb::Value value;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (!triad::bdb::Value::fromBytes(bytes, &value).isOk()) return 0;

  capnp::ReaderOptions options;
  options.traversalLimitInWords = 64 * 1024;
  options.nestingLimit = 16;
  const std::string_view stored = value.bytes();
  const kj::ArrayPtr<const capnp::word> words(reinterpret_cast<const capnp::word*>(stored.data()),
                                              stored.size() / sizeof(capnp::word));
  (void)kj::runCatchingExceptions([&] {
    capnp::FlatArrayMessageReader reader(words, options);
    (void)triad::fuzz::visitAll(reader.getRoot<capnp::DynamicStruct>(type));
  });
  // The typed path the daemons use (default limits), on the same value.
  (void)kj::runCatchingExceptions([&] {
    if (type == capnp::Schema::from<triad::idl::Order>()) {
      (void)triad::fuzz::visitAll(capnp::toDynamic(value.as<triad::idl::Order>()));
    } else if (type == capnp::Schema::from<triad::idl::Execution>()) {
      (void)triad::fuzz::visitAll(capnp::toDynamic(value.as<triad::idl::Execution>()));
    }
  });
  return 0;
}
