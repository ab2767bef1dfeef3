// A program started by a test as a separate process, with its standard input
// and output as pipes. The destructor kills it (SIGKILL) and reaps it if it
// is still running, so a failing test never leaves processes behind.

#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace triad::testing {

class ChildProcess {
 public:
  // Starts `program` with `args`. Its stderr goes to `stderrPath` (appended),
  // or is inherited when empty.
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::string& stderrPath = "");
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Writes one line (a newline is appended) to the child's stdin.
  bool send(const std::string& line);
  // Reads one line from the child's stdout; nullopt on timeout or end of file.
  std::optional<std::string> readLine(std::chrono::milliseconds timeout);
  // Sends a command and returns the first line of its answer.
  std::optional<std::string> ask(const std::string& line,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

  void kill(int signal);  // e.g. SIGKILL, SIGSTOP, SIGCONT
  // Waits for exit; returns the exit status (or 128+signal), nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
  std::optional<int> exitStatus_;
};

// The path of a program built by this project, from TRIAD_BINARY_DIR.
std::string builtProgram(const std::string& relativePath);

}  // namespace triad::testing
