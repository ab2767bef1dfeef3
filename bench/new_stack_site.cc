#include "bench/new_stack_site.h"

#include <cstdio>

namespace triad::bench {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTable = "orders";

std::function<void(std::string_view)> logTo(const std::string& id) {
  return [id](std::string_view line) {
    fprintf(stderr, "[%s] %.*s\n", id.c_str(), static_cast<int>(line.size()), line.data());
  };
}

}  // namespace

NewStackSite::~NewStackSite() {
  group_.reset();  // detaches from the transport first
  transport_.reset();
}

bdb::Status NewStackSite::open(const BenchSiteConfig& config, std::unique_ptr<NewStackSite>* out) {
  std::unique_ptr<NewStackSite> site(new NewStackSite());
  bdb::TransportOptions transport;
  transport.localSite = config.id;
  for (const BenchPeer& peer : config.sites) {
    transport.sites.push_back(
        {.id = peer.id, .eid = peer.eid, .host = "127.0.0.1", .port = peer.port});
  }
  transport.tls = {config.tlsAuthority, config.tlsCertificate, config.tlsKey};
  transport.log = logTo(config.id);
  if (bdb::Status s = bdb::ReplicationTransport::open(std::move(transport), &site->transport_);
      !s.isOk()) {
    return s;
  }
  bdb::GroupOptions group;
  group.group = config.sites.front().id;
  group.groupEid = config.sites.front().eid;
  group.home = config.home;
  group.transport = site->transport_.get();
  group.tables = {{kTable}};
  group.ackPolicy = bdb::AckPolicy::kOne;
  group.ackTimeout = config.ackTimeout;
  group.checkpointInterval = 0ms;  // the baseline does not checkpoint either
  if (config.batchesInFlight >= 0) group.batchesInFlight = config.batchesInFlight;
  group.log = logTo(config.id);
  if (bdb::Status s = bdb::OwnershipGroup::open(std::move(group), &site->group_); !s.isOk()) {
    return s;
  }
  *out = std::move(site);
  return bdb::Status::ok();
}

bdb::Status NewStackSite::commit(std::span<OrderRecord> records) {
  return group_->write([&](bdb::WriteTxn& txn) {
    for (OrderRecord& record : records) {
      if (bdb::Status s = txn.put(kTable, bdb::Key::of(record.id), record.message); !s.isOk()) {
        return s;
      }
    }
    return bdb::Status::ok();
  });
}

uint64_t NewStackSite::transactions() { return group_->status().commits; }

size_t NewStackSite::connectedReplicas() {
  size_t connected = 0;
  for (const bdb::TransportPeer& peer : transport_->peers()) connected += peer.connected ? 1 : 0;
  return connected;
}

bool NewStackSite::caughtUp() { return group_->status().role == bdb::ReplicationRole::kClient; }

nlohmann::json NewStackSite::diagnostics() {
  const bdb::ReplicationStatus status = group_->status();
  uint64_t dropped = 0, batchesSent = 0, messagesSent = 0, bytesSent = 0;
  for (const bdb::TransportPeer& peer : transport_->peers()) {
    dropped += peer.dropped;
    batchesSent += peer.batchesSent;
    messagesSent += peer.messagesSent;
    bytesSent += peer.bytesSent;
  }
  const bdb::TransportCounters counters = transport_->counters();
  return {{"permFailures", status.permFailures},
          {"stalled", status.stalled},
          {"transactions", status.commits},
          {"batchesSent", batchesSent},
          {"messagesSent", messagesSent},
          {"bytesSent", bytesSent},
          {"messagesDropped", dropped},
          {"refusedConnections", counters.refusedConnections},
          {"refusedMessages", counters.refusedMessages}};
}

}  // namespace triad::bench
