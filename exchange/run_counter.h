// A number that grows by one every time a daemon starts, kept in a file, so
// that identifiers made in one run (the venue's ExecIDs) never repeat those
// of an earlier run, even though the counters behind them restart at 1.
//
// The file holds the last run's number in decimal. It is replaced
// atomically (written aside, fsync'd, renamed, directory fsync'd), so a
// crash leaves either the old number or the new one, never a torn file, and
// the number is on disk before any identifier of the new run is handed out.

#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <variant>

namespace triad::exchange {

// Reads the last run (0 when the file does not exist), writes last + 1 and
// returns it. A fault (unreadable, not a number, cannot write) is returned
// as a message naming the file.
[[nodiscard]] std::variant<uint64_t, std::string> advanceRunCounter(
    const std::filesystem::path& file);

}  // namespace triad::exchange
