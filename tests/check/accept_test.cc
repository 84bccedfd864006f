// Histories that are linearizable and must be accepted.
#include <gtest/gtest.h>

#include "check/linearizability.h"
#include "tests/check/ops.h"

namespace cairn::check {
namespace {

using namespace ops;  // NOLINT: the op constructors

void ExpectOk(const History& h) {
  const CheckResult r = CheckLinearizable(h);
  EXPECT_EQ(r.verdict, CheckResult::kOk) << VerdictName(r.verdict) << "\n" << r.explanation;
  EXPECT_TRUE(r.explanation.empty());
}

TEST(CheckAccept, EmptyHistory) {
  ExpectOk({});
}

TEST(CheckAccept, Sequential) {
  ExpectOk({
      Get(0, "x", std::nullopt, 0, 1),
      Put(0, "x", "a", 2, 3),
      Get(1, "x", "a", 4, 5),
      Put(1, "x", "b", 6, 7),
      Get(0, "x", "b", 8, 9),
      Del(0, "x", 10, 11),
      Get(1, "x", std::nullopt, 12, 13),
  });
}

TEST(CheckAccept, OverlappingWritesEitherOrderWins) {
  for (const char* winner : {"a", "b"}) {
    ExpectOk({
        Put(0, "x", "a", 0, 10),
        Put(1, "x", "b", 5, 15),
        Get(2, "x", winner, 20, 25),
        Get(0, "x", winner, 30, 35),
    });
  }
}

TEST(CheckAccept, ReadsDuringOverlappingWritesSeeEitherOrder) {
  // Reads inside the writes' overlap may see a then b, or b then a.
  ExpectOk({
      Put(0, "x", "a", 0, 10),
      Put(1, "x", "b", 0, 10),
      Get(2, "x", "a", 1, 2),
      Get(2, "x", "b", 3, 4),
      Get(3, "x", "b", 20, 21),
  });
  ExpectOk({
      Put(0, "x", "a", 0, 10),
      Put(1, "x", "b", 0, 10),
      Get(2, "x", "b", 1, 2),
      Get(2, "x", "a", 3, 4),
      Get(3, "x", "a", 20, 21),
  });
}

TEST(CheckAccept, ReadConcurrentWithWriteSeesOldOrNew) {
  for (const auto& seen : {std::optional<std::string>(), std::optional<std::string>("a")}) {
    ExpectOk({Put(0, "x", "a", 0, 10), Get(1, "x", seen, 5, 6)});
  }
}

TEST(CheckAccept, IntervalsAreClosed) {
  // The get is called exactly when the put returns, so it may precede it.
  ExpectOk({Put(0, "x", "a", 0, 10), Get(1, "x", std::nullopt, 10, 20)});
  // Zero-length intervals.
  ExpectOk({Put(0, "x", "a", 5, 5), Get(1, "x", "a", 5, 5), Put(2, "x", "b", 5, 5)});
}

TEST(CheckAccept, UnknownWriteThatTookEffect) {
  ExpectOk({
      Put(0, "x", "a", 0, 10),
      Unknown(Put(1, "x", "b", 20, 0)),
      Get(2, "x", "b", 30, 40),
  });
}

TEST(CheckAccept, UnknownWriteThatDidNotTakeEffect) {
  ExpectOk({
      Put(0, "x", "a", 0, 10),
      Unknown(Put(1, "x", "b", 20, 0)),
      Get(2, "x", "a", 30, 40),
      Get(2, "x", "a", 1000, 1001),
  });
}

TEST(CheckAccept, UnknownWriteTakesEffectLongAfterItsClientMovedOn) {
  ExpectOk({
      Put(0, "x", "a", 0, 10),
      Unknown(Put(1, "x", "b", 20, 0)),
      Put(1, "x", "c", 30, 40),
      Get(2, "x", "c", 50, 60),
      Get(2, "x", "b", 70, 80),
  });
}

TEST(CheckAccept, UnknownDelete) {
  ExpectOk({
      Put(0, "x", "a", 0, 10),
      Unknown(Del(1, "x", 20, 0)),
      Get(2, "x", "a", 30, 40),
      Get(2, "x", std::nullopt, 50, 60),
  });
}

TEST(CheckAccept, UnknownCasEitherWay) {
  ExpectOk({
      Put(0, "x", "a", 0, 10),
      Unknown(Cas(1, "x", "a", "b", true, 20, 0)),
      Get(2, "x", "b", 30, 40),
  });
  ExpectOk({
      Put(0, "x", "a", 0, 10),
      Unknown(Cas(1, "x", "a", "b", true, 20, 0)),
      Get(2, "x", "a", 30, 40),
  });
}

TEST(CheckAccept, UnknownGetIsIgnored) {
  Operation g = Get(1, "x", "never written", 20, 10);
  g.known = false;
  ExpectOk({Put(0, "x", "a", 0, 10), g, Get(2, "x", "a", 30, 40)});
}

TEST(CheckAccept, CasSuccessAndFailure) {
  ExpectOk({
      Cas(0, "x", "", "z", false, 0, 1),  // a missing key never matches
      Put(0, "x", "a", 2, 3),
      Cas(1, "x", "a", "b", true, 4, 5),
      Cas(2, "x", "a", "c", false, 6, 7),
      Get(0, "x", "b", 8, 9),
      Del(0, "x", 10, 11),
      Cas(1, "x", "b", "d", false, 12, 13),
  });
}

TEST(CheckAccept, RacingCasesOneWins) {
  ExpectOk({
      Put(0, "x", "a", 0, 1),
      Cas(1, "x", "a", "b", false, 2, 10),
      Cas(2, "x", "a", "c", true, 2, 10),
      Get(0, "x", "c", 11, 12),
  });
}

TEST(CheckAccept, Deletes) {
  ExpectOk({
      Del(0, "x", 0, 1),  // deleting an absent key succeeds
      Put(0, "x", "a", 2, 3),
      Del(1, "x", 4, 5),
      Get(2, "x", std::nullopt, 6, 7),
      Put(0, "x", "a", 8, 9),  // the same value again
      Get(1, "x", "a", 10, 11),
  });
}

TEST(CheckAccept, KeysAreIndependent) {
  ExpectOk({
      Put(0, "x", "a", 0, 10),
      Put(1, "y", "b", 0, 10),
      Get(2, "y", "b", 11, 12),
      Get(2, "x", "a", 13, 14),
      Get(3, "z", std::nullopt, 0, 100),
  });
}

}  // namespace
}  // namespace cairn::check
