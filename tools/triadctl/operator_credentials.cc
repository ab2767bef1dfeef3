#include "tools/triadctl/operator_credentials.h"

#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>

namespace triad::ctl {
namespace po = boost::program_options;

std::variant<OperatorCredentials, std::string> findOperatorCredentials(
    const OperatorCredentials& fromOptions, const GetEnv& getenv) {
  OperatorCredentials found = fromOptions;
  auto fromEnv = [&](std::string& field, const char* name) {
    if (!field.empty()) return;
    if (const char* value = getenv(name); value != nullptr) field = value;
  };
  fromEnv(found.certificate, "TRIAD_OPERATOR_CERT");
  fromEnv(found.privateKey, "TRIAD_OPERATOR_KEY");
  fromEnv(found.authority, "TRIAD_OPERATOR_CA");

  std::filesystem::path config;
  if (const char* named = getenv("TRIAD_OPERATOR_CONFIG"); named != nullptr && *named != 0) {
    config = named;
  } else if (const char* home = getenv("HOME"); home != nullptr && *home != 0) {
    config = std::filesystem::path(home) / ".triad" / "operator.conf";
  }
  if ((found.certificate.empty() || found.privateKey.empty() || found.authority.empty()) &&
      !config.empty() && std::filesystem::exists(config)) {
    std::string cert, key, ca;
    po::options_description keys;
    keys.add_options()("cert", po::value(&cert))("key", po::value(&key))("ca", po::value(&ca));
    po::variables_map vm;
    try {
      std::ifstream in(config);
      po::store(po::parse_config_file(in, keys), vm);
      po::notify(vm);
    } catch (const po::error& e) {
      return config.string() + ": " + e.what();
    }
    auto fromFile = [&](std::string& field, const std::string& value) {
      if (!field.empty() || value.empty()) return;
      const std::filesystem::path path(value);
      field = path.is_absolute() ? value : (config.parent_path() / path).string();
    };
    fromFile(found.certificate, cert);
    fromFile(found.privateKey, key);
    fromFile(found.authority, ca);
  }
  std::string missing;
  if (found.certificate.empty()) missing += " certificate (--cert, TRIAD_OPERATOR_CERT, cert =)";
  if (found.privateKey.empty()) missing += " key (--key, TRIAD_OPERATOR_KEY, key =)";
  if (found.authority.empty()) missing += " CA (--ca, TRIAD_OPERATOR_CA, ca =)";
  if (!missing.empty()) {
    return "Admin needs the operator's certificate; not found:" + missing +
           (config.empty() ? std::string() : "; config file " + config.string());
  }
  return found;
}

}  // namespace triad::ctl
