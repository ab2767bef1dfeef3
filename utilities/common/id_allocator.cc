#include "utilities/common/id_allocator.h"

#include <capnp/message.h>

#include <cstdio>

#include "idl/records.capnp.h"

namespace triad::common {
namespace {
constexpr std::string_view kMetaTable = "_meta";
}

bdb::Status allocateId(bdb::WriteTxn& txn, std::string_view owner, std::string* id) {
  const bdb::Key key = bdb::Key::of("ids");
  uint64_t value = 0;
  bdb::Value current;
  bdb::Status s = txn.get(kMetaTable, key, &current);
  if (s.isOk()) {
    value = current.as<idl::Counter>().getValue();
  } else if (!s.isNotFound()) {
    return s;
  }
  capnp::MallocMessageBuilder message(8);
  message.initRoot<idl::Counter>().setValue(++value);
  if (s = txn.put(kMetaTable, key, message); !s.isOk()) return s;
  char digits[32];
  std::snprintf(digits, sizeof digits, "%09llu", static_cast<unsigned long long>(value));
  *id = std::string(owner) + "-" + digits;
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

}  // namespace triad::common
