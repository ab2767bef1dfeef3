// How many Berkeley DB log records an order costs the groups that write it
// (DESIGN §2a: every log record a group writes is applied at every other
// site, so they are the main cost of the system). Three sites in this
// process (cf1, ss1, firm); orders are placed one at a time at cf1, as one
// session places them, then each is routed and filled once at ss1 (two
// transactions). The counts are Berkeley DB's own: "Records entered into the
// log" of `db5.3_stat -l` on the owner's environment before and after, so
// they include what the storage layer adds to every transaction (its commit
// record: bdb/), not only the tables' records (docs/storage.md). Run it to
// read the figures:
//   log records per order: customer group 5.20, street group 5.36
// (before issue 15: 7.33 and 12.35; with the new layouts on the old storage
// layer's three records per transaction: 7.20 and 9.38).

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "tests/support/site_certificates.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_topology.h"
#include "utilities/common/tables.h"
#include "utilities/customer/order_desk.h"
#include "utilities/street/street_recorder.h"

namespace triad::street {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kNow = 1'700'000'000'000'000'000;
constexpr int kOrders = 200;
// What the storage layer (bdb/) logs per transaction besides the tables'
// records: the batch's commit record (no commit mark, no nested
// transactions).
constexpr double kStorageRecordsPerTransaction = 1;

// Records entered into the log of the environment at `home` since it was
// opened. The environment's regions are shared files, so the tool reads the
// live environment's counters.
uint64_t logRecords(const std::filesystem::path& home) {
  const std::string command = "db5.3_stat -l -h '" + home.string() + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return 0;
  }
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  EXPECT_EQ(status, 0) << command << ": " << output;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    const size_t tab = line.find('\t');
    if (tab != std::string::npos && line.substr(tab + 1) == "Records entered into the log") {
      return std::stoull(line.substr(0, tab));
    }
  }
  ADD_FAILURE() << "no record count in the output of " << command << ": " << output;
  return 0;
}

template <typename T>
T must(Outcome<T> outcome) {
  if (auto* error = std::get_if<RecordError>(&outcome)) {
    ADD_FAILURE() << error->toString();
    return T{};
  }
  return std::get<T>(std::move(outcome));
}

class LogRecordsPerOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = topology::Topology::parse(
        testing::makeTestTopology({.customers = {"cf1"}, .streets = {"ss1"}}), "test");
    ASSERT_TRUE(std::holds_alternative<topology::Topology>(parsed));
    topology_ = std::make_unique<topology::Topology>(std::get<topology::Topology>(parsed));
    testing::makeSiteCertificates(dir_.path() / "replication-tls", *topology_);
    for (const char* id : {"cf1", "ss1", "firm"}) {
      common::SiteStorageOptions options;
      options.dataRoot = dir_.path() / id;
      options.tls = dir_.path() / "replication-tls";
      options.checkpointInterval = 0ms;  // no checkpoint records in the counts
      std::unique_ptr<common::SiteStorage> storage;
      bdb::Status s = common::SiteStorage::open(*topology_, id, options, &storage);
      ASSERT_TRUE(s.isOk()) << s.toString();
      sites_[id] = std::move(storage);
    }
    for (auto& [id, storage] : sites_) {
      ASSERT_TRUE(storage->owned().waitForReplicas(1, 60s)) << id;
    }
    bdb::Status routed;
    for (int attempt = 0; attempt < 5; ++attempt) {
      routed = sites_["firm"]->owned().write([](bdb::WriteTxn& txn) {
        capnp::MallocMessageBuilder message;
        auto route = message.initRoot<idl::VenueRoute>();
        route.setSymbol("*");
        route.setStreet("ss1");
        route.setVenue("xtst");
        route.setCurrency("USD");
        route.setLastPriceMicros(10'000'000);
        return tables::kVenueRoutes.put(txn, bdb::Key::of("*"), message);
      });
      if (routed.code() != bdb::Status::Code::kConflict) break;
    }
    ASSERT_TRUE(routed.isOk()) << routed.toString();
    ASSERT_NO_FATAL_FAILURE(catchUp("cf1", "firm"));
  }

  void TearDown() override {
    std::vector<std::thread> closers;
    for (auto& [id, storage] : sites_)
      closers.emplace_back([s = std::move(storage)]() mutable { s.reset(); });
    for (std::thread& closer : closers) closer.join();
  }

  void catchUp(const std::string& reader, const std::string& owner) {
    const uint64_t sequence = sites_[owner]->owned().commitPosition().sequence;
    ASSERT_TRUE(sites_[reader]->group(owner)->waitForCommit(sequence, 30s))
        << reader << " did not catch up with " << owner;
  }

  std::filesystem::path home(const std::string& group) { return dir_.path() / group / group; }

  testing::TempDir dir_;
  std::unique_ptr<topology::Topology> topology_;
  std::map<std::string, std::unique_ptr<common::SiteStorage>> sites_;
};

TEST_F(LogRecordsPerOrderTest, AnOrderRoutedAndFilledOnce) {
  customer::OrderDesk desk(*topology_, *sites_["cf1"], [] { return kNow; });
  std::vector<std::string> orderIds;

  const uint64_t customerBefore = logRecords(home("cf1"));
  for (int i = 0; i < kOrders; ++i) {
    capnp::MallocMessageBuilder message;
    auto request = message.initRoot<idl::OrderRequest>();
    request.setClientOrderId("records-" + std::to_string(i));
    request.setSymbol("ACME");
    request.setSide(idl::Side::BUY);
    request.setType(idl::OrderType::LIMIT);
    request.setTimeInForce(idl::TimeInForce::DAY);
    request.setQuantity(100);
    request.setLimitPriceMicros(10'250'000);
    customer::Outcome<customer::OrderView> placed = desk.place("acct-1", "s1", request.asReader());
    ASSERT_TRUE(std::holds_alternative<customer::OrderView>(placed))
        << std::get<customer::OrderError>(placed).reason;
    orderIds.emplace_back(std::get<customer::OrderView>(placed).order->getId());
  }
  const uint64_t customerAfter = logRecords(home("cf1"));

  ASSERT_NO_FATAL_FAILURE(catchUp("ss1", "cf1"));
  StreetRecorder recorder(*topology_, *sites_["ss1"], [] { return kNow; });
  const uint64_t streetBefore = logRecords(home("ss1"));
  for (const std::string& id : orderIds) {
    bdb::Record<idl::Order> order = must(recorder.findOrder(id));
    ASSERT_FALSE(must(recorder.recordRoute(order.reader(), id)).duplicate);
    ASSERT_FALSE(must(recorder.recordFill(order.reader(), {.venueExecId = "E-" + id,
                                                           .venueSession = "20231114",
                                                           .quantity = 100,
                                                           .priceMicros = 10'200'000}))
                     .duplicate);
  }
  const uint64_t streetAfter = logRecords(home("ss1"));

  const double customerPerOrder = double(customerAfter - customerBefore) / kOrders;
  const double streetPerOrder = double(streetAfter - streetBefore) / kOrders;
  std::printf("log records per order: customer group %.2f, street group %.2f (%d orders)\n",
              customerPerOrder, streetPerOrder, kOrders);
  RecordProperty("customerLogRecordsPerOrder", std::to_string(customerPerOrder));
  RecordProperty("streetLogRecordsPerOrder", std::to_string(streetPerOrder));

  // An order is one record and a reference to it at its customer utility
  // (two new B-tree records of two log records each) in one transaction; a
  // route (one hashed record) and an execution (one B-tree record, its dedup
  // identity in its key) at the street, in two. B-tree page splits and hash
  // table growth add a few tenths (docs/storage.md).
  EXPECT_LE(customerPerOrder, 4.5 + kStorageRecordsPerTransaction);
  EXPECT_LE(streetPerOrder, 3.75 + 2 * kStorageRecordsPerTransaction);
}

}  // namespace
}  // namespace triad::street
