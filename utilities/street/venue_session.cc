#include "utilities/street/venue_session.h"

#include <chrono>
#include <cstdio>

namespace triad::street {
namespace {

bool isDate(std::string_view text) {
  if (text.size() != 8) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  const int month = (text[4] - '0') * 10 + (text[5] - '0');
  const int day = (text[6] - '0') * 10 + (text[7] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

}  // namespace

std::string utcDate(int64_t nanos) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<nanoseconds>(nanoseconds(nanos)));
  const year_month_day date(day);
  char text[16];
  std::snprintf(text, sizeof text, "%04d%02u%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

std::string venueSessionOf(std::string_view tradeDate, int64_t transactTimeNanos,
                           int64_t receivedAtNanos) {
  if (isDate(tradeDate)) return std::string(tradeDate);
  if (transactTimeNanos != 0) return utcDate(transactTimeNanos);
  return utcDate(receivedAtNanos);
}

}  // namespace triad::street
