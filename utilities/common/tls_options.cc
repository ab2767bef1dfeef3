#include "utilities/common/tls_options.h"

#include <kj/debug.h>
#include <kj/vector.h>

#include <fstream>
#include <sstream>

namespace triad::common {

namespace po = boost::program_options;

namespace {

std::string optionOf(const po::variables_map& variables, const char* name) {
  return variables.count(name) ? variables[name].as<std::string>() : std::string();
}

// The whole file, or an exception naming it.
kj::String readPem(const std::string& path, const char* what) {
  std::ifstream in(path);
  KJ_REQUIRE(in.good(), "cannot read the TLS file", what, path);
  std::ostringstream text;
  text << in.rdbuf();
  KJ_REQUIRE(!text.str().empty(), "the TLS file is empty", what, path);
  return kj::str(text.str().c_str());
}

// Parses with kj's OpenSSL wrappers; their errors say what but not which file.
template <typename T>
T parsePem(const std::string& path, const char* what) {
  kj::String pem = readPem(path, what);
  kj::Maybe<T> parsed;
  KJ_IF_MAYBE (failed, kj::runCatchingExceptions([&] { parsed = T(pem); })) {
    KJ_FAIL_REQUIRE("cannot parse the TLS file", what, path, failed->getDescription());
  }
  return kj::mv(KJ_ASSERT_NONNULL(parsed));
}

// Every certificate in a CA file: kj trusts only the first of a chain, and a
// bundle (old and new CA, during a rotation) is a list of CAs, not a chain.
kj::Array<kj::TlsCertificate> parseCaBundle(const std::string& path, const char* what) {
  const std::string pem = readPem(path, what).cStr();
  static constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  kj::Vector<kj::TlsCertificate> certificates;
  size_t from = 0;
  for (size_t end; (end = pem.find(kEnd, from)) != std::string::npos; from = end + kEnd.size()) {
    const std::string one = pem.substr(from, end + kEnd.size() - from);
    KJ_IF_MAYBE (failed, kj::runCatchingExceptions([&] {
                   certificates.add(kj::TlsCertificate(kj::StringPtr(one.c_str())));
                 })) {
      KJ_FAIL_REQUIRE("cannot parse the TLS file", what, path, failed->getDescription());
    }
  }
  KJ_REQUIRE(certificates.size() > 0, "no certificate in the TLS file", what, path);
  return certificates.releaseAsArray();
}

kj::TlsContext::Options baseOptions() {
  kj::TlsContext::Options options;
  // Only the CA a deployment names is trusted: its own private one.
  options.useSystemTrustStore = false;
  options.minVersion = kj::TlsVersion::TLS_1_2;
  return options;
}

}  // namespace

void addTlsServerOptions(po::options_description& options) {
  options.add_options()("tls-cert", po::value<std::string>(),
                        "serve the Gateway over TLS with this certificate (PEM); "
                        "plaintext is then refused")("tls-key", po::value<std::string>(),
                                                     "the private key of --tls-cert (PEM)")(
      "tls-client-ca", po::value<std::string>(),
      "require a client certificate signed by this CA (PEM)");
}

std::optional<TlsServerFiles> tlsServerFilesFrom(const po::variables_map& variables) {
  TlsServerFiles files{optionOf(variables, "tls-cert"), optionOf(variables, "tls-key"),
                       optionOf(variables, "tls-client-ca")};
  if (files.certificate.empty() && files.privateKey.empty() && files.clientCa.empty()) {
    return std::nullopt;
  }
  KJ_REQUIRE(!files.certificate.empty() && !files.privateKey.empty(),
             "--tls-cert and --tls-key go together (and --tls-client-ca needs both)");
  return files;
}

void addTlsClientOptions(po::options_description& options) {
  options.add_options()("tls-ca", po::value<std::string>(),
                        "connect over TLS, trusting this CA (PEM) for the Gateway's certificate")(
      "tls-cert", po::value<std::string>(), "with --tls-ca: present this client certificate")(
      "tls-key", po::value<std::string>(), "the private key of --tls-cert (PEM)")(
      "tls-server-name", po::value<std::string>(),
      "the name the Gateway's certificate must hold (default: the address dialled)");
}

std::optional<TlsClientFiles> tlsClientFilesFrom(const po::variables_map& variables) {
  TlsClientFiles files{optionOf(variables, "tls-ca"), optionOf(variables, "tls-cert"),
                       optionOf(variables, "tls-key"), optionOf(variables, "tls-server-name")};
  if (files.trustedCa.empty()) {
    KJ_REQUIRE(files.certificate.empty() && files.privateKey.empty() && files.serverName.empty(),
               "--tls-cert, --tls-key and --tls-server-name need --tls-ca");
    return std::nullopt;
  }
  KJ_REQUIRE(files.certificate.empty() == files.privateKey.empty(),
             "--tls-cert and --tls-key go together");
  return files;
}

namespace {

// The context for `options` (it takes its own references to the key and
// the certificates); a key that does not suit its certificate names both.
kj::Own<kj::TlsContext> contextOf(kj::TlsContext::Options options, const std::string& keyFile,
                                  const std::string& certificateFile) {
  kj::Own<kj::TlsContext> context;
  KJ_IF_MAYBE (failed, kj::runCatchingExceptions(
                           [&] { context = kj::heap<kj::TlsContext>(kj::mv(options)); })) {
    KJ_FAIL_REQUIRE("the TLS key does not suit the certificate", keyFile, certificateFile,
                    failed->getDescription());
  }
  return context;
}

}  // namespace

kj::Own<kj::TlsContext> makeServerTls(const TlsServerFiles& files) {
  kj::TlsKeypair keypair{parsePem<kj::TlsPrivateKey>(files.privateKey, "--tls-key"),
                         parsePem<kj::TlsCertificate>(files.certificate, "--tls-cert")};
  kj::Array<kj::TlsCertificate> clientCas;
  kj::TlsContext::Options options = baseOptions();
  options.defaultKeypair = keypair;
  if (!files.clientCa.empty()) {
    clientCas = parseCaBundle(files.clientCa, "--tls-client-ca");
    options.trustedCertificates = clientCas;
    options.verifyClients = true;
  }
  return contextOf(kj::mv(options), files.privateKey, files.certificate);
}

kj::Own<kj::TlsContext> makeClientTls(const TlsClientFiles& files) {
  kj::Array<kj::TlsCertificate> cas = parseCaBundle(files.trustedCa, "--tls-ca");
  kj::Maybe<kj::TlsKeypair> keypair;
  kj::TlsContext::Options options = baseOptions();
  options.trustedCertificates = cas;
  if (!files.certificate.empty()) {
    keypair = kj::TlsKeypair{parsePem<kj::TlsPrivateKey>(files.privateKey, "--tls-key"),
                             parsePem<kj::TlsCertificate>(files.certificate, "--tls-cert")};
    options.defaultKeypair = KJ_ASSERT_NONNULL(keypair);
  }
  return contextOf(kj::mv(options), files.privateKey, files.certificate);
}

GatewayDialer GatewayDialer::fromFiles(const std::optional<TlsClientFiles>& files) {
  GatewayDialer dialer;
  if (files) {
    dialer.tls = makeClientTls(*files);
    dialer.serverName = files->serverName;
  }
  return dialer;
}

kj::Promise<kj::Own<kj::AsyncIoStream>> GatewayDialer::connect(kj::Network& network,
                                                               kj::StringPtr host, uint port) {
  auto connected = network.parseAddress(host, port).then([](kj::Own<kj::NetworkAddress> address) {
    return address->connect();
  });
  KJ_IF_MAYBE (context, tls) {
    kj::TlsContext& tlsContext = **context;
    std::string name = serverName.empty() ? std::string(host.cStr()) : serverName;
    return connected.then([&tlsContext, name = kj::mv(name)](kj::Own<kj::AsyncIoStream> stream) {
      return tlsContext.wrapClient(kj::mv(stream), name.c_str());
    });
  }
  return connected;
}

}  // namespace triad::common
