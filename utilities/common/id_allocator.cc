#include "utilities/common/id_allocator.h"

#include <capnp/message.h>

#include <charconv>
#include <cstdio>

#include "idl/records.capnp.h"

namespace triad::common {
namespace {
constexpr std::string_view kMetaTable = "_meta";

bdb::Status readCounter(bdb::OwnershipGroup& group, std::string_view name, uint64_t* value) {
  bdb::Value current;
  bdb::Status s = group.get(kMetaTable, bdb::Key::of(name), &current);
  if (s.isNotFound()) {
    *value = 0;
    return bdb::Status::ok();
  }
  if (s.isOk()) *value = current.as<idl::Counter>().getValue();
  return s;
}

}  // namespace

bdb::Status allocateId(bdb::WriteTxn& txn, std::string_view owner, std::string* id,
                       uint64_t* sequence) {
  uint64_t value = 0;
  if (bdb::Status s = txn.nextSequence(&value); !s.isOk()) return s;
  char digits[32];
  std::snprintf(digits, sizeof digits, "%09llu", static_cast<unsigned long long>(value));
  *id = std::string(owner) + "-" + digits;
  if (sequence != nullptr) *sequence = value;
  return bdb::Status::ok();
}

std::string_view ownerOf(std::string_view id) {
  size_t dash = id.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == id.size()) return {};
  for (char c : id.substr(dash + 1)) {
    if (c < '0' || c > '9') return {};
  }
  return id.substr(0, dash);
}

std::optional<uint64_t> sequenceOf(std::string_view id) {
  if (ownerOf(id).empty()) return std::nullopt;
  const std::string_view digits = id.substr(id.rfind('-') + 1);
  uint64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

bdb::Status recordReleasedThrough(bdb::WriteTxn& txn, uint64_t sequence) {
  capnp::MallocMessageBuilder message(8);
  message.initRoot<idl::Counter>().setValue(sequence);
  return txn.put(kMetaTable, bdb::Key::of("released"), message);
}

bdb::Status releasedThrough(bdb::OwnershipGroup& group, uint64_t* sequence) {
  return readCounter(group, "released", sequence);
}

}  // namespace triad::common
