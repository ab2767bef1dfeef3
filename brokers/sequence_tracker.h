// Sequence bookkeeping for one subscriber: which bus messages are new, which
// were missed, which arrived twice, and when a publisher restarted.
//
// A publisher numbers each topic it publishes on separately: 1, 2, 3... per
// (origin, incarnation, topic). Per topic and not per publisher, because
// subscribers filter by topic: a street utility subscribed to "order.ss1"
// never sees a customer utility's "order.ss2" messages, and with one counter
// per publisher it would report each of them as a gap. So a *stream* is
// (origin, topic), and within one incarnation its sequence numbers are dense.
//
// Rules, for a message on stream (origin, topic) with (incarnation, sequence):
//   - origin never seen: accepted as the baseline of its stream. A subscriber
//     that has just started cannot know what came before; it catches up from
//     the replicas anyway (DESIGN §4).
//   - incarnation differs from the origin's last one: PublisherRestarted, and
//     every stream of that origin starts over. Incarnations are compared for
//     equality only (no clock is trusted to be monotonic). After an observed
//     restart each stream is known to begin at 1, so a first message with a
//     higher sequence is a Gap from 1.
//   - a stream not seen before from a known origin (a topic the publisher
//     started using, or one this subscriber just subscribed to): its first
//     message is the baseline, unless a restart into this incarnation was
//     observed and no subscription has been added since (then it must be 1).
//   - sequence == last + 1: in order.
//   - sequence > last + 1: Gap{expected = last + 1, received = sequence}; the
//     message itself is accepted.
//   - sequence <= last: Duplicate; the message is dropped.
//
// Not thread-safe: owned by one BusSubscriber, used on its thread.

#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace triad::brokers {

// Messages sequence `expected` .. `received - 1` of a stream were not received.
struct Gap {
  std::string origin;
  std::string topic;
  uint64_t expected = 0;
  uint64_t received = 0;
  uint64_t missed() const { return received - expected; }
  bool operator==(const Gap&) const = default;
};

// A message already received (or older than one received) arrived; it was
// dropped.
struct Duplicate {
  std::string origin;
  std::string topic;
  uint64_t sequence = 0;
  bool operator==(const Duplicate&) const = default;
};

// The publisher `origin` is a new process: messages from the old one that
// were in flight may have been lost.
struct PublisherRestarted {
  std::string origin;
  uint64_t oldIncarnation = 0;
  uint64_t newIncarnation = 0;
  bool operator==(const PublisherRestarted&) const = default;
};

class SequenceTracker {
 public:
  // What one message means. `deliver` is false only for a duplicate.
  struct Verdict {
    std::optional<PublisherRestarted> restarted;
    std::optional<Gap> gap;
    std::optional<Duplicate> duplicate;
    bool deliver() const { return !duplicate.has_value(); }
  };

  [[nodiscard]] Verdict observe(std::string_view origin, std::string_view topic,
                                uint64_t incarnation, uint64_t sequence);

  // Call when the subscriber adds a subscription: streams first seen after it
  // are taken as baselines, never as gaps from 1.
  void subscriptionAdded();

 private:
  struct Origin {
    uint64_t incarnation = 0;
    // True if this tracker saw the origin restart into `incarnation`, so each
    // of its streams began at sequence 1 while this subscriber was listening.
    bool streamsStartAtOne = false;
    std::map<std::string, uint64_t, std::less<>> lastSequenceByTopic;
  };

  std::map<std::string, Origin, std::less<>> origins_;
};

}  // namespace triad::brokers
