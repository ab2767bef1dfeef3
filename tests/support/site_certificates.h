// Replication certificates for a test deployment (bdb/replication_transport.h
// authenticates every site with mutual TLS): a private CA and one
// certificate per site naming it (CN and DNS name), as scripts/make-ca
// --site issues them, made in-process with OpenSSL so tests need no tools.

#pragma once

#include <filesystem>
#include <map>
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

}  // namespace triad::testing
