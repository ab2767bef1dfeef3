// Where triadctl finds the operator's certificate (issue 17): Admin speaks
// mutual TLS only, so every command presents the operator's certificate and
// key (scripts/make-ca --operator NAME) and trusts only the CA that issued
// the daemons' Admin certificates. Like kubectl and psql, each of the three
// files comes from the first of:
//
//   1. the options --cert, --key, --ca;
//   2. the environment: TRIAD_OPERATOR_CERT, TRIAD_OPERATOR_KEY, TRIAD_OPERATOR_CA;
//   3. a config file: $TRIAD_OPERATOR_CONFIG, else ~/.triad/operator.conf, with
//      lines `cert = FILE`, `key = FILE`, `ca = FILE` (a relative FILE is
//      relative to the config file's folder).
//
// A missing file is a usage error naming every place looked in.

#pragma once

#include <functional>
#include <string>
#include <variant>

namespace triad::ctl {

struct OperatorCredentials {
  std::string certificate;
  std::string privateKey;
  std::string authority;
};

using GetEnv = std::function<const char*(const char* name)>;

// `fromOptions` holds what the options gave (empty: not given). Returns the
// credentials or why they are not complete.
std::variant<OperatorCredentials, std::string> findOperatorCredentials(
    const OperatorCredentials& fromOptions, const GetEnv& getenv);

}  // namespace triad::ctl
