// The storage floor benchmark's site processes: the benchmark runs itself
// again as `replicated_commit_bench --site <coordinator pid> <site>` for every site
// of a configuration, master and replicas alike, so that each site is a
// process of its own, as it is in a deployment.
//
// The coordinator drives a site over its standard input and output, one
// line each way per command:
//   (first line in)  the site's configuration, JSON (BenchSiteConfig)
//                    -> "open" | "error <why>"
//   usage            -> "usage <ProcessUsage JSON>"
//   await-caught-up <ms>  (replica) -> "ready" | "timeout"
//   probe-start      (master) commits a small transaction every 20 ms, so
//                    that joining replicas see live log records -> "ok"
//   probe-stop       -> "connected <replicas whose connection is up>"
//   run <writers>    (master) starts the writers -> "running"
//   mark             opens the measurement window -> "usage <JSON>"
//   stop             closes it -> "usage <JSON>", then stops the writers
//                    -> "result <JSON>"
//   quit             closes the site -> "bye", and the process exits
// A site whose standard input ends (the coordinator is gone) exits at once;
// so does one whose coordinator dies (PR_SET_PDEATHSIG).

#pragma once

#include <sys/types.h>

namespace triad::bench {

// Runs this process as a site; returns its exit status.
int runSiteRole(pid_t coordinator);

}  // namespace triad::bench
