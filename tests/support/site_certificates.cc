#include "tests/support/site_certificates.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace triad::testing {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("issuing test certificates: ") + what);
}

Key newKey() {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  require(key != nullptr, "EC key generation");
  return key;
}

void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  require(extension != nullptr, "an extension");
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

// A certificate for `key` named `name`, signed by `issuerKey` as `issuer`
// (itself when null: the CA).
Cert sign(EVP_PKEY* key, const std::string& name, X509* issuer, EVP_PKEY* issuerKey, long serial,
          const std::vector<std::string>& otherNames = {}) {
  Cert cert(X509_new());
  require(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Triad test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (issuer == nullptr) {
    addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    addExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
    std::string names = "DNS:" + name;
    for (const std::string& other : otherNames) names += ",DNS:" + other;
    addExtension(cert.get(), signer, NID_subject_alt_name, names.c_str());
  }
  require(X509_sign(cert.get(), issuerKey != nullptr ? issuerKey : key, EVP_sha256()) > 0,
          "signing");
  return cert;
}

std::string pem(const std::function<int(BIO*)>& write) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  require(write(bio.get()) == 1, "PEM encoding");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

void writeIssued(const std::filesystem::path& folder, const std::string& name,
                 const IssuedCertificate& issued) {
  std::ofstream(folder / (name + ".crt")) << issued.certificate;
  std::ofstream(folder / (name + ".key")) << issued.privateKey;
  std::filesystem::permissions(folder / (name + ".key"), std::filesystem::perms::owner_read |
                                                             std::filesystem::perms::owner_write);
}

}  // namespace

struct CertificateAuthority::Impl {
  Key key;
  Cert cert;
  long serial = 2;
  std::mutex mutex;  // guards serial
};

CertificateAuthority::CertificateAuthority(const std::string& name) : impl_(new Impl) {
  impl_->key = newKey();
  impl_->cert = sign(impl_->key.get(), name, nullptr, nullptr, 1);
  certificate_ = pem([&](BIO* bio) { return PEM_write_bio_X509(bio, impl_->cert.get()); });
}

CertificateAuthority::~CertificateAuthority() = default;

IssuedCertificate CertificateAuthority::issue(const std::string& name,
                                              const std::vector<std::string>& otherNames) {
  long serial;
  {
    std::lock_guard lock(impl_->mutex);
    serial = impl_->serial++;
  }
  Key key = newKey();
  Cert cert = sign(key.get(), name, impl_->cert.get(), impl_->key.get(), serial, otherNames);
  return {pem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert.get()); }), pem([&](BIO* bio) {
            return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
          })};
}

CertificateAuthority& testOperatorsAuthority() {
  static CertificateAuthority* authority = new CertificateAuthority("Triad test operators CA");
  return *authority;
}

const IssuedCertificate& testAdminOperator() {
  static const IssuedCertificate* issued =
      new IssuedCertificate(testOperatorsAuthority().issue(kTestAdminOperator));
  return *issued;
}

void makeAdminCertificates(const std::filesystem::path& folder,
                           const topology::Topology& topology) {
  if (std::filesystem::exists(folder / "ca.crt")) return;
  std::filesystem::create_directories(folder);
  CertificateAuthority& authority = testOperatorsAuthority();
  for (const topology::Utility& utility : topology.utilities()) {
    writeIssued(folder, utility.id, authority.issue(utility.id, {utility.firmAddress}));
  }
  for (const topology::Broker& broker : topology.brokers()) {
    writeIssued(folder, broker.id, authority.issue(broker.id, {broker.firmAddress}));
  }
  std::ofstream(folder / "operators.conf")
      << "# the tests' operator: every role\n[" << kTestAdminOperator
      << "]\nroles = viewer, operator, treasury, admin\n";
  writeIssued(folder, std::string("operator-") + kTestAdminOperator, testAdminOperator());
  std::ofstream(folder / "ca.crt") << authority.certificate();
}

kj::Own<kj::TlsContext> operatorTls(const IssuedCertificate& who, const std::string& authority) {
  kj::TlsCertificate trusted(kj::StringPtr(authority.c_str()));
  kj::TlsKeypair keypair{kj::TlsPrivateKey(kj::StringPtr(who.privateKey.c_str())),
                         kj::TlsCertificate(kj::StringPtr(who.certificate.c_str()))};
  kj::TlsContext::Options options;
  options.useSystemTrustStore = false;
  options.trustedCertificates = kj::arrayPtr(&trusted, 1);
  options.defaultKeypair = keypair;
  return kj::heap<kj::TlsContext>(kj::mv(options));
}

SiteCertificates issueSiteCertificates(const std::vector<std::string>& ids) {
  SiteCertificates out;
  Key authorityKey = newKey();
  Cert authority = sign(authorityKey.get(), "Triad test CA", nullptr, nullptr, 1);
  out.authority = pem([&](BIO* bio) { return PEM_write_bio_X509(bio, authority.get()); });
  long serial = 2;
  for (const std::string& id : ids) {
    Key key = newKey();
    Cert cert = sign(key.get(), id, authority.get(), authorityKey.get(), serial++);
    out.sites[id] = {
        pem([&](BIO* bio) { return PEM_write_bio_X509(bio, cert.get()); }), pem([&](BIO* bio) {
          return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
        })};
  }
  return out;
}

void makeSiteCertificates(const std::filesystem::path& folder, const topology::Topology& topology) {
  if (std::filesystem::exists(folder / "ca.crt")) return;
  std::vector<std::string> ids;
  for (const topology::Utility& utility : topology.utilities()) ids.push_back(utility.id);
  const SiteCertificates issued = issueSiteCertificates(ids);
  std::filesystem::create_directories(folder);
  std::ofstream(folder / "ca.crt") << issued.authority;
  for (const auto& [id, site] : issued.sites) {
    std::ofstream(folder / (id + ".crt")) << site.certificate;
    std::ofstream(folder / (id + ".key")) << site.privateKey;
    std::filesystem::permissions(folder / (id + ".key"), std::filesystem::perms::owner_read |
                                                             std::filesystem::perms::owner_write);
  }
}

}  // namespace triad::testing
