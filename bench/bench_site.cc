#include "bench/bench_site.h"

#include "bench/new_stack_site.h"
#include "bench/repmgr_baseline.h"

namespace triad::bench {

std::string_view stackName(Stack stack) { return stack == Stack::kNew ? "new" : "repmgr"; }

const BenchPeer& BenchSiteConfig::self() const {
  for (const BenchPeer& peer : sites) {
    if (peer.id == id) return peer;
  }
  return sites.front();
}

nlohmann::json toJson(const BenchSiteConfig& config) {
  nlohmann::json sites = nlohmann::json::array();
  for (const BenchPeer& peer : config.sites) {
    sites.push_back({{"id", peer.id}, {"eid", peer.eid}, {"port", peer.port}});
  }
  return {{"stack", stackName(config.stack)},
          {"id", config.id},
          {"home", config.home.string()},
          {"sites", sites},
          {"tlsAuthority", config.tlsAuthority},
          {"tlsCertificate", config.tlsCertificate},
          {"tlsKey", config.tlsKey},
          {"ackTimeoutMs", config.ackTimeout.count()},
          {"verbose", config.verbose},
          {"batchesInFlight", config.batchesInFlight}};
}

BenchSiteConfig siteConfigFromJson(const nlohmann::json& json) {
  BenchSiteConfig config;
  config.stack = json.at("stack").get<std::string>() == "new" ? Stack::kNew : Stack::kRepmgr;
  config.id = json.at("id").get<std::string>();
  config.home = json.at("home").get<std::string>();
  for (const nlohmann::json& peer : json.at("sites")) {
    config.sites.push_back({peer.at("id").get<std::string>(), peer.at("eid").get<int>(),
                            peer.at("port").get<uint16_t>()});
  }
  config.tlsAuthority = json.at("tlsAuthority").get<std::string>();
  config.tlsCertificate = json.at("tlsCertificate").get<std::string>();
  config.tlsKey = json.at("tlsKey").get<std::string>();
  config.ackTimeout = std::chrono::milliseconds(json.at("ackTimeoutMs").get<int64_t>());
  config.verbose = json.at("verbose").get<bool>();
  config.batchesInFlight = json.value("batchesInFlight", -1);
  return config;
}

bdb::Status openBenchSite(const BenchSiteConfig& config, std::unique_ptr<BenchSite>* site) {
  if (config.stack == Stack::kNew) {
    std::unique_ptr<NewStackSite> opened;
    bdb::Status s = NewStackSite::open(config, &opened);
    *site = std::move(opened);
    return s;
  }
  std::unique_ptr<RepmgrSite> opened;
  bdb::Status s = RepmgrSite::open(config, std::chrono::seconds(60), &opened);
  *site = std::move(opened);
  return s;
}

}  // namespace triad::bench
