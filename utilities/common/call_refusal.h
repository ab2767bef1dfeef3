// How a call refuses with an idl::ErrorCode, for the calls whose results have
// no error field (lists, reports, Admin): the call fails with a Cap'n Proto
// exception carrying "<code>: <reason>", typed so that a client can tell a
// refusal worth retrying from one that is not without reading its text.

#pragma once

#include <kj/exception.h>

#include <string_view>

#include "idl/customer.capnp.h"

namespace triad::common {

// "notReplicated", "insufficientBuyingPower", ...: the capnp enumerant name
// ("unknown" for a number the schema does not know).
std::string_view errorCodeName(idl::ErrorCode code);

// Whether the same call may succeed if made again shortly: the storage was
// busy or a replica is being re-initialised (unavailable), or no replica
// acknowledged in time (notReplicated).
bool isTransient(idl::ErrorCode code);

// The exception a call fails with: OVERLOADED when isTransient(code), which
// Cap'n Proto carries to the caller as its type; FAILED otherwise.
kj::Exception callRefusal(idl::ErrorCode code, std::string_view reason);

}  // namespace triad::common
