// triad-loadgen: drives many customer sessions across the customer utilities
// and reports throughput and latency (issue 8).
//
//   triad-loadgen --topology T --utilities cf1,cf2,cf3
//                 [--setup | --accounts id:secret,... [--probe id:secret]]
//                 (--concurrency N | --rate R) (--duration S | --orders N)
//                 [--mix buy=45,sell=45,cancel=5,status=5] [--sessions N]
//                 [--drain] [--json] [--samples-out FILE]
//                 [--tls-ca FILE [--tls-cert FILE --tls-key FILE]]  (TLS to the Gateways)
//                 [--admin-ca FILE --admin-cert FILE --admin-key FILE]
//                                  (the operator's certificate for the firm's Admin)
//
// Closed loop (--concurrency N): N workers, each with one operation in
// flight. Open loop (--rate R): operations are sent when due whatever is in
// flight, and latency is counted from when each was due. A live progress line
// goes to stderr; the report to stdout (--json: one JSON object).
// Exit codes: 0 ran without errors; 1 ran, some operations failed; 2 bad
// usage; 3 cannot connect, set up or log in.

#include <kj/async-io.h>

#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "base/topology.h"
#include "exchange/decimal_text.h"
#include "tools/triad-loadgen/load_driver.h"
#include "tools/triad-loadgen/load_report.h"
#include "utilities/common/tls_options.h"

namespace po = boost::program_options;
using namespace triad;

namespace {

constexpr int kErrors = 1;
constexpr int kUsage = 2;
constexpr int kUnreachable = 3;

int usage(const std::string& message) {
  std::cerr << "triad-loadgen: " << message << "\n";
  return kUsage;
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

std::optional<loadgen::AccountLogin> parseLogin(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return std::nullopt;
  return loadgen::AccountLogin{text.substr(0, colon), text.substr(colon + 1)};
}

}  // namespace

int main(int argc, char** argv) {
  loadgen::LoadOptions options;
  options.topologyPath = "/etc/triad/topology.conf";
  std::string utilities = "cf1,cf2,cf3", accounts, probe, mix, price = "100.00", samplesOut;
  po::options_description described("triad-loadgen options");
  described.add_options()("help", "show this help")("topology", po::value(&options.topologyPath),
                                                    "the topology file")(
      "utilities", po::value(&utilities), "customer utilities to spread sessions over")(
      "setup", po::bool_switch(&options.setup),
      "create accounts through the firm's Admin, deposit, route every symbol, buy inventory")(
      "account-count", po::value(&options.accountCount), "--setup: how many accounts")(
      "account-prefix", po::value(&options.accountPrefix), "--setup: account ids' prefix")(
      "street", po::value(&options.street), "--setup: route every symbol to this street utility")(
      "venue", po::value(&options.venue), "--setup: ... at this venue")(
      "inventory", po::value(&options.inventory), "--setup: shares each account holds to sell")(
      "accounts", po::value(&accounts), "id:secret,... (instead of --setup)")(
      "probe", po::value(&probe), "id:secret of an account used only for sampling")(
      "symbol", po::value(&options.symbol), "the symbol traded")(
      "price", po::value(&price), "the symbol's reference price at the venue")(
      "quantity", po::value(&options.quantity), "shares per order")(
      "sessions", po::value(&options.sessions), "logins (default: one per worker; 16 open loop)")(
      "concurrency", po::value(&options.concurrency), "closed loop: operations in flight")(
      "rate", po::value(&options.rate), "open loop: operations per second")(
      "max-in-flight", po::value(&options.maxInFlight), "open loop: cap on operations in flight")(
      "duration", po::value(&options.durationSeconds), "seconds to run")(
      "orders", po::value(&options.orders), "operations to run (instead of --duration)")(
      "mix", po::value(&mix), "weights, e.g. buy=45,sell=45,cancel=5,status=5")(
      "probe-interval-ms", po::value(&options.probeIntervalMs),
      "one sampled order per interval (0: none)")(
      "drain", po::bool_switch(&options.drain),
      "after the run, wait until every order is final and the firm's verify is clean")(
      "drain-timeout", po::value(&options.drainTimeoutSeconds), "seconds --drain may take")(
      "json", po::bool_switch(&options.json), "print the report as JSON")(
      "samples-out", po::value(&samplesOut), "write every placeOrder latency (ms) to this file")(
      "no-progress", "no live progress line");
  common::addTlsClientOptions(described);
  std::string adminCa, adminCert, adminKey;
  described.add_options()(
      "admin-ca", po::value(&adminCa),
      "the CA of the daemons' Admin certificates (--setup, --drain: Admin is mutual TLS)")(
      "admin-cert", po::value(&adminCert), "the operator's certificate for Admin")(
      "admin-key", po::value(&adminKey), "the operator's key for Admin");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, described), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return usage(e.what());
  }
  if (vm.count("help")) {
    std::cout << described << "\n";
    return 0;
  }
  options.progress = !vm.count("no-progress");
  options.utilities = splitList(utilities);
  KJ_IF_MAYBE (bad,
               kj::runCatchingExceptions([&] { options.tls = common::tlsClientFilesFrom(vm); })) {
    return usage(bad->getDescription().cStr());
  }
  if (!adminCa.empty() || !adminCert.empty() || !adminKey.empty()) {
    if (adminCa.empty() || adminCert.empty() || adminKey.empty()) {
      return usage("--admin-ca, --admin-cert and --admin-key go together");
    }
    options.adminTls = common::TlsClientFiles{
        .trustedCa = adminCa, .certificate = adminCert, .privateKey = adminKey};
  }
  if (!mix.empty()) {
    if (auto fault = loadgen::parseMix(mix, options.mix)) return usage(*fault);
  }
  if (!exchange::parseDecimalMicros(price, options.referencePriceMicros)) {
    return usage("--price must be a decimal like 100.00");
  }
  if ((options.concurrency > 0) == (options.rate > 0)) {
    return usage("give exactly one of --concurrency N and --rate R");
  }
  if (options.quantity <= 0) return usage("--quantity must be positive");
  for (const std::string& text : splitList(accounts)) {
    auto login = parseLogin(text);
    if (!login) return usage("--accounts wants id:secret, not '" + text + "'");
    options.accounts.push_back(*login);
  }
  if (!probe.empty()) {
    options.probe = parseLogin(probe);
    if (!options.probe) return usage("--probe wants id:secret");
  }
  if (!options.setup && options.accounts.empty()) return usage("give --setup or --accounts");

  auto loaded = topology::Topology::load(options.topologyPath);
  if (auto* error = std::get_if<topology::TopologyError>(&loaded)) return usage(error->message);
  const topology::Topology topology = std::get<topology::Topology>(std::move(loaded));

  kj::AsyncIoContext io = kj::setupAsyncIo();
  loadgen::LoadResult result;
  try {
    loadgen::LoadDriver driver(io, topology, options);
    if (options.setup) driver.setUp();
    result = driver.run();
  } catch (const std::exception& e) {
    std::cerr << "triad-loadgen: " << e.what() << "\n";
    return kUnreachable;
  } catch (const kj::Exception& e) {
    std::cerr << "triad-loadgen: " << e.getDescription().cStr() << "\n";
    return kUnreachable;
  }
  if (!samplesOut.empty()) {
    std::ofstream out(samplesOut);
    for (int64_t ns : result.place.samples()) out << static_cast<double>(ns) / 1e6 << "\n";
  }
  if (options.json) {
    loadgen::printJson(std::cout, result);
  } else {
    loadgen::printText(std::cout, result);
  }
  return result.errors.empty() ? 0 : kErrors;
}
