#include "tools/triad-loadgen/load_report.h"

#include <cstdio>
#include <string>

namespace triad::loadgen {
namespace {

std::string fixed(double value, int decimals = 3) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string jsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

double perSecond(uint64_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0;
}

void textLine(std::ostream& out, const char* name, const LatencySamples& samples) {
  const LatencySummary s = samples.summary();
  char line[256];
  std::snprintf(line, sizeof line, "  %-22s %8zu %9.3f %9.3f %9.3f %9.3f %9.3f\n", name, s.count,
                s.p50Ms, s.p90Ms, s.p99Ms, s.p999Ms, s.maxMs);
  out << line;
}

void jsonLatency(std::ostream& out, const char* name, const LatencySamples& samples, bool last) {
  const LatencySummary s = samples.summary();
  out << "    " << jsonString(name) << ": {\"count\": " << s.count
      << ", \"p50\": " << fixed(s.p50Ms) << ", \"p90\": " << fixed(s.p90Ms)
      << ", \"p99\": " << fixed(s.p99Ms) << ", \"p999\": " << fixed(s.p999Ms)
      << ", \"max\": " << fixed(s.maxMs) << ", \"mean\": " << fixed(s.meanMs) << "}"
      << (last ? "\n" : ",\n");
}

}  // namespace

void printText(std::ostream& out, const LoadResult& r) {
  out << "triad-loadgen: " << r.mode << " loop";
  if (r.mode == "open") {
    out << " at " << fixed(r.targetRate, 0) << " ops/s";
  } else {
    out << ", " << r.concurrency << " concurrent";
  }
  out << ", " << r.sessions << " sessions, " << fixed(r.elapsedSeconds, 2) << " s\n";
  out << "  operations " << r.operations << ", orders placed " << r.placed << " ("
      << fixed(perSecond(r.placed, r.elapsedSeconds), 0) << "/s), cancels " << r.cancelled
      << ", status reads " << r.statuses << "\n";
  out << "  latency ms               count       p50       p90       p99     p99.9       max\n";
  textLine(out, "placeOrder ack", r.place);
  textLine(out, "cancelOrder ack", r.cancel);
  textLine(out, "orderStatus", r.status);
  textLine(out, "fill visible elsewhere", r.fillVisible);
  textLine(out, "place to booked", r.booked);
  uint64_t errors = 0;
  for (const auto& [reason, count] : r.errors) errors += count;
  out << "  errors " << errors << "\n";
  for (const auto& [reason, count] : r.errors) out << "    " << count << "  " << reason << "\n";
  if (r.drainSeconds > 0) {
    out << "  drain: " << (r.drained ? "every order final" : "orders still open") << ", "
        << r.executionsBooked << " executions booked for " << r.fillable
        << " fillable orders, verify " << (r.verifyClean ? "clean" : "NOT clean") << ", after "
        << fixed(r.drainSeconds, 2) << " s\n";
    for (const std::string& finding : r.findings) out << "    " << finding << "\n";
  }
}

void printJson(std::ostream& out, const LoadResult& r) {
  uint64_t errors = 0;
  for (const auto& [reason, count] : r.errors) errors += count;
  out << "{\n  \"mode\": " << jsonString(r.mode) << ",\n  \"concurrency\": " << r.concurrency
      << ",\n  \"sessions\": " << r.sessions << ",\n  \"targetRate\": " << fixed(r.targetRate, 1)
      << ",\n  \"elapsedSeconds\": " << fixed(r.elapsedSeconds)
      << ",\n  \"operations\": " << r.operations << ",\n  \"placed\": " << r.placed
      << ",\n  \"cancelled\": " << r.cancelled << ",\n  \"statuses\": " << r.statuses
      << ",\n  \"fillable\": " << r.fillable
      << ",\n  \"placedPerSecond\": " << fixed(perSecond(r.placed, r.elapsedSeconds), 1)
      << ",\n  \"latencyMs\": {\n";
  jsonLatency(out, "placeOrder", r.place, false);
  jsonLatency(out, "cancelOrder", r.cancel, false);
  jsonLatency(out, "orderStatus", r.status, false);
  jsonLatency(out, "fillVisible", r.fillVisible, false);
  jsonLatency(out, "booked", r.booked, true);
  out << "  },\n  \"errorCount\": " << errors << ",\n  \"errors\": {";
  bool first = true;
  for (const auto& [reason, count] : r.errors) {
    out << (first ? "" : ", ") << jsonString(reason) << ": " << count;
    first = false;
  }
  out << "},\n  \"drain\": {\"drained\": " << (r.drained ? "true" : "false")
      << ", \"verifyClean\": " << (r.verifyClean ? "true" : "false")
      << ", \"seconds\": " << fixed(r.drainSeconds)
      << ", \"executionsBooked\": " << r.executionsBooked << ", \"findings\": [";
  first = true;
  for (const std::string& finding : r.findings) {
    out << (first ? "" : ", ") << jsonString(finding);
    first = false;
  }
  out << "]}\n}\n";
}

}  // namespace triad::loadgen
