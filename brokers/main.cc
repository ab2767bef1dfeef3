// triad-brokerd: runs one of the two ZeroMQ buses (DESIGN §1) as an XSUB/XPUB
// proxy, bound only on that bus's address from the topology: the customer
// bus on its customer-facing address, the firm bus on its firm-side address.
//
//   triad-brokerd --topology /etc/triad/topology.conf --bus firm
//
// With --bus-keys DIR the bus serves CURVE (brokers/bus_curve.h): encrypted,
// and only clients whose public key is in DIR get in; each refusal is an
// ALARM line on stderr.
//
// Prints one line when both endpoints are bound (what systemd's journal and
// tests wait for), and exits 0 on SIGTERM or SIGINT after stopping the proxy.
// Exits 1 if the topology is refused or an endpoint cannot be bound, 2 on bad
// options.
//
// Under systemd (Type=notify, see packaging/systemd/triad-brokerd@.service):
// READY=1 once both endpoints are bound, WATCHDOG=1 at half of WatchdogSec=
// but only while the proxy thread answers its control socket (a hung proxy
// stops the pings and systemd restarts the broker), STOPPING=1 on the way
// down.

#include <signal.h>
#include <time.h>

#include <boost/program_options.hpp>
#include <zmq.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "base/systemd_notifier.h"
#include "base/topology.h"
#include "brokers/bus_proxy.h"

namespace {

namespace po = boost::program_options;
using triad::base::SystemdNotifier;
using triad::brokers::BusProxy;
using triad::brokers::BusProxyError;
using triad::topology::Broker;
using triad::topology::Bus;
using triad::topology::Topology;
using triad::topology::TopologyError;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct Options {
  std::string topologyPath;
  Bus bus;
  std::string busKeys;  // a CURVE key folder (bus_curve.h), or empty: no CURVE
};

std::optional<Bus> parseBus(const std::string& name) {
  if (name == "customer") return Bus::kCustomer;
  if (name == "firm") return Bus::kFirm;
  return std::nullopt;
}

// nullopt after printing help (exit 0) or an error (exit kExitUsage).
std::optional<Options> parseOptions(int argc, char** argv, int& exitCode) {
  po::options_description described("triad-brokerd: runs one Triad bus (a ZeroMQ XSUB/XPUB proxy)");
  described.add_options()("help,h", "print this help")(
      "topology", po::value<std::string>()->default_value("/etc/triad/topology.conf"),
      "the topology file (INI)")("bus", po::value<std::string>(),
                                 "which bus to run: customer or firm")(
      "config", po::value<std::string>(), "read these options from a config file as well")(
      "bus-keys", po::value<std::string>(),
      "serve CURVE from this key folder (triad-bus-keys): <bus>-bus.secret is the broker's "
      "key, every other *.public a client it admits");
  po::variables_map values;
  try {
    po::store(po::parse_command_line(argc, argv, described), values);
    if (values.count("config")) {
      po::store(po::parse_config_file<char>(values["config"].as<std::string>().c_str(), described),
                values);
    }
    po::notify(values);
  } catch (const po::error& e) {
    std::cerr << "triad-brokerd: " << e.what() << "\n" << described;
    exitCode = kExitUsage;
    return std::nullopt;
  }
  if (values.count("help")) {
    std::cout << described;
    exitCode = 0;
    return std::nullopt;
  }
  if (!values.count("bus")) {
    std::cerr << "triad-brokerd: --bus customer|firm is required\n" << described;
    exitCode = kExitUsage;
    return std::nullopt;
  }
  std::optional<Bus> bus = parseBus(values["bus"].as<std::string>());
  if (!bus) {
    std::cerr << "triad-brokerd: --bus must be customer or firm, not '"
              << values["bus"].as<std::string>() << "'\n";
    exitCode = kExitUsage;
    return std::nullopt;
  }
  return Options{values["topology"].as<std::string>(), *bus,
                 values.count("bus-keys") ? values["bus-keys"].as<std::string>() : std::string()};
}

std::string endpoint(const std::string& address, uint16_t port) {
  return "tcp://" + address + ":" + std::to_string(port);
}

// Waits for a stop signal, pinging systemd's watchdog meanwhile while the
// proxy answers. Returns the signal.
int waitForStop(const sigset_t& stopSignals, BusProxy& proxy, SystemdNotifier& notifier) {
  const std::optional<std::chrono::microseconds> interval = notifier.watchdogInterval();
  if (!interval) {
    int signal = 0;
    while (sigwait(&stopSignals, &signal) != 0) {
    }
    return signal;
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*interval);
  const timespec timeout{
      .tv_sec = seconds.count(),
      .tv_nsec = std::chrono::duration_cast<std::chrono::nanoseconds>(*interval - seconds).count()};
  bool answering = true;
  for (;;) {
    const int signal = sigtimedwait(&stopSignals, nullptr, &timeout);
    if (signal > 0) return signal;
    if (errno != EAGAIN) continue;  // EINTR
    // The proxy thread answers STATISTICS within a second, or it is stuck.
    const bool answers = proxy.statistics().has_value();
    if (answers) {
      notifier.watchdog();
    } else if (answering) {
      std::cerr << "triad-brokerd: the proxy does not answer; no watchdog ping" << std::endl;
    }
    answering = answers;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int exitCode = 0;
  const std::optional<Options> options = parseOptions(argc, argv, exitCode);
  if (!options) return exitCode;

  std::variant<Topology, TopologyError> loaded = Topology::load(options->topologyPath);
  if (const auto* error = std::get_if<TopologyError>(&loaded)) {
    std::cerr << "triad-brokerd: " << error->message << "\n";
    return kExitFailure;
  }
  const Broker& broker = *std::get<Topology>(loaded).broker(options->bus);
  const std::string busName(triad::topology::busName(options->bus));

  // Block the stop signals before any thread exists (ZeroMQ's I/O threads,
  // the proxy's), so that they inherit the mask and sigwait() below is the
  // only place the signals are taken.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  BusProxy::Options proxyOptions;
  if (!options->busKeys.empty()) {
    auto curve =
        triad::brokers::loadCurveServer(options->busKeys, triad::brokers::curveBusName(busName));
    if (const auto* error = std::get_if<triad::brokers::CurveError>(&curve)) {
      std::cerr << "triad-brokerd: bus=" << busName << ": " << error->message << "\n";
      return kExitFailure;
    }
    proxyOptions.curve = std::get<triad::brokers::CurveServer>(std::move(curve));
    proxyOptions.onRefused = [busName](const std::string& peer, const std::string& key) {
      std::cerr << "triad-brokerd: bus=" << busName << " ALARM curve-client-refused peer=" << peer
                << " key=" << (key.empty() ? std::string("none") : key) << std::endl;
    };
  }

  SystemdNotifier notifier;
  zmq::context_t context(1);
  const size_t admitted = proxyOptions.curve ? proxyOptions.curve->allowedClients.size() : 0;
  auto started =
      BusProxy::start(context, endpoint(broker.address, broker.publishPort),
                      endpoint(broker.address, broker.subscribePort), std::move(proxyOptions));
  if (const auto* error = std::get_if<BusProxyError>(&started)) {
    std::cerr << "triad-brokerd: bus=" << busName << " id=" << broker.id << ": " << error->message
              << "\n";
    notifier.status("cannot bind: " + error->message);
    return kExitFailure;
  }
  std::unique_ptr<BusProxy> proxy = std::move(std::get<std::unique_ptr<BusProxy>>(started));
  std::cout << "triad-brokerd bus=" << busName << " xsub=" << proxy->publishEndpoint()
            << " xpub=" << proxy->subscribeEndpoint() << " id=" << broker.id
            << (admitted > 0 ? " curve_clients=" + std::to_string(admitted) : std::string())
            << std::endl;
  notifier.ready("bus " + busName + ": publishers " + proxy->publishEndpoint() + ", subscribers " +
                 proxy->subscribeEndpoint());
  if (notifier.watchdogInterval()) notifier.watchdog();

  const int signal = waitForStop(stopSignals, *proxy, notifier);
  notifier.stopping("stopping on SIG" + std::string(sigabbrev_np(signal)));
  const std::optional<BusProxy::Statistics> statistics = proxy->statistics();
  proxy->stop();
  std::cout << "triad-brokerd bus=" << busName << " stopped signal=SIG" << sigabbrev_np(signal);
  if (statistics) {
    std::cout << " messages_in=" << statistics->messagesFromPublishers
              << " messages_out=" << statistics->messagesToSubscribers;
  }
  if (admitted > 0) std::cout << " curve_refused=" << proxy->curveRefusals();
  std::cout << std::endl;
  return 0;
}
