#include "utilities/common/call_refusal.h"

#include <capnp/schema.h>
#include <kj/string.h>

namespace triad::common {

std::string_view errorCodeName(idl::ErrorCode code) {
  auto enumerants = capnp::Schema::from<idl::ErrorCode>().getEnumerants();
  const auto index = static_cast<uint16_t>(code);
  if (index >= enumerants.size()) return "unknown";
  auto name = enumerants[index].getProto().getName();
  return {name.begin(), name.size()};
}

bool isTransient(idl::ErrorCode code) {
  return code == idl::ErrorCode::UNAVAILABLE || code == idl::ErrorCode::NOT_REPLICATED;
}

kj::Exception callRefusal(idl::ErrorCode code, std::string_view reason) {
  const std::string_view name = errorCodeName(code);
  return kj::Exception(
      isTransient(code) ? kj::Exception::Type::OVERLOADED : kj::Exception::Type::FAILED, __FILE__,
      __LINE__,
      kj::str(kj::ArrayPtr<const char>(name.data(), name.size()), ": ",
              kj::ArrayPtr<const char>(reason.data(), reason.size())));
}

}  // namespace triad::common
