#include "tools/triadctl/bus_report.h"

#include "tools/triadctl/admin_client.h"
#include "tools/triadctl/text_table.h"

namespace triad::ctl {

using nlohmann::json;

std::vector<BusAnswer> gatherBus(kj::AsyncIoContext& io, const topology::Topology& topology,
                                 kj::Duration timeout, kj::TlsContext* tls) {
  std::vector<BusAnswer> answers(topology.utilities().size());
  std::vector<Endpoint> endpoints;
  for (const topology::Utility& utility : topology.utilities()) {
    endpoints.push_back({utility.id, utility.firmAddress, utility.adminPort, tls});
  }
  askEach(
      io, endpoints, timeout,
      [&answers](idl::Admin::Client& admin, size_t i) {
        return admin.busStatsRequest().send().then(
            [&answers, i](capnp::Response<idl::Admin::BusStatsResults> response) {
              BusAnswer& answer = answers[i];
              answer.state = BusAnswer::State::kAnswered;
              for (idl::BusStat::Reader stat : response.getStats()) {
                answer.origins.push_back({stat.getBus(), stat.getOrigin(), stat.getLastSequence(),
                                          stat.getGaps(), stat.getDuplicates(),
                                          stat.getCatchUps()});
              }
            });
      },
      [&answers, timeout](size_t i, const kj::Exception& reason) {
        if (reason.getType() == kj::Exception::Type::UNIMPLEMENTED) {
          answers[i].state = BusAnswer::State::kNoSubscriber;
          return;
        }
        answers[i].state = BusAnswer::State::kDown;
        answers[i].error = describeFailure(reason, timeout);
      });
  return answers;
}

Outcome busReport(const topology::Topology& topology, const std::vector<BusAnswer>& answers) {
  Outcome outcome;
  json sites = json::array();
  TextTable table({{""},
                   {"SITE"},
                   {"BUS"},
                   {"ORIGIN"},
                   {"LAST-SEQ", true},
                   {"GAPS", true},
                   {"DUPLICATES", true},
                   {"CATCH-UPS", true}});
  std::vector<std::string> down;
  const auto& utilities = topology.utilities();
  for (size_t i = 0; i < utilities.size() && i < answers.size(); ++i) {
    const std::string& site = utilities[i].id;
    const BusAnswer& answer = answers[i];
    json entry = {{"site", site}, {"origins", json::array()}};
    switch (answer.state) {
      case BusAnswer::State::kDown:
        entry["state"] = "down";
        entry["error"] = answer.error;
        down.push_back(site);
        table.add({"!", site, "-", "down: " + answer.error, "-", "-", "-", "-"});
        break;
      case BusAnswer::State::kNoSubscriber:
        entry["state"] = "no bus subscriber";
        table.add({"", site, "-", "no bus subscriber", "-", "-", "-", "-"});
        break;
      case BusAnswer::State::kAnswered:
        entry["state"] = "ok";
        if (answer.origins.empty())
          table.add({"", site, "-", "(nothing received yet)", "-", "-", "-", "-"});
        for (const BusOriginStat& stat : answer.origins) {
          entry["origins"].push_back({{"bus", stat.bus},
                                      {"origin", stat.origin},
                                      {"lastSequence", stat.lastSequence},
                                      {"gaps", stat.gaps},
                                      {"duplicates", stat.duplicates},
                                      {"catchUps", stat.catchUps}});
          table.add({"", site, stat.bus, stat.origin, std::to_string(stat.lastSequence),
                     std::to_string(stat.gaps), std::to_string(stat.duplicates),
                     std::to_string(stat.catchUps)});
        }
        break;
    }
    sites.push_back(std::move(entry));
  }
  outcome.data = {{"command", "bus"}, {"sites", sites}};
  outcome.text = table.render();
  if (!down.empty()) {
    std::string list;
    for (const std::string& site : down) list += (list.empty() ? "" : ", ") + site;
    outcome.exitCode = kExitRefused;
    outcome.error = "no answer from " + list;
  }
  return outcome;
}

}  // namespace triad::ctl
