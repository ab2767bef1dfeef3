#include "utilities/common/call_refusal.h"

#include <gtest/gtest.h>

namespace triad::common {
namespace {

TEST(CallRefusal, ARefusalWorthRetryingIsOverloaded) {
  for (idl::ErrorCode code : {idl::ErrorCode::UNAVAILABLE, idl::ErrorCode::NOT_REPLICATED}) {
    const kj::Exception e = callRefusal(code, "this replica is being re-initialised");
    EXPECT_EQ(e.getType(), kj::Exception::Type::OVERLOADED) << errorCodeName(code);
    EXPECT_TRUE(isTransient(code));
  }
}

TEST(CallRefusal, AnyOtherRefusalFailsAndNamesItsCode) {
  const kj::Exception e =
      callRefusal(idl::ErrorCode::SESSION_EXPIRED, "the session expired after 900 s");
  EXPECT_EQ(e.getType(), kj::Exception::Type::FAILED);
  EXPECT_EQ(std::string(e.getDescription().cStr()),
            "sessionExpired: the session expired after 900 s");
  EXPECT_FALSE(isTransient(idl::ErrorCode::INVALID_ARGUMENT));
}

TEST(CallRefusal, ACodeTheSchemaDoesNotKnowIsNamedUnknown) {
  EXPECT_EQ(errorCodeName(static_cast<idl::ErrorCode>(9999)), "unknown");
  EXPECT_EQ(errorCodeName(idl::ErrorCode::INSUFFICIENT_BUYING_POWER), "insufficientBuyingPower");
}

}  // namespace
}  // namespace triad::common
