// triad-bus-keys: makes the CURVE key pairs of a bus (brokers/bus_curve.h).
//
//   triad-bus-keys DIR firm-bus firm cf1 cf2 cf3 ss1 ss2
//
// For each NAME without a DIR/NAME.secret, writes NAME.secret (0600) and
// NAME.public; existing pairs are kept, so it is safe to run again after
// adding a utility. Give the broker's host firm-bus.secret and every
// client's .public; give each utility's host its own .secret and
// firm-bus.public. Exits 1 on any failure, 2 on bad arguments.

#include <filesystem>
#include <iostream>
#include <system_error>
#include <variant>

#include "brokers/bus_curve.h"

int main(int argc, char** argv) {
  if (argc < 3 || std::string_view(argv[1]) == "--help") {
    std::cerr << "usage: triad-bus-keys DIR NAME...  (NAME: firm-bus, or a utility id)\n";
    return argc >= 2 && std::string_view(argv[1]) == "--help" ? 0 : 2;
  }
  const std::filesystem::path folder = argv[1];
  std::error_code created;
  std::filesystem::create_directories(folder, created);
  if (created) {
    std::cerr << "triad-bus-keys: cannot create " << folder << ": " << created.message() << "\n";
    return 1;
  }
  for (int i = 2; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (name.empty() || name.find('/') != std::string_view::npos || name.front() == '.') {
      std::cerr << "triad-bus-keys: '" << name << "' is not a key name\n";
      return 2;
    }
    auto made = triad::brokers::ensureCurveKeyPair(folder, name);
    if (const auto* error = std::get_if<triad::brokers::CurveError>(&made)) {
      std::cerr << "triad-bus-keys: " << error->message << "\n";
      return 1;
    }
    std::cout << name << (std::get<bool>(made) ? " made" : " kept") << "\n";
  }
  return 0;
}
