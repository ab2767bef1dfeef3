// triad-exchanged: an exchange simulator (DESIGN §1). A FIX acceptor on the
// exchange's firm-side address from the topology, with one session per
// street utility that lists this venue, in front of a price-time matching
// engine kept populated by a liquidity provider.
//
//   triad-exchanged --topology /etc/triad/topology.conf --id xnys --data /var/lib/triad/xnys
//
// --data holds the FIX sessions' message stores (fix-store/), their logs
// (fix-log/) and the run counter that keeps ExecIDs unique across restarts.
// Symbols and their reference prices come from `symbol` options (see
// symbol_config.h), given on the command line or in a --symbols file;
// without any, a default handful is listed.
//
// DAY orders expire at --day-end (UTC) every day, or at once on SIGUSR1.
// Prints one line when listening (what systemd's journal and tests wait
// for), one per expiry, and exits 0 on SIGTERM or SIGINT after logging the
// sessions out. Exits 1 if the topology, the data folder or the address is
// refused, 2 on bad options.
//
// Venue modes: each of --only-limit-day, --no-cancel, --no-status-requests,
// --ignore-poss-resend, --exec-ids-restart and --no-market-data makes the
// simulator behave as some real venue does (venue.h, VenueRules; README.md),
// so that a street utility can be tested against it. None is the default.
//
// Under systemd (Type=notify, packaging/systemd/triad-exchanged@.service):
// READY=1 once the FIX acceptor listens, WATCHDOG=1 at half of WatchdogSec=
// from the thread that takes the signals, STOPPING=1 on the way down.

#include <signal.h>

#include <boost/program_options.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/systemd_notifier.h"
#include "base/topology.h"
#include "exchange/fix_venue.h"
#include "exchange/run_counter.h"
#include "exchange/symbol_config.h"
#include "exchange/venue.h"

namespace {

namespace po = boost::program_options;
using triad::base::SystemdNotifier;
using triad::exchange::FixVenue;
using triad::exchange::FixVenueConfig;
using triad::exchange::SymbolLiquidity;
using triad::exchange::Venue;
using triad::exchange::VenueOptions;
using triad::exchange::VenueRules;
using triad::topology::Role;
using triad::topology::Topology;
using triad::topology::TopologyError;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kSecondsPerDay = 24 * 60 * 60;

struct Options {
  std::string topologyPath;
  std::string id;
  std::filesystem::path data;
  std::vector<SymbolLiquidity> symbols;
  int dayEndSecond;  // seconds after midnight UTC
  VenueRules rules;
};

// "HH:MM" or "HH:MM:SS", UTC, as seconds after midnight.
std::optional<int> parseTimeOfDay(const std::string& text) {
  if (text.size() != 5 && text.size() != 8) return std::nullopt;
  int parts[3] = {0, 0, 0};
  for (size_t i = 0; i < text.size(); ++i) {
    if (i % 3 == 2) {
      if (text[i] != ':') return std::nullopt;
    } else if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    } else {
      parts[i / 3] = parts[i / 3] * 10 + (text[i] - '0');
    }
  }
  if (parts[0] > 23 || parts[1] > 59 || parts[2] > 59) return std::nullopt;
  return parts[0] * 3600 + parts[1] * 60 + parts[2];
}

std::optional<Options> usageError(const std::string& message, int& exitCode) {
  std::cerr << "triad-exchanged: " << message << " (see --help)\n";
  exitCode = kExitUsage;
  return std::nullopt;
}

// nullopt after printing help (exit 0) or an error (exit kExitUsage).
std::optional<Options> parseOptions(int argc, char** argv, int& exitCode) {
  po::options_description described("triad-exchanged: a FIX exchange simulator");
  described.add_options()("help,h", "print this help")(
      "topology", po::value<std::string>()->default_value("/etc/triad/topology.conf"),
      "the topology file (INI)")("id", po::value<std::string>(),
                                 "this exchange's id in the topology")(
      "data", po::value<std::string>(), "folder for the FIX message stores, logs and run counter")(
      "symbol", po::value<std::vector<std::string>>()->composing(),
      "a listed symbol: SYMBOL REFERENCE [TICK [LEVELS [QUANTITY]]] (repeatable)")(
      "symbols", po::value<std::string>(), "read `symbol = ...` lines from this file")(
      "day-end", po::value<std::string>()->default_value("21:00"),
      "when DAY orders expire, HH:MM[:SS] UTC (SIGUSR1 expires them at once)")(
      "config", po::value<std::string>(), "read these options from a config file as well");
  po::options_description modes(
      "Venue modes: behave like a stricter third-party venue (default: none of them)");
  modes.add_options()(
      "only-limit-day", po::bool_switch(),
      "accept only limit orders with TimeInForce DAY; refuse any other NewOrderSingle with a "
      "session-level Reject (35=3, SessionRejectReason 5, RefTagID 40 or 59), no report")(
      "no-cancel", po::bool_switch(),
      "answer OrderCancelRequest with BusinessMessageReject (35=j, reason 3 Unsupported "
      "Message Type, BusinessRejectRefID = its ClOrdID); the order stays in the book")(
      "no-status-requests", po::bool_switch(),
      "answer OrderStatusRequest with BusinessMessageReject (35=j, reason 3) instead of a "
      "status ExecutionReport (ExecType I; FIX.4.2: ExecTransType 3)")(
      "ignore-poss-resend", po::bool_switch(),
      "execute a NewOrderSingle with PossResend=Y as a new order even if its ClOrdID is known "
      "(default: answer it with the known order's status, execute nothing)")(
      "exec-ids-restart", po::bool_switch(),
      "number ExecIDs 1, 2, ... from every start of the process (default: "
      "<exchange>-<run>-<n>, never issued twice)")("no-market-data", po::bool_switch(),
                                                   "publish no market data at all");
  described.add(modes);
  po::variables_map values;
  try {
    po::store(po::parse_command_line(argc, argv, described), values);
    for (const char* file : {"config", "symbols"}) {
      if (values.count(file)) {
        po::store(po::parse_config_file<char>(values[file].as<std::string>().c_str(), described),
                  values);
      }
    }
    po::notify(values);
  } catch (const po::error& e) {
    return usageError(e.what(), exitCode);
  }
  if (values.count("help")) {
    std::cout << described;
    exitCode = 0;
    return std::nullopt;
  }
  if (!values.count("id")) return usageError("--id is required", exitCode);
  if (!values.count("data")) return usageError("--data is required", exitCode);
  const std::optional<int> dayEnd = parseTimeOfDay(values["day-end"].as<std::string>());
  if (!dayEnd) return usageError("--day-end must be HH:MM or HH:MM:SS", exitCode);

  Options options{.topologyPath = values["topology"].as<std::string>(),
                  .id = values["id"].as<std::string>(),
                  .data = values["data"].as<std::string>(),
                  .symbols = {},
                  .dayEndSecond = *dayEnd,
                  .rules = {
                      .onlyLimitDay = values["only-limit-day"].as<bool>(),
                      .acceptsCancels = !values["no-cancel"].as<bool>(),
                      .answersStatusRequests = !values["no-status-requests"].as<bool>(),
                      .honoursPossResend = !values["ignore-poss-resend"].as<bool>(),
                      .publishesMarketData = !values["no-market-data"].as<bool>(),
                      .execIds = values["exec-ids-restart"].as<bool>()
                                     ? triad::exchange::ExecIdScheme::kRestartEachRun
                                     : triad::exchange::ExecIdScheme::kUniqueForEver,
                  }};
  if (values.count("symbol")) {
    for (const std::string& line : values["symbol"].as<std::vector<std::string>>()) {
      auto parsed = triad::exchange::parseSymbolLine(line);
      if (const auto* fault = std::get_if<std::string>(&parsed)) {
        return usageError(*fault, exitCode);
      }
      options.symbols.push_back(std::get<SymbolLiquidity>(std::move(parsed)));
    }
  } else {
    options.symbols = triad::exchange::defaultSymbols();
  }
  return options;
}

// Seconds from now until the next `dayEndSecond` after midnight UTC (1 to a day).
time_t secondsUntil(int dayEndSecond) {
  const time_t now = std::time(nullptr);
  const time_t sinceMidnight = now % kSecondsPerDay;
  const time_t wait = (dayEndSecond - sinceMidnight + kSecondsPerDay) % kSecondsPerDay;
  return wait == 0 ? kSecondsPerDay : wait;
}

}  // namespace

int main(int argc, char** argv) {
  int exitCode = 0;
  std::optional<Options> options = parseOptions(argc, argv, exitCode);
  if (!options) return exitCode;

  std::variant<Topology, TopologyError> loaded = Topology::load(options->topologyPath);
  if (const auto* error = std::get_if<TopologyError>(&loaded)) {
    std::cerr << "triad-exchanged: " << error->message << "\n";
    return kExitFailure;
  }
  const Topology& topology = std::get<Topology>(loaded);
  const triad::topology::Exchange* exchange = topology.findExchange(options->id);
  if (exchange == nullptr) {
    std::cerr << "triad-exchanged: " << options->topologyPath << ": no exchange '" << options->id
              << "'\n";
    return kExitFailure;
  }
  std::vector<std::string> streets;
  for (const triad::topology::Utility& utility : topology.utilities()) {
    if (utility.role == Role::kStreet && std::find(utility.venues.begin(), utility.venues.end(),
                                                   exchange->id) != utility.venues.end()) {
      streets.push_back(utility.id);
    }
  }
  if (streets.empty()) {
    std::cerr << "triad-exchanged: " << options->topologyPath << ": no street utility lists venue '"
              << exchange->id << "'\n";
    return kExitFailure;
  }

  std::error_code error;
  std::filesystem::create_directories(options->data, error);
  if (error) {
    std::cerr << "triad-exchanged: " << options->data.string() << ": " << error.message() << "\n";
    return kExitFailure;
  }
  auto run = triad::exchange::advanceRunCounter(options->data / "run-counter");
  if (const auto* fault = std::get_if<std::string>(&run)) {
    std::cerr << "triad-exchanged: " << *fault << "\n";
    return kExitFailure;
  }

  // Block the signals before any thread exists (QuickFIX's, the sender's), so
  // that they inherit the mask and sigtimedwait() below is the only place the
  // signals are taken.
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGTERM, SIGINT, SIGUSR1}) sigaddset(&signals, signal);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  SystemdNotifier notifier;
  std::string fault;
  std::unique_ptr<FixVenue> fix =
      FixVenue::create(FixVenueConfig{.exchangeId = exchange->id,
                                      .beginString = exchange->fixVersion,
                                      .streetIds = streets,
                                      .listenAddress = exchange->firmAddress,
                                      .listenPort = exchange->fixPort,
                                      .storeDirectory = (options->data / "fix-store").string(),
                                      .logDirectory = (options->data / "fix-log").string()},
                       fault);
  if (!fix) {
    std::cerr << "triad-exchanged: id=" << exchange->id << ": " << fault << "\n";
    return kExitFailure;
  }
  auto created = Venue::create(VenueOptions{.exchangeId = exchange->id,
                                            .run = std::get<uint64_t>(run),
                                            .symbols = std::move(options->symbols),
                                            .rules = options->rules},
                               *fix);
  if (const auto* problem = std::get_if<std::string>(&created)) {
    std::cerr << "triad-exchanged: id=" << exchange->id << ": " << *problem << "\n";
    return kExitFailure;
  }
  std::unique_ptr<Venue> venue = std::move(std::get<std::unique_ptr<Venue>>(created));
  if (!fix->start(*venue, fault)) {
    std::cerr << "triad-exchanged: id=" << exchange->id << ": " << fault << "\n";
    return kExitFailure;
  }
  std::cout << "triad-exchanged id=" << exchange->id << " fix=" << exchange->fixVersion
            << " listen=" << exchange->firmAddress << ":" << fix->listenPort() << std::endl;
  notifier.ready("FIX " + exchange->fixVersion + " on " + exchange->firmAddress + ":" +
                 std::to_string(fix->listenPort()));

  // Wakes for the day's end, and as often as systemd's watchdog asks.
  const std::optional<std::chrono::microseconds> pingEvery = notifier.watchdogInterval();
  if (pingEvery) notifier.watchdog();
  int signal = 0;
  for (;;) {
    const auto dayEnd = std::chrono::steady_clock::now() +
                        std::chrono::seconds(secondsUntil(options->dayEndSecond));
    for (;;) {
      auto wait = std::chrono::duration_cast<std::chrono::microseconds>(
          dayEnd - std::chrono::steady_clock::now());
      if (wait.count() < 0) wait = std::chrono::microseconds(0);
      if (pingEvery && *pingEvery < wait) wait = *pingEvery;
      const timespec timeout{.tv_sec = static_cast<time_t>(wait.count() / 1'000'000),
                             .tv_nsec = static_cast<long>(wait.count() % 1'000'000) * 1000};
      signal = sigtimedwait(&signals, nullptr, &timeout);
      if (signal > 0) break;
      if (errno != EAGAIN) continue;  // EINTR
      if (pingEvery) notifier.watchdog();
      if (std::chrono::steady_clock::now() >= dayEnd) break;
    }
    if (signal == SIGTERM || signal == SIGINT) break;
    if (signal == SIGUSR1 || signal < 0) {
      venue->expireDay();
      std::cout << "triad-exchanged id=" << exchange->id << " day-ended" << std::endl;
    }
  }
  notifier.stopping("stopping on SIG" + std::string(sigabbrev_np(signal)));
  fix->stop();
  std::cout << "triad-exchanged id=" << exchange->id << " stopped signal=SIG"
            << sigabbrev_np(signal) << std::endl;
  return 0;
}
