// The line protocol of triad-site: one command per line on stdin, one answer
// per command on stdout. Every answer ends with a line that starts with "ok"
// or "error <Code>: <reason>", so scripts and tests can drive a site without
// parsing free text. Records are written and printed in Cap'n Proto's text
// format, typed by the table's schema (utilities/common/group_schema.h).
//
//   ready <replicas> <timeout-ms>    wait until the owned group has that many
//                                    acknowledging replicas
//   put <group> <table> <key> <record-text>
//   get <group> <table> <key>
//   count <group> <table>
//   fill audit <prefix> <count> <bytes>
//                                    write audit records <prefix>-0.. (with
//                                    padding) in the owned group, one commit each
//   wait <group> <sequence> <timeout-ms>
//   status                           one "group ..." line per group
//   checkpoint                       checkpoint and remove old logs (owner)
//   quit

#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

#include "utilities/common/site_storage.h"

namespace triad::tools {

class SiteConsole {
 public:
  SiteConsole(const topology::Topology& topology, common::SiteStorage& storage)
      : topology_(topology), storage_(storage) {}

  // Runs one command line, writing its answer to `out`. Returns false on quit.
  bool run(std::string_view line, std::ostream& out);

 private:
  void put(std::string_view args, std::ostream& out);
  void get(std::string_view args, std::ostream& out);
  void count(std::string_view args, std::ostream& out);
  void fill(std::string_view args, std::ostream& out);
  void wait(std::string_view args, std::ostream& out);
  void ready(std::string_view args, std::ostream& out);
  void status(std::ostream& out);
  void checkpoint(std::ostream& out);

  const topology::Topology& topology_;
  common::SiteStorage& storage_;
};

}  // namespace triad::tools
