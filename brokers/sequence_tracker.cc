#include "brokers/sequence_tracker.h"

namespace triad::brokers {

SequenceTracker::Verdict SequenceTracker::observe(std::string_view origin, std::string_view topic,
                                                  uint64_t incarnation, uint64_t sequence) {
  Verdict verdict;
  auto known = origins_.find(origin);
  if (known == origins_.end()) {
    Origin& fresh = origins_[std::string(origin)];
    fresh.incarnation = incarnation;
    fresh.lastSequenceByTopic.emplace(std::string(topic), sequence);
    return verdict;
  }
  Origin& state = known->second;
  if (state.incarnation != incarnation) {
    verdict.restarted = PublisherRestarted{std::string(origin), state.incarnation, incarnation};
    state.incarnation = incarnation;
    state.streamsStartAtOne = true;
    state.lastSequenceByTopic.clear();
  }
  auto stream = state.lastSequenceByTopic.find(topic);
  if (stream == state.lastSequenceByTopic.end()) {
    if (state.streamsStartAtOne && sequence > 1) {
      verdict.gap = Gap{std::string(origin), std::string(topic), 1, sequence};
    }
    state.lastSequenceByTopic.emplace(std::string(topic), sequence);
    return verdict;
  }
  uint64_t& last = stream->second;
  if (sequence <= last) {
    verdict.duplicate = Duplicate{std::string(origin), std::string(topic), sequence};
  } else {
    if (sequence > last + 1) {
      verdict.gap = Gap{std::string(origin), std::string(topic), last + 1, sequence};
    }
    last = sequence;
  }
  return verdict;
}

void SequenceTracker::subscriptionAdded() {
  for (auto& [name, state] : origins_) state.streamsStartAtOne = false;
}

}  // namespace triad::brokers
