// TLS on the customer Gateways (issue 7, Security), the one piece the daemon
// and every client share: the command-line options naming the PEM files, the
// kj::TlsContext built from them, and a connection to a Gateway that goes
// through TLS when a context is given. scripts/make-ca makes the files.
//
// Server (triad-customerd):
//   --tls-cert FILE       the Gateway's certificate (PEM, leaf first, then any
//                         intermediates)
//   --tls-key FILE        its private key (PEM, unencrypted)
//   --tls-client-ca FILE  require a client certificate signed by this CA
// Client (triad-trader, triad-loadgen, tests):
//   --tls-ca FILE         trust this CA (only this: not the system's store)
//   --tls-cert/--tls-key  present this client certificate
//   --tls-server-name N   the name the Gateway's certificate must hold
//                         (default: the address dialled)
//
// A CA file may hold several CAs (old and new, during a rotation). TLS 1.2 at
// least. A file that cannot be read or parsed is an error naming
// the file (kj::Exception), never a fallback to plaintext.
//
// Thread-safety: a TlsContext is used on one event loop thread.

#pragma once

#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <optional>
#include <string>

namespace triad::common {

struct TlsServerFiles {
  std::string certificate{};
  std::string privateKey{};
  std::string clientCa{};  // empty: clients need no certificate
};

struct TlsClientFiles {
  std::string trustedCa{};
  std::string certificate{};  // with privateKey, or both empty
  std::string privateKey{};
  std::string serverName{};  // empty: the address dialled
};

void addTlsServerOptions(boost::program_options::options_description& options);
// Nothing when no --tls-* option is given; throws kj::Exception when they do
// not go together (a certificate without its key, a client CA without both).
std::optional<TlsServerFiles> tlsServerFilesFrom(
    const boost::program_options::variables_map& variables);

void addTlsClientOptions(boost::program_options::options_description& options);
// Nothing when no --tls-* option is given; throws kj::Exception when they do
// not go together (a client certificate without --tls-ca or its key).
std::optional<TlsClientFiles> tlsClientFilesFrom(
    const boost::program_options::variables_map& variables);

// The contexts; each reads its files now and throws naming a bad one.
kj::Own<kj::TlsContext> makeServerTls(const TlsServerFiles& files);
kj::Own<kj::TlsContext> makeClientTls(const TlsClientFiles& files);

// A client of a Gateway at host:port: its TLS (when given) and the name the
// server's certificate must hold.
struct GatewayDialer {
  kj::Maybe<kj::Own<kj::TlsContext>> tls;
  std::string serverName;  // empty: the host dialled

  static GatewayDialer fromFiles(const std::optional<TlsClientFiles>& files);
  // Connects; through TLS once the server's certificate checked out, when
  // `tls` is set. Fails (kj::Exception) if the handshake or the check fails.
  kj::Promise<kj::Own<kj::AsyncIoStream>> connect(kj::Network& network, kj::StringPtr host,
                                                  uint port);
};

}  // namespace triad::common
