// triadctl's commands served by the firm utility's Admin (firm_admin.h):
//
//   accounts                                   list
//   accounts create ID --secret S [--name N] [--currency C]
//   accounts limits ID [--max-notional X] [--max-position N]
//                      [--symbols A,B] [--allow-short]
//   deposit|withdraw ACCOUNT AMOUNT [--currency C]
//   route SYMBOL STREET VENUE [--currency C] [--last PRICE] | routes
//   halt SYMBOL REASON | resume SYMBOL
//   settle [YYYYMMDD] | verify
//
// A refusal is exit 1 with the firm's reason; a firm that does not answer is
// exit 3. Writes wait up to CommandOptions::writeTimeout: they are answered
// once a replica acknowledged them.

#pragma once

#include <kj/async-io.h>

#include <string>
#include <vector>

#include "base/topology.h"
#include "tools/triadctl/command_options.h"
#include "tools/triadctl/outcome.h"

namespace triad::ctl {

bool isFirmCommand(const std::string& verb);

// `words` is the command and its arguments ("deposit", "alice", "100.00").
Outcome runFirmCommand(kj::AsyncIoContext& io, const topology::Topology& topology,
                       const std::vector<std::string>& words, const CommandOptions& options);

}  // namespace triad::ctl
