#include "tests/support/site_keys.h"

#include <stdexcept>
#include <variant>

#include "base/curve.h"

namespace triad::testing {

void makeSiteKeys(const std::filesystem::path& folder, const topology::Topology& topology) {
  for (const topology::Utility& utility : topology.utilities()) {
    auto made = base::ensureCurveKeyPair(folder, utility.id);
    if (auto* error = std::get_if<base::CurveError>(&made)) {
      throw std::runtime_error("cannot make the test's site keys: " + error->message);
    }
  }
}

}  // namespace triad::testing
