// triadctl's reports from answers handed in by the test: the status table's
// lag and alarms, the exit codes they give, and the bus report's states.

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.h"
#include "tests/support/test_topology.h"
#include "tools/triadctl/bus_report.h"
#include "tools/triadctl/status_report.h"
#include "tools/triadctl/text_table.h"

namespace triad::ctl {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path() / "topology.conf") << testing::makeTestTopology();
    auto loaded = topology::Topology::load(dir_.path() / "topology.conf");
    ASSERT_TRUE(std::holds_alternative<topology::Topology>(loaded));
    topology_.emplace(std::get<topology::Topology>(std::move(loaded)));
  }

  // Every daemon up; every site holds every group at `commit`.
  StatusInput healthy(uint64_t commit = 10) const {
    StatusInput input;
    input.nowNanos = 1000 * kSecond;
    for (const topology::Utility& site : topology_->utilities()) {
      UtilityAnswer answer;
      answer.answered = true;
      answer.role = topology::roleName(site.role);
      answer.version = "0.1.0";
      answer.startedAtNanos = 1000 * kSecond - 3725 * kSecond;
      answer.ready = true;
      for (const topology::Utility& group : topology_->utilities()) {
        GroupAnswer row;
        row.group = group.id;
        row.site = site.id;
        row.role = group.id == site.id ? "master" : "client";
        row.master = group.id;
        row.lsnFile = 1;
        row.lsnOffset = 4242;
        row.commitSequence = commit;
        row.lastCommitNanos = 900 * kSecond;
        if (group.id == site.id) {
          // The owner knows every replica has its commit on disk.
          for (const topology::Utility& replica : topology_->utilities()) {
            if (replica.id != site.id) row.replicas.push_back({replica.id, 1, 4242, 0, 0});
          }
        }
        answer.groups.push_back(row);
      }
      for (const topology::Utility& peer : topology_->utilities()) {
        if (peer.id != site.id) answer.links.push_back({peer.id, true, 40, 7, 9, 7, 9, 0});
      }
      input.utilities.push_back(answer);
    }
    input.brokers.assign(topology_->brokers().size(), EndpointAnswer{true, ""});
    input.exchanges.assign(topology_->exchanges().size(), EndpointAnswer{true, ""});
    return input;
  }

  size_t index(const std::string& id) const {
    for (size_t i = 0; i < topology_->utilities().size(); ++i) {
      if (topology_->utilities()[i].id == id) return i;
    }
    ADD_FAILURE() << "no utility " << id;
    return 0;
  }

  GroupAnswer& row(StatusInput& input, const std::string& site, const std::string& group) {
    for (GroupAnswer& g : input.utilities[index(site)].groups) {
      if (g.group == group) return g;
    }
    throw std::logic_error("no row");
  }

  static std::vector<std::string> alarmKinds(const Outcome& outcome) {
    std::vector<std::string> kinds;
    for (const auto& alarm : outcome.data["alarms"]) {
      kinds.push_back(alarm["kind"].get<std::string>() + " " + alarm["subject"].get<std::string>());
    }
    return kinds;
  }

  testing::TempDir dir_;
  std::optional<topology::Topology> topology_;
};

TEST_F(ReportTest, EverythingUpAndCaughtUpIsExitZeroWithEveryGroupAtEverySite) {
  Outcome outcome = statusReport(*topology_, healthy());
  EXPECT_EQ(outcome.exitCode, kExitOk) << outcome.text;
  EXPECT_TRUE(outcome.data["healthy"].get<bool>());
  const size_t sites = topology_->utilities().size();
  EXPECT_EQ(outcome.data["groups"].size(), sites * sites);
  EXPECT_EQ(outcome.data["daemons"].size(),
            sites + topology_->brokers().size() + topology_->exchanges().size());
  EXPECT_EQ(outcome.data["daemons"][0]["uptimeSeconds"].get<int64_t>(), 3725);
  EXPECT_NE(outcome.text.find("1h02m"), std::string::npos) << outcome.text;
  EXPECT_NE(outcome.text.find("no alarms"), std::string::npos) << outcome.text;
  EXPECT_EQ(outcome.data["groups"][0]["lagCommits"].get<uint64_t>(), 0u);
  EXPECT_EQ(outcome.data["replicationLinks"].size(), sites * (sites - 1));
}

TEST_F(ReportTest, AStreetsVenueAnomaliesAreAlarmsAndItsRejectsAWarning) {
  StatusInput input = healthy();
  VenueAlarmsAnswer& venues = input.utilities[index("ss1")].venues;
  venues.answered = true;
  venues.stuck.push_back({"order", "cf1-7", "cf1-7", "xtst", 990 * kSecond, true});
  venues.stuck.push_back({"cancel", "cf1-9", "cf1-8", "xtst", 995 * kSecond, false});
  venues.unconfirmed.push_back({"order", "cf2-3", "cf2-3", "xtst", 900 * kSecond, false});
  venues.overfills = 1;
  venues.refusedReports = 2;
  venues.refusedReportsKept = 3;
  venues.venueRejects = 4;
  Outcome outcome = statusReport(*topology_, input);
  EXPECT_EQ(outcome.exitCode, kExitRefused) << outcome.text;
  EXPECT_EQ(alarmKinds(outcome),
            (std::vector<std::string>{"stuck-order ss1:cf1-7", "stuck-cancel ss1:cf1-9",
                                      "unconfirmed-route ss1:cf2-3", "overfill ss1",
                                      "refused-report ss1"}));
  EXPECT_NE(outcome.text.find("order cf1-7 unanswered by xtst for 10.0 s (status requested)"),
            std::string::npos)
      << outcome.text;
  EXPECT_NE(outcome.text.find("cancel cf1-9 of order cf1-8"), std::string::npos) << outcome.text;
  ASSERT_EQ(outcome.data["warnings"].size(), 1u);
  EXPECT_EQ(outcome.data["warnings"][0]["kind"], "venue-rejects");
  ASSERT_EQ(outcome.data["venues"].size(), 1u);
  EXPECT_EQ(outcome.data["venues"][0]["site"], "ss1");
  EXPECT_EQ(outcome.data["venues"][0]["stuck"].size(), 2u);
  EXPECT_EQ(outcome.data["venues"][0]["refusedReportsKept"].get<uint64_t>(), 3u);

  // Only rejects: a warning, and the status stays healthy.
  StatusInput quiet = healthy();
  quiet.utilities[index("ss1")].venues.answered = true;
  quiet.utilities[index("ss1")].venues.venueRejects = 2;
  Outcome calm = statusReport(*topology_, quiet);
  EXPECT_EQ(calm.exitCode, kExitOk) << calm.text;
}

TEST_F(ReportTest, AReplicaBehindItsOwnerAlarmsWithLagInCommitsAndSeconds) {
  StatusInput input = healthy();
  // The owner reports cf1 has not acknowledged its last 15 commits, the
  // oldest 60 s old.
  for (ReplicaLagAnswer& replica : row(input, "firm", "firm").replicas) {
    if (replica.site == "cf1") {
      replica.commitsBehind = 15;
      replica.behindNanos = 60 * kSecond;
    }
  }
  Outcome outcome = statusReport(*topology_, input);
  EXPECT_EQ(outcome.exitCode, kExitRefused);
  const auto kinds = alarmKinds(outcome);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "behind firm@cf1"), kinds.end());
  for (const auto& group : outcome.data["groups"]) {
    if (group["group"] == "firm" && group["site"] == "cf1") {
      EXPECT_EQ(group["lagCommits"].get<uint64_t>(), 15u);
      EXPECT_DOUBLE_EQ(group["lagSeconds"].get<double>(), 60.0);
    }
  }
  EXPECT_NE(outcome.text.find("15 commits, 60.0 s behind firm"), std::string::npos) << outcome.text;

  // Within --max-lag it is no alarm.
  input.maxLagRecords = 15;
  EXPECT_EQ(statusReport(*topology_, input).exitCode, kExitOk);
}

TEST_F(ReportTest, EachFaultHasItsAlarm) {
  StatusInput input = healthy();
  input.utilities[index("cf1")] = UtilityAnswer{};
  input.utilities[index("cf1")].error = "no answer within 1500 ms";
  input.utilities[index("ss1")].ready = false;
  input.utilities[index("ss1")].problems = {"group ss1: no replica is connected"};
  row(input, "ss1", "firm").role = "initialising";
  row(input, "firm", "ss1").master = "cf1";
  row(input, "firm", "firm").permFailures = 3;
  row(input, "firm", "firm").stalled = true;
  for (LinkAnswer& link : input.utilities[index("ss1")].links) {
    link.connected = false;  // to cf1 (down: no alarm) and to the firm (up: an alarm)
  }
  input.brokers[0] = EndpointAnswer{false, "connection refused"};

  Outcome outcome = statusReport(*topology_, input);
  EXPECT_EQ(outcome.exitCode, kExitRefused);
  const auto kinds = alarmKinds(outcome);
  EXPECT_EQ(std::find(kinds.begin(), kinds.end(), "link-down ss1->cf1"), kinds.end());
  for (const std::string& expected :
       std::vector<std::string>{"down cf1", "starting ss1", "problem ss1", "initialising firm@ss1",
                                "wrong-master ss1@firm", "stalled firm@firm", "link-down ss1->firm",
                                "down " + topology_->brokers()[0].id}) {
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), expected), kinds.end()) << expected;
  }
  ASSERT_EQ(outcome.data["warnings"].size(), 1u);
  EXPECT_EQ(outcome.data["warnings"][0]["kind"], "unacknowledged");

  // Unacknowledged commits alone are a warning: the status stays healthy.
  StatusInput unacknowledged = healthy();
  row(unacknowledged, "firm", "firm").permFailures = 3;
  Outcome warned = statusReport(*topology_, unacknowledged);
  EXPECT_EQ(warned.exitCode, kExitOk);
  EXPECT_NE(warned.text.find("warnings:\n  unacknowledged firm@firm: 3 commits"), std::string::npos)
      << warned.text;

  // A down site's groups are not listed; the others still are.
  for (const auto& group : outcome.data["groups"]) EXPECT_NE(group["site"], "cf1");
  EXPECT_NE(outcome.text.find("!  cf1  "), std::string::npos) << outcome.text;

  // The owner down: its group's lag at the others is unknown, not zero.
  StatusInput ownerDown = healthy();
  ownerDown.utilities[index("firm")] = UtilityAnswer{};
  Outcome unknown = statusReport(*topology_, ownerDown);
  for (const auto& group : unknown.data["groups"]) {
    if (group["group"] == "firm") {
      if (group["site"] != "firm") {
        EXPECT_TRUE(group["lagCommits"].is_null());
      }
    }
  }
}

TEST_F(ReportTest, BusReportShowsSubscribersAndDaemonsWithoutOne) {
  std::vector<BusAnswer> answers(topology_->utilities().size());
  answers[0].state = BusAnswer::State::kAnswered;
  answers[0].origins = {{"firm", "ss1", 42, 1, 0, 1}};
  for (size_t i = 1; i < answers.size(); ++i) answers[i].state = BusAnswer::State::kNoSubscriber;
  Outcome outcome = busReport(*topology_, answers);
  EXPECT_EQ(outcome.exitCode, kExitOk) << outcome.error;
  EXPECT_EQ(outcome.data["sites"][0]["origins"][0]["lastSequence"].get<uint64_t>(), 42u);
  EXPECT_EQ(outcome.data["sites"][0]["origins"][0]["bus"], "firm");
  EXPECT_EQ(outcome.data["sites"][1]["state"], "no bus subscriber");
  EXPECT_NE(outcome.text.find("no bus subscriber"), std::string::npos);

  answers[1].state = BusAnswer::State::kDown;
  answers[1].error = "connection refused";
  outcome = busReport(*topology_, answers);
  EXPECT_EQ(outcome.exitCode, kExitRefused);
  EXPECT_NE(outcome.error.find(topology_->utilities()[1].id), std::string::npos);
}

TEST(TextTableTest, ColumnsAreAsWideAsTheirWidestCell) {
  TextTable table({{"NAME"}, {"QTY", true}});
  table.add({"alice", "5"});
  table.add({"b", "1200"});
  EXPECT_EQ(table.render(), "NAME    QTY\nalice     5\nb      1200\n");
  EXPECT_EQ(uptimeText(59), "59s");
  EXPECT_EQ(uptimeText(3 * 86400 + 4 * 3600 + 5), "3d04h");
}

}  // namespace
}  // namespace triad::ctl
