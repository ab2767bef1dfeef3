#include "utilities/common/tls_options.h"

#include <gtest/gtest.h>

#include <boost/program_options/parsers.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace triad::common {
namespace {

namespace po = boost::program_options;

po::variables_map parse(std::vector<std::string> args, bool server) {
  po::options_description options;
  if (server) {
    addTlsServerOptions(options);
  } else {
    addTlsClientOptions(options);
  }
  args.insert(args.begin(), "test");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  po::variables_map variables;
  po::store(po::parse_command_line(static_cast<int>(argv.size()), argv.data(), options), variables);
  return variables;
}

// The exception's description, or "" when `f` does not throw.
template <typename F>
std::string failureOf(F&& f) {
  KJ_IF_MAYBE (failed, kj::runCatchingExceptions(kj::fwd<F>(f))) {
    return failed->getDescription().cStr();
  }
  return "";
}

TEST(TlsOptionsTest, NoOptionsMeansPlaintext) {
  EXPECT_FALSE(tlsServerFilesFrom(parse({}, true)).has_value());
  EXPECT_FALSE(tlsClientFilesFrom(parse({}, false)).has_value());
}

TEST(TlsOptionsTest, ServerOptionsGoTogether) {
  auto files = tlsServerFilesFrom(
      parse({"--tls-cert", "c.crt", "--tls-key", "c.key", "--tls-client-ca", "ca.crt"}, true));
  ASSERT_TRUE(files.has_value());
  EXPECT_EQ(files->certificate, "c.crt");
  EXPECT_EQ(files->privateKey, "c.key");
  EXPECT_EQ(files->clientCa, "ca.crt");
  for (const std::vector<std::string>& partial : std::vector<std::vector<std::string>>{
           {"--tls-cert", "c.crt"}, {"--tls-key", "c.key"}, {"--tls-client-ca", "ca.crt"}}) {
    EXPECT_NE(failureOf([&] { tlsServerFilesFrom(parse(partial, true)); }).find("go together"),
              std::string::npos)
        << partial[0];
  }
}

TEST(TlsOptionsTest, ClientOptionsGoTogether) {
  auto files = tlsClientFilesFrom(parse({"--tls-ca", "ca.crt"}, false));
  ASSERT_TRUE(files.has_value());
  EXPECT_EQ(files->trustedCa, "ca.crt");
  EXPECT_TRUE(files->certificate.empty());
  EXPECT_NE(failureOf([&] {
              tlsClientFilesFrom(parse({"--tls-cert", "a.crt"}, false));
            }).find("need --tls-ca"),
            std::string::npos);
  EXPECT_NE(failureOf([&] {
              tlsClientFilesFrom(parse({"--tls-ca", "ca", "--tls-cert", "a"}, false));
            }).find("go together"),
            std::string::npos);
}

TEST(TlsOptionsTest, BadFilesAreErrorsNamingTheFile) {
  testing::TempDir dir;
  const std::string missing = (dir / "missing.crt").string();
  const std::string garbage = (dir / "garbage.crt").string();
  std::ofstream(garbage) << "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";

  std::string failure = failureOf([&] { makeClientTls({.trustedCa = missing}); });
  EXPECT_NE(failure.find("cannot read the TLS file"), std::string::npos) << failure;
  EXPECT_NE(failure.find(missing), std::string::npos) << failure;

  failure = failureOf([&] { makeClientTls({.trustedCa = garbage}); });
  EXPECT_NE(failure.find("cannot parse the TLS file"), std::string::npos) << failure;
  EXPECT_NE(failure.find(garbage), std::string::npos) << failure;

  failure = failureOf(
      [&] { makeServerTls({.certificate = garbage, .privateKey = missing, .clientCa = ""}); });
  EXPECT_NE(failure.find(missing), std::string::npos) << failure;
}

}  // namespace
}  // namespace triad::common
