// triadctl as an operator runs it, against a deployment of real daemons as
// processes: triad-firmd, triad-customerd (cf1), triad-utilityd standing in
// for street utility ss1, both buses and the venue. Checks what scripts rely
// on: --json output that parses, and exit codes (0 healthy/done, 1 refused
// or something wrong, 2 bad usage, 3 the firm does not answer), and that a
// daemon that does not answer never hangs the console.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/deployment.h"

namespace triad::ctl {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::builtProgram;
using testing::ChildProcess;
using testing::Deployment;

struct CtlRun {
  int exitCode = -1;
  std::string out, err;
  json data;  // stdout parsed, when it is JSON
  std::chrono::milliseconds took{0};
};

std::string quoted(const std::string& word) {
  std::string text = "'";
  for (char c : word) text += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return text + "'";
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs a built program to its exit with `args`; stdout and stderr captured.
CtlRun runProgram(const std::string& program, const std::vector<std::string>& args,
                  const std::filesystem::path& scratch) {
  std::string command = quoted(builtProgram(program));
  for (const std::string& arg : args) command += " " + quoted(arg);
  const std::filesystem::path errPath = scratch / "stderr.txt";
  command += " 2>" + quoted(errPath.string());
  CtlRun run;
  const auto start = std::chrono::steady_clock::now();
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) run.out.append(buffer, n);
  const int status = ::pclose(pipe);
  run.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.err = slurp(errPath);
  run.data = json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  return run;
}

class TriadctlTest : public ::testing::Test {
 protected:
  // As the tests' operator (every role), with its certificate from the options.
  CtlRun ctl(std::vector<std::string> args) {
    const std::filesystem::path admin = deployment_.adminTlsPath();
    args.insert(args.begin(), {"--topology", deployment_.topologyPath().string(), "--ca",
                               (admin / "ca.crt").string(), "--cert",
                               (admin / "operator-test-admin.crt").string(), "--key",
                               (admin / "operator-test-admin.key").string()});
    return runProgram("tools/triadctl/triadctl", args, scratch_.path());
  }

  Deployment deployment_;
  testing::TempDir scratch_;
};

std::string describe(const CtlRun& run) {
  return "exit " + std::to_string(run.exitCode) + "\nstdout:\n" + run.out + "\nstderr:\n" + run.err;
}

TEST_F(TriadctlTest, UsageErrorsAndAnUnreachableFirmHaveTheirExitCodes) {
  // Nothing runs: every command that needs the firm says so, quickly.
  CtlRun deposit = ctl({"--timeout-ms", "1000", "--json", "deposit", "alice", "10.00"});
  EXPECT_EQ(deposit.exitCode, 3) << describe(deposit);
  EXPECT_LT(deposit.took, 5s);
  ASSERT_TRUE(deposit.data.is_object()) << describe(deposit);
  EXPECT_EQ(deposit.data["exitCode"], 3);
  EXPECT_NE(deposit.data["error"].get<std::string>().find("firm"), std::string::npos);
  // One clear line on stderr.
  EXPECT_EQ(std::count(deposit.err.begin(), deposit.err.end(), '\n'), 1) << deposit.err;

  // status with every daemon down: each shown as down, exit 1, within ~1 timeout.
  CtlRun status = ctl({"--timeout-ms", "1000", "--json", "status"});
  EXPECT_EQ(status.exitCode, 1) << describe(status);
  EXPECT_LT(status.took, 5s) << "status waited on each daemon in turn";
  ASSERT_TRUE(status.data.is_object()) << describe(status);
  EXPECT_FALSE(status.data["healthy"].get<bool>());
  for (const auto& daemon : status.data["daemons"]) EXPECT_EQ(daemon["state"], "down") << daemon;

  CtlRun orders = ctl({"--timeout-ms", "1000", "orders"});
  EXPECT_EQ(orders.exitCode, 3) << describe(orders);

  EXPECT_EQ(ctl({"frobnicate"}).exitCode, 2);
  EXPECT_EQ(ctl({"deposit", "alice"}).exitCode, 2);
  EXPECT_EQ(ctl({"deposit", "alice", "ten"}).exitCode, 2);
  EXPECT_EQ(ctl({"orders", "--status", "sleeping"}).exitCode, 2);
  EXPECT_EQ(ctl({"--timeout-ms", "soon", "status"}).exitCode, 2);
  EXPECT_EQ(runProgram("tools/triadctl/triadctl", {"--topology", "/nonexistent.conf", "status"},
                       scratch_.path())
                .exitCode,
            2);
  CtlRun help = ctl({"--help"});
  EXPECT_EQ(help.exitCode, 0);
  EXPECT_NE(help.out.find("Exit codes"), std::string::npos) << help.out;
}

TEST_F(TriadctlTest, AnOperatorsSessionAgainstRealDaemons) {
  deployment_.start("utilities/firm/triad-firmd", "firm");
  deployment_.start("utilities/customer/triad-customerd", "cf1");
  deployment_.start("utilities/common/triad-utilityd", "ss1");
  const std::string topology = deployment_.topologyPath().string();
  ChildProcess busFirm(builtProgram("brokers/triad-brokerd"),
                       {"--topology", topology, "--bus", "firm"});
  ChildProcess busCustomer(builtProgram("brokers/triad-brokerd"),
                           {"--topology", topology, "--bus", "customer"});
  ChildProcess venue(
      builtProgram("exchange/triad-exchanged"),
      {"--topology", topology, "--id", "xtst", "--data", deployment_.dataRoot("xtst").string()});

  // Everything comes up; status then has no alarm and exits 0.
  CtlRun status;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  do {
    status = ctl({"--json", "status"});
    if (status.exitCode == 0) break;
    std::this_thread::sleep_for(500ms);
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(status.exitCode, 0) << describe(status) << deployment_.log("firm");
  ASSERT_TRUE(status.data.is_object());
  EXPECT_TRUE(status.data["healthy"].get<bool>());
  EXPECT_EQ(status.data["groups"].size(), 9u) << "every group at every site";
  EXPECT_EQ(status.data["daemons"].size(), 6u);
  for (const auto& group : status.data["groups"]) {
    EXPECT_EQ(group["lagCommits"], 0) << group;
    EXPECT_EQ(group["role"], group["group"] == group["site"] ? "master" : "client") << group;
  }
  CtlRun table = ctl({"status"});
  EXPECT_EQ(table.exitCode, 0) << describe(table);
  EXPECT_NE(table.out.find("no alarms"), std::string::npos) << table.out;

  // The firm's books: writes answer ok (exit 0) or refused (exit 1).
  CtlRun created = ctl({"--json", "accounts", "create", "alice", "--secret", "alice-secret"});
  ASSERT_EQ(created.exitCode, 0) << describe(created);
  EXPECT_TRUE(created.data["ok"].get<bool>());
  EXPECT_EQ(ctl({"deposit", "alice", "5000.00"}).exitCode, 0);
  CtlRun overdrawn = ctl({"--json", "withdraw", "alice", "999999.00"});
  EXPECT_EQ(overdrawn.exitCode, 1) << describe(overdrawn);
  EXPECT_FALSE(overdrawn.data["ok"].get<bool>());
  EXPECT_FALSE(overdrawn.data["reason"].get<std::string>().empty());
  EXPECT_NE(overdrawn.err.find("refused"), std::string::npos) << overdrawn.err;
  EXPECT_EQ(ctl({"route", "*", "ss1", "xtst", "--last", "10.00"}).exitCode, 0);
  EXPECT_EQ(ctl({"accounts", "limits", "alice", "--max-position", "1000"}).exitCode, 0);

  CtlRun accounts = ctl({"--json", "accounts"});
  ASSERT_EQ(accounts.exitCode, 0) << describe(accounts);
  ASSERT_EQ(accounts.data["accounts"].size(), 1u);
  EXPECT_EQ(accounts.data["accounts"][0]["id"], "alice");
  EXPECT_EQ(accounts.data["accounts"][0]["limits"]["maxPosition"], 1000);
  CtlRun routes = ctl({"--json", "routes"});
  ASSERT_EQ(routes.exitCode, 0) << describe(routes);
  EXPECT_EQ(routes.data["routes"][0]["venue"], "xtst");
  CtlRun verified = ctl({"--json", "verify"});
  EXPECT_EQ(verified.exitCode, 0) << describe(verified);
  EXPECT_TRUE(verified.data["clean"].get<bool>());

  // The audit trail (issue 17): the deposit under the tests' operator's name,
  // the refused withdrawal with its refusal; cf1's copy says the same.
  CtlRun audit = ctl({"--json", "audit", "--call", "deposit"});
  EXPECT_EQ(audit.exitCode, 0) << describe(audit);
  ASSERT_EQ(audit.data["entries"].size(), 1u) << describe(audit);
  EXPECT_EQ(audit.data["entries"][0]["operator"], "test-admin");
  EXPECT_EQ(audit.data["entries"][0]["account"], "alice");
  EXPECT_TRUE(audit.data["entries"][0]["ok"].get<bool>());
  CtlRun refusedAudit = ctl({"--json", "audit", "--call", "withdraw", "--utility", "firm"});
  ASSERT_EQ(refusedAudit.data["entries"].size(), 1u) << describe(refusedAudit);
  EXPECT_FALSE(refusedAudit.data["entries"][0]["ok"].get<bool>());
  EXPECT_EQ(refusedAudit.data["entries"][0]["errorCode"], "insufficientBuyingPower");
  CtlRun auditTable = ctl({"audit", "--operator", "test-admin"});
  EXPECT_NE(auditTable.out.find("createAccount"), std::string::npos) << describe(auditTable);
  EXPECT_EQ(auditTable.out.find("alice-secret"), std::string::npos) << "the secret is redacted";

  // The certificate from a config file, as an operator keeps it in ~/.triad.
  {
    const std::filesystem::path admin = deployment_.adminTlsPath();
    const std::filesystem::path config = scratch_.path() / "operator.conf";
    std::ofstream(config) << "cert = " << (admin / "operator-test-admin.crt").string()
                          << "\nkey = " << (admin / "operator-test-admin.key").string()
                          << "\nca = " << (admin / "ca.crt").string() << "\n";
    ::setenv("TRIAD_OPERATOR_CONFIG", config.c_str(), 1);
    CtlRun who = runProgram("tools/triadctl/triadctl", {"--topology", topology, "--json", "whoami"},
                            scratch_.path());
    ::unsetenv("TRIAD_OPERATOR_CONFIG");
    EXPECT_EQ(who.exitCode, 0) << describe(who);
    EXPECT_EQ(who.data["operator"], "test-admin") << describe(who);
    // Without any certificate: a usage error naming where it looked.
    ::setenv("TRIAD_OPERATOR_CONFIG", (scratch_.path() / "none.conf").c_str(), 1);
    CtlRun none =
        runProgram("tools/triadctl/triadctl", {"--topology", topology, "whoami"}, scratch_.path());
    ::unsetenv("TRIAD_OPERATOR_CONFIG");
    EXPECT_EQ(none.exitCode, 2) << describe(none);
    EXPECT_NE(none.err.find("TRIAD_OPERATOR_CERT"), std::string::npos) << describe(none);
  }

  // An order placed at cf1 (ss1 does not route it: it stays pending-new),
  // found by account, symbol and status.
  std::this_thread::sleep_for(1s);  // the firm's writes replicate to cf1
  CtlRun placed = runProgram("tools/triad-trader/triad-trader",
                             {"--topology", topology, "--utility", "cf1", "--account", "alice",
                              "--secret", "alice-secret", "buy", "ACME", "10", "--limit", "10.00"},
                             scratch_.path());
  ASSERT_EQ(placed.exitCode, 0) << describe(placed);
  CtlRun found = ctl({"--json", "orders", "--account", "alice", "--symbol", "ACME"});
  ASSERT_EQ(found.exitCode, 0) << describe(found);
  ASSERT_EQ(found.data["orders"].size(), 1u) << found.out;
  const auto& order = found.data["orders"][0];
  EXPECT_EQ(order["account"], "alice");
  EXPECT_EQ(order["side"], "buy");
  EXPECT_EQ(order["quantity"], 10);
  EXPECT_EQ(order["status"], "pending-new");
  EXPECT_EQ(order["id"].get<std::string>().rfind("cf1-", 0), 0u);
  EXPECT_EQ(ctl({"--json", "orders"}).data["orders"].size(), 1u) << "every account";
  EXPECT_EQ(ctl({"--json", "orders", "--status", "open"}).data["orders"].size(), 1u);
  EXPECT_EQ(ctl({"--json", "orders", "--status", "filled"}).data["orders"].size(), 0u);
  EXPECT_EQ(ctl({"--json", "orders", "--symbol", "OTHER"}).data["orders"].size(), 0u);
  CtlRun ordersTable = ctl({"orders"});
  EXPECT_NE(ordersTable.out.find("pending-new"), std::string::npos) << ordersTable.out;

  // bus: every utility answers, with a subscriber's numbers or without one.
  CtlRun bus = ctl({"--json", "bus"});
  EXPECT_EQ(bus.exitCode, 0) << describe(bus);
  ASSERT_EQ(bus.data["sites"].size(), 3u) << bus.out;
  for (const auto& site : bus.data["sites"]) {
    EXPECT_TRUE(site["state"] == "ok" || site["state"] == "no bus subscriber") << site;
  }

  // The firm goes down (stopped, as if hung): status says so within a few
  // seconds and exits 1; its writes exit 3.
  deployment_.process("firm").kill(SIGSTOP);
  CtlRun down = ctl({"--timeout-ms", "1000", "--json", "status"});
  EXPECT_EQ(down.exitCode, 1) << describe(down);
  EXPECT_LT(down.took, 6s);
  bool firmDown = false;
  for (const auto& alarm : down.data["alarms"]) {
    firmDown |= alarm["kind"] == "down" && alarm["subject"] == "firm";
  }
  EXPECT_TRUE(firmDown) << down.out;
  CtlRun unreachable = ctl({"--timeout-ms", "1000", "routes"});
  EXPECT_EQ(unreachable.exitCode, 3) << describe(unreachable);
  deployment_.process("firm").kill(SIGCONT);

  for (const char* id : {"cf1", "ss1", "firm"}) deployment_.process(id).kill(SIGTERM);
  for (const char* id : {"cf1", "ss1", "firm"}) {
    EXPECT_EQ(deployment_.process(id).wait(60s), 0) << id << "\n" << deployment_.log(id);
  }
}

}  // namespace
}  // namespace triad::ctl
