// What every triadctl command produces: the data as JSON (printed by --json),
// the same data as readable text (printed otherwise), the exit code and, on
// failure, one line saying what went wrong (printed to stderr either way).
//
// Exit codes, the contract a monitoring script relies on (also in --help):
//   0  done; for status and bus: every daemon up and every group caught up;
//      for verify: the books are clean
//   1  the daemon refused the request (the reason is printed), or status,
//      bus or verify found something wrong (down, behind, not clean)
//   2  bad usage: unknown command, bad option or argument, refused topology
//   3  the daemon the command needs (the firm utility; for orders, a
//      customer utility) did not answer within --timeout-ms

#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace triad::ctl {

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnreachable = 3;

struct Outcome {
  nlohmann::json data = nlohmann::json::object();
  std::string text;  // ends with a newline when not empty
  int exitCode = kExitOk;
  std::string error;  // one line, no newline; empty on success
};

inline Outcome failure(int exitCode, std::string error) {
  Outcome outcome;
  outcome.exitCode = exitCode;
  outcome.error = std::move(error);
  return outcome;
}

}  // namespace triad::ctl
