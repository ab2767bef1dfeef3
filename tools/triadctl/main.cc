// triadctl: the operator's console (issue 6). Speaks Admin to the daemons on
// the firm-side network, at the addresses the topology gives; main only
// reads the options and hands the command to its part:
//
//   status                    status_report.h   every daemon and every group
//   bus                       bus_report.h      bus subscribers' sequences
//   orders                    orders_report.h   search orders in all groups
//   accounts, deposit, ...    firm_commands.h   the firm's books
//
// Every command prints a table (or a line) by default and its data as JSON
// with --json; errors are one line on stderr. Exit codes: outcome.h.

#include <kj/async-io.h>
#include <unistd.h>

#include <boost/algorithm/string/classification.hpp>
#include <boost/algorithm/string/split.hpp>
#include <boost/program_options.hpp>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "base/topology.h"
#include "tools/triadctl/bus_report.h"
#include "tools/triadctl/command_options.h"
#include "tools/triadctl/firm_commands.h"
#include "tools/triadctl/operator_credentials.h"
#include "tools/triadctl/orders_report.h"
#include "tools/triadctl/outcome.h"
#include "tools/triadctl/status_report.h"
#include "utilities/common/tls_options.h"

namespace po = boost::program_options;
using namespace triad;
using namespace triad::ctl;

namespace {

constexpr const char* kUsage = R"(usage: triadctl [options] COMMAND [ARGS...]

Commands:
  status                       every daemon (up/down, version, uptime) and every
                               ownership group at every site (role, master, LSN,
                               lag), then the alarms
  bus                          each utility's bus subscriber: per publisher the
                               last sequence, gaps, duplicates, catch-ups
  orders [--account A] [--symbol S] [--status STATE] [--utility ID]
                               search orders across every customer group; STATE
                               is a status name, open or done
  accounts                     list the firm's accounts
  accounts create ID --secret S [--name N] [--currency C]
  accounts limits ID [--max-notional X] [--max-position N] [--symbols A,B]
                     [--allow-short]
  deposit ACCOUNT AMOUNT | withdraw ACCOUNT AMOUNT   [--currency C] [--reference R]
  route SYMBOL STREET VENUE [--last PRICE]    set the venue route ('*': default)
  routes                       the venue routing table
  halt SYMBOL REASON | resume SYMBOL
  settle [YYYYMMDD]            settle trades through that date (default: yesterday)
  verify                       check the firm's books (its invariants; every
                               operator's posting and halt has its audit entry)
  audit [--operator NAME] [--account A] [--call METHOD] [--from T] [--to T]
        [--limit N] [--utility ID]
                               the operators' audit trail (T: UTC
                               YYYY-MM-DDTHH:MM:SS); any site can answer
  whoami [--utility ID]        the name and roles a daemon sees for your certificate
  withdrawals [all] [--account A]
                               withdrawal requests waiting for a second treasury
                               operator (all: decided and expired ones too)
  approve REQUEST | reject REQUEST [REASON]
                               decide a withdrawal request (approve: not your own)

Exit codes (for scripts and monitoring):
  0  done; status/bus: every daemon up and caught up; verify: clean
  1  refused by the daemon, or status/bus/verify found something wrong
  2  bad usage: unknown command, bad option or argument, refused topology
  3  the daemon the command needs (the firm; for orders a customer utility)
     did not answer within --timeout-ms (firm writes: 30 s)

A daemon that does not answer within --timeout-ms is shown as down.

Admin is mutual TLS: triadctl presents the operator's certificate, from
--cert/--key/--ca, else TRIAD_OPERATOR_CERT/_KEY/_CA, else the config file
$TRIAD_OPERATOR_CONFIG or ~/.triad/operator.conf (cert =, key =, ca =). A call
the operator's roles do not allow is refused: permission-denied, exit 1.
)";

// Prints the outcome and returns its exit code.
int report(const std::string& command, Outcome outcome, bool json) {
  if (json) {
    if (outcome.data.is_object()) {
      if (!outcome.data.contains("command")) outcome.data["command"] = command;
      outcome.data["exitCode"] = outcome.exitCode;
      if (!outcome.error.empty()) outcome.data["error"] = outcome.error;
    }
    std::cout << outcome.data.dump(2) << std::endl;
  } else {
    std::cout << outcome.text << std::flush;
  }
  if (!outcome.error.empty()) std::cerr << "triadctl: " << outcome.error << std::endl;
  return outcome.exitCode;
}

}  // namespace

int main(int argc, char** argv) {
  std::string topologyPath = "/etc/triad/topology.conf", symbols, maxNotional;
  int timeoutMs = 1500;
  int64_t maxPosition = 0;
  CommandOptions options;
  OperatorCredentials credentials;
  std::vector<std::string> command;
  po::options_description described("Options");
  described.add_options()           //
      ("help,h", "show this help")  //
      ("topology", po::value(&topologyPath),
       "the topology file (default /etc/triad/topology.conf)")(
          "json", "print the command's data as JSON")  //
      ("timeout-ms", po::value(&timeoutMs), "how long to wait for a daemon (default 1500)")(
          "max-lag", po::value(&options.maxLagRecords),
          "status: records a replica may lag before it alarms (default 0)")  //
      ("secret", po::value(&options.secret), "accounts create: the account's secret")(
          "name", po::value(&options.name), "accounts create: the holder's name")(
          "currency", po::value(&options.currency), "currency (default USD)")(
          "reference", po::value(&options.reference),
          "deposit/withdraw: the posting's reference (default: a new one); reusing it never "
          "posts twice")("last", po::value(&options.last),
                         "route: reference price for market-order reservations")(
          "max-notional", po::value(&maxNotional),
          "accounts limits: largest order value (0: none)")(
          "max-position", po::value(&maxPosition), "accounts limits: largest position (0: none)")(
          "symbols", po::value(&symbols), "accounts limits: the symbols allowed, comma-separated")(
          "allow-short", "accounts limits: allow short sales")  //
      ("account", po::value(&options.account), "orders: only this account's")(
          "symbol", po::value(&options.symbol), "orders: only this symbol's")(
          "status", po::value(&options.status), "orders: only this status (or open, done)")(
          "utility", po::value(&options.utility), "orders, audit, whoami: ask this utility")(
          "operator", po::value(&options.operatorName), "audit: only this operator's")(
          "call", po::value(&options.call), "audit: only this Admin method's (deposit, halt...)")(
          "from", po::value(&options.from), "audit: from this time (UTC)")(
          "to", po::value(&options.to), "audit: up to this time (UTC)")(
          "limit", po::value(&options.limit), "audit: the latest N entries (default 1000)")(
          "command", po::value(&command), "the command and its arguments")  //
      ("cert", po::value(&credentials.certificate), "the operator's certificate (PEM)")(
          "key", po::value(&credentials.privateKey), "the operator's private key (PEM)")(
          "ca", po::value(&credentials.authority),
          "the CA that issued the daemons' Admin certificates (PEM)");
  po::positional_options_description positional;
  positional.add("command", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(described).positional(positional).run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "triadctl: " << e.what() << " (see triadctl --help)\n";
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << described << std::endl;
    return kExitOk;
  }
  if (command.empty()) {
    std::cerr << kUsage << "\n" << described << std::endl;
    return kExitUsage;
  }
  const bool json = vm.count("json") > 0;
  const std::string& verb = command[0];
  if (timeoutMs <= 0) return report(verb, failure(kExitUsage, "--timeout-ms must be > 0"), json);
  options.timeout = timeoutMs * kj::MILLISECONDS;
  if (vm.count("max-notional")) options.maxNotional = maxNotional;
  if (vm.count("max-position")) options.maxPosition = maxPosition;
  if (!symbols.empty()) boost::split(options.allowedSymbols, symbols, boost::is_any_of(","));
  options.allowShort = vm.count("allow-short") > 0;

  auto loaded = topology::Topology::load(topologyPath);
  if (auto* error = std::get_if<topology::TopologyError>(&loaded)) {
    return report(verb, failure(kExitUsage, error->message), json);
  }
  const auto& topology = std::get<topology::Topology>(loaded);
  kj::AsyncIoContext io = kj::setupAsyncIo();

  auto found =
      findOperatorCredentials(credentials, [](const char* name) { return ::getenv(name); });
  if (auto* why = std::get_if<std::string>(&found)) {
    return report(verb, failure(kExitUsage, *why), json);
  }
  const auto& files = std::get<OperatorCredentials>(found);
  kj::Own<kj::TlsContext> tls;
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] {
                 tls = common::makeClientTls(common::TlsClientFiles{
                     .trustedCa = files.authority,
                     .certificate = files.certificate,
                     .privateKey = files.privateKey,
                 });
               })) {
    return report(verb, failure(kExitUsage, exception->getDescription().cStr()), json);
  }
  options.tls = tls.get();

  if (verb == "status" && command.size() == 1) {
    StatusInput input = gatherStatus(io, topology, options.timeout, options.tls);
    input.maxLagRecords = options.maxLagRecords;
    return report(verb, statusReport(topology, input), json);
  }
  if (verb == "bus" && command.size() == 1) {
    return report(verb, busReport(topology, gatherBus(io, topology, options.timeout, options.tls)),
                  json);
  }
  if (verb == "orders" && command.size() == 1) {
    return report(verb, ordersReport(io, topology, options), json);
  }
  if (isFirmCommand(verb))
    return report(verb, runFirmCommand(io, topology, command, options), json);
  if (verb == "status" || verb == "bus" || verb == "orders") {
    return report(verb, failure(kExitUsage, "'" + verb + "' takes no arguments (see --help)"),
                  json);
  }
  return report(verb, failure(kExitUsage, "unknown command '" + verb + "' (see triadctl --help)"),
                json);
}
