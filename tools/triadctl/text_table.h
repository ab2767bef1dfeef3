// A plain-text table for the console: every column as wide as its widest
// cell, two spaces between columns, numbers right-aligned.

#pragma once

#include <string>
#include <vector>

namespace triad::ctl {

class TextTable {
 public:
  struct Column {
    std::string title;
    bool alignRight = false;
  };

  explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

  // REQUIRES: as many cells as columns.
  void add(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }

  // The header and every row, each line ending with a newline (no trailing
  // spaces).
  std::string render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace triad::ctl
