// Replication certificates for a test deployment (bdb/replication_transport.h
// authenticates every site with mutual TLS): a private CA and one
// certificate per site naming it (CN and DNS name), as scripts/make-ca
// --site issues them, made in-process with OpenSSL so tests need no tools.

#pragma once

#include <kj/compat/tls.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/topology.h"

namespace triad::testing {

struct IssuedCertificate {
  std::string certificate;  // PEM
  std::string privateKey;   // PEM
};

struct SiteCertificates {
  std::string authority;  // the CA's certificate, PEM
  std::map<std::string, IssuedCertificate> sites;
};

// A fresh CA and a certificate for each id. Throws std::runtime_error.
SiteCertificates issueSiteCertificates(const std::vector<std::string>& ids);

// Writes ca.crt and <id>.crt, <id>.key for every utility of `topology` into
// `folder` (the layout --replication-tls reads), unless ca.crt is there.
void makeSiteCertificates(const std::filesystem::path& folder, const topology::Topology& topology);

// ---- Admin (issue 17): the operators' CA, operators and daemons ----

// A private CA, in memory, that issues certificates named CN=name, DNS:name
// and DNS:<each of otherNames> (serverAuth and clientAuth). Thread-safe.
class CertificateAuthority {
 public:
  explicit CertificateAuthority(const std::string& name);
  ~CertificateAuthority();
  const std::string& certificate() const { return certificate_; }  // PEM
  IssuedCertificate issue(const std::string& name, const std::vector<std::string>& otherNames = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string certificate_;
};

// The operators' CA every test deployment of this process trusts for Admin,
// and the operator the test helpers call as (every role).
inline constexpr const char* kTestAdminOperator = "test-admin";
CertificateAuthority& testOperatorsAuthority();
const IssuedCertificate& testAdminOperator();

// The layout --admin-tls reads, unless ca.crt is there: ca.crt (the
// operators' CA above), <id>.crt and <id>.key for every utility and broker
// (naming its firm-side address too, so a test may dial it by address);
// operator-test-admin.crt and .key (for a program under test: triadctl,
// triad-loadgen); and operators.conf, the role map giving kTestAdminOperator
// every role.
void makeAdminCertificates(const std::filesystem::path& folder, const topology::Topology& topology);

// A client's TLS presenting `who` and trusting only `authority` (PEM).
kj::Own<kj::TlsContext> operatorTls(const IssuedCertificate& who, const std::string& authority);

}  // namespace triad::testing
