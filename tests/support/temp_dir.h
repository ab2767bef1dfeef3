// A fresh folder under $TMPDIR for one test, removed with everything in it
// when the object goes away (unless TRIAD_KEEP_TEST_DATA is set).

#pragma once

#include <filesystem>

namespace triad::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace triad::testing
