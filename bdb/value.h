// A record value read from a table: an owned, word-aligned copy of a Cap'n
// Proto message, decoded on demand.

#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>

#include <memory>
#include <string_view>

#include "bdb/status.h"

namespace triad::bdb {

class Value {
 public:
  Value() = default;
  Value(Value&&) = default;
  Value& operator=(Value&&) = default;

  // Copies `bytes`; Corruption if they cannot be a Cap'n Proto message.
  static Status fromBytes(std::string_view bytes, Value* value);

  // The record as a Cap'n Proto reader of type T (e.g. idl::Order). The
  // reader stays valid while this Value lives and is not reassigned.
  template <typename T>
  typename T::Reader as() const {
    return reader().getRoot<T>();
  }

  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(words_.begin()), words_.size() * sizeof(capnp::word)};
  }
  bool empty() const { return words_.size() == 0; }

 private:
  capnp::MessageReader& reader() const;

  kj::Array<capnp::word> words_;
  mutable std::unique_ptr<capnp::FlatArrayMessageReader> reader_;
};

}  // namespace triad::bdb
