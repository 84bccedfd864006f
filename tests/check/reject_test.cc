// Histories that are not linearizable (or not decidable) and must say so.
#include <gtest/gtest.h>

#include "check/linearizability.h"
#include "tests/check/ops.h"

namespace cairn::check {
namespace {

using namespace ops;  // NOLINT: the op constructors

// gmock is not linked, so a plain substring assertion.
::testing::AssertionResult HasSubstr(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "missing \"" << part << "\" in:\n" << text;
}

// Expects a violation on `key` whose explanation names the culprit.
void ExpectViolation(const History& h, const std::string& key, const Operation& culprit) {
  const CheckResult r = CheckLinearizable(h);
  ASSERT_EQ(r.verdict, CheckResult::kViolation) << VerdictName(r.verdict);
  EXPECT_EQ(r.key, key);
  EXPECT_TRUE(HasSubstr(r.explanation, "key \"" + key + "\""));
  EXPECT_TRUE(HasSubstr(r.explanation, ToString(culprit)));
}

TEST(CheckReject, StaleRead) {
  const Operation stale = Get(2, "x", "a", 40, 50);
  ExpectViolation({Put(0, "x", "a", 0, 10), Put(1, "x", "b", 20, 30), stale}, "x", stale);
}

TEST(CheckReject, LostWrite) {
  // b's put completed, nobody ever sees it, and reads go on seeing a.
  const Operation later = Get(0, "x", "a", 60, 70);
  ExpectViolation(
      {
          Put(0, "x", "a", 0, 10),
          Put(1, "x", "b", 20, 30),
          Get(2, "x", "a", 25, 35),  // concurrent with b's put: fine on its own
          later,
      },
      "x", later);
}

TEST(CheckReject, ReadBeforeWrite) {
  const Operation early = Get(0, "x", "a", 0, 10);
  ExpectViolation({early, Put(1, "x", "a", 20, 30)}, "x", early);
}

TEST(CheckReject, ReadBeforeUnknownWrite) {
  const Operation early = Get(0, "x", "a", 0, 10);
  ExpectViolation({early, Unknown(Put(1, "x", "a", 11, 0))}, "x", early);
}

TEST(CheckReject, CasOkWithoutExpectedValue) {
  const Operation cas = Cas(1, "x", "b", "c", true, 20, 30);
  // b is written, but only later.
  ExpectViolation({Put(0, "x", "a", 0, 10), cas, Put(0, "x", "b", 40, 50)}, "x", cas);
  // b is never written.
  ExpectViolation({Put(0, "x", "a", 0, 10), cas}, "x", cas);
  // The key is absent.
  ExpectViolation({Cas(1, "x", "", "c", true, 0, 1)}, "x", Cas(1, "x", "", "c", true, 0, 1));
}

TEST(CheckReject, CasFailedThoughExpectedValuePresent) {
  const Operation cas = Cas(1, "x", "a", "b", false, 20, 30);
  ExpectViolation({Put(0, "x", "a", 0, 10), cas}, "x", cas);
}

TEST(CheckReject, ReadOfDeletedKey) {
  const Operation read = Get(2, "x", "a", 40, 50);
  ExpectViolation({Put(0, "x", "a", 0, 10), Del(1, "x", 20, 30), read}, "x", read);
}

TEST(CheckReject, MissingAfterCompletedPut) {
  const Operation read = Get(1, "x", std::nullopt, 20, 30);
  ExpectViolation({Put(0, "x", "a", 0, 10), read}, "x", read);
}

TEST(CheckReject, ReadsDisagreeOnOrderOfWrites) {
  const Operation second = Get(3, "x", "b", 30, 35);
  ExpectViolation(
      {
          Put(0, "x", "a", 0, 10),
          Put(1, "x", "b", 0, 10),
          Get(2, "x", "a", 20, 25),
          second,
      },
      "x", second);
}

TEST(CheckReject, IntervalsTouchingIsNotOverlapping) {
  // The put returned at 10; a get called at 11 must see it.
  const Operation read = Get(1, "x", std::nullopt, 11, 20);
  ExpectViolation({Put(0, "x", "a", 0, 10), read}, "x", read);
}

TEST(CheckReject, ViolationOnOneKeyAmongMany) {
  const Operation stale = Get(2, "y", "a", 40, 50);
  ExpectViolation(
      {
          Put(0, "x", "a", 0, 10),
          Put(0, "y", "a", 0, 10),
          Put(1, "y", "b", 20, 30),
          Get(1, "x", "a", 40, 50),
          stale,
          Get(3, "z", std::nullopt, 0, 100),
      },
      "y", stale);
}

TEST(CheckReject, ExplanationShowsPrefixAndState) {
  const CheckResult r = CheckLinearizable({
      Put(0, "x", "a", 0, 10),
      Put(1, "x", "b", 20, 30),
      Get(2, "x", "a", 40, 50),
  });
  ASSERT_EQ(r.verdict, CheckResult::kViolation);
  EXPECT_TRUE(HasSubstr(r.explanation, "Longest linearizable prefix found: 2 of 3"));
  EXPECT_TRUE(HasSubstr(r.explanation, "1. " + ToString(Put(0, "x", "a", 0, 10))));
  EXPECT_TRUE(HasSubstr(r.explanation, "2. " + ToString(Put(1, "x", "b", 20, 30))));
  EXPECT_TRUE(HasSubstr(r.explanation, "after which the key holds \"b\""));
  EXPECT_TRUE(HasSubstr(r.explanation, "it read \"a\", but the key holds \"b\""));
}

TEST(CheckReject, ReturnBeforeCallIsInvalid) {
  const CheckResult r = CheckLinearizable({Put(0, "x", "a", 10, 9)});
  EXPECT_EQ(r.verdict, CheckResult::kUnknown);
  EXPECT_TRUE(HasSubstr(r.explanation, "invalid history"));
}

TEST(CheckReject, ExhaustedBudgetIsUnknownNotAGuess) {
  // Six concurrent puts and a read nobody can explain once they are done:
  // proving that takes exploring their orders.
  History h;
  for (int i = 0; i < 6; ++i)
    h.push_back(Put(i, "x", "v" + std::to_string(i), 0, 10));
  h.push_back(Put(6, "x", "late", 20, 30));
  h.push_back(Get(7, "x", "v0", 40, 50));
  CheckOptions tight;
  tight.max_states_per_key = 5;
  const CheckResult r = CheckLinearizable(h, tight);
  EXPECT_EQ(r.verdict, CheckResult::kUnknown);
  EXPECT_EQ(r.key, "x");
  EXPECT_TRUE(HasSubstr(r.explanation, "budget exhausted"));
  EXPECT_EQ(CheckLinearizable(h).verdict, CheckResult::kViolation);
}

TEST(CheckReject, ViolationWinsOverUnknown) {
  History h;
  for (int i = 0; i < 6; ++i)
    h.push_back(Put(i, "a", "v" + std::to_string(i), 0, 10));
  h.push_back(Put(6, "a", "late", 20, 30));
  h.push_back(Get(7, "a", "v0", 40, 50));
  h.push_back(Get(7, "b", "never", 40, 50));
  CheckOptions tight;
  tight.max_states_per_key = 5;
  const CheckResult r = CheckLinearizable(h, tight);
  EXPECT_EQ(r.verdict, CheckResult::kViolation);
  EXPECT_EQ(r.key, "b");
}

}  // namespace
}  // namespace cairn::check
