// Reads every field of a Cap'n Proto value through the dynamic API: each
// struct field (the union's active member included), each list element, each
// text and data byte. What a fuzz target calls so that a malformed pointer
// anywhere in a message is followed.

#pragma once

#include <capnp/dynamic.h>

#include <cstdint>

namespace triad::fuzz {

inline uint64_t visitAll(capnp::DynamicValue::Reader value) {
  uint64_t sum = 0;
  switch (value.getType()) {
    case capnp::DynamicValue::STRUCT: {
      capnp::DynamicStruct::Reader s = value.as<capnp::DynamicStruct>();
      for (capnp::StructSchema::Field field : s.getSchema().getNonUnionFields()) {
        sum += visitAll(s.get(field));
      }
      KJ_IF_MAYBE (active, s.which()) {
        sum += visitAll(s.get(*active));
      }
      break;
    }
    case capnp::DynamicValue::LIST:
      for (capnp::DynamicValue::Reader element : value.as<capnp::DynamicList>()) {
        sum += visitAll(element);
      }
      break;
    case capnp::DynamicValue::TEXT:
      for (char c : value.as<capnp::Text>()) sum += static_cast<unsigned char>(c);
      break;
    case capnp::DynamicValue::DATA:
      for (kj::byte b : value.as<capnp::Data>()) sum += b;
      break;
    case capnp::DynamicValue::ENUM:
      sum += value.as<capnp::DynamicEnum>().getRaw();
      break;
    case capnp::DynamicValue::INT:
      sum += static_cast<uint64_t>(value.as<int64_t>());
      break;
    case capnp::DynamicValue::UINT:
      sum += value.as<uint64_t>();
      break;
    case capnp::DynamicValue::BOOL:
      sum += value.as<bool>();
      break;
    default:
      break;
  }
  return sum;
}

}  // namespace triad::fuzz
