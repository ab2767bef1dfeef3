#include "utilities/common/crash_point.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace triad::common {
namespace {

// Runs `body` in a forked child; how the child ended (a signal or 0).
template <typename Body>
int inChild(Body body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
}

TEST(CrashPointTest, MalformedSpecsAreRefused) {
  for (const char* spec : {":2", "x:0", "x:-1", "x:", "x:2y", ":"}) {
    std::string error;
    EXPECT_FALSE(armCrashPoint(spec, error)) << spec;
    EXPECT_NE(error.find("--crash-at"), std::string::npos) << spec;
  }
  std::string error;
  EXPECT_TRUE(armCrashPoint("", error));  // nothing armed
}

TEST(CrashPointTest, DiesByKillAtTheNthPassOfItsOwnPointOnly) {
  EXPECT_EQ(inChild([] {
              std::string error;
              armCrashPoint("firm.mid-batch:3", error);
              crashPoint("firm.mid-batch");
              crashPoint("customer.after-commit");
              crashPoint("firm.mid-batch");
              ::_exit(7);  // passed twice: alive
            }),
            7);
  EXPECT_EQ(inChild([] {
              std::string error;
              armCrashPoint("firm.mid-batch:2", error);
              crashPoint("firm.mid-batch");
              crashPoint("firm.mid-batch");
              ::_exit(7);
            }),
            SIGKILL);
  EXPECT_EQ(inChild([] { crashPoint("firm.mid-batch"); }), 0);  // unarmed
}

}  // namespace
}  // namespace triad::common
