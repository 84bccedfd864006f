#include "base/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace cairn {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Code::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s, Status::Ok());
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status s(Code::kNotFound, "key missing");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "key missing");
  EXPECT_EQ(s.ToString(), "NOT_FOUND: key missing");
}

TEST(StatusTest, EqualityComparesCodeAndMessage) {
  EXPECT_EQ(Status(Code::kAborted, "x"), Status(Code::kAborted, "x"));
  EXPECT_NE(Status(Code::kAborted, "x"), Status(Code::kAborted, "y"));
  EXPECT_NE(Status(Code::kAborted, "x"), Status(Code::kInternal, "x"));
}

TEST(StatusTest, CodeNamesMatchGrpcCanonicalNames) {
  EXPECT_STREQ(CodeName(Code::kOk), "OK");
  EXPECT_STREQ(CodeName(Code::kInvalidArgument), "INVALID_ARGUMENT");
  EXPECT_STREQ(CodeName(Code::kFailedPrecondition), "FAILED_PRECONDITION");
  EXPECT_STREQ(CodeName(Code::kUnavailable), "UNAVAILABLE");
  EXPECT_STREQ(CodeName(Code::kDataLoss), "DATA_LOSS");
  EXPECT_EQ(static_cast<int>(Code::kDataLoss), 15);
  EXPECT_STREQ(CodeName(static_cast<Code>(99)), "UNKNOWN_CODE");
}

TEST(ResultTest, HoldsValue) {
  Result<int> r = 42;
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 42);
  EXPECT_EQ(*r, 42);
  EXPECT_TRUE(r.status().ok());
  *r = 7;
  EXPECT_EQ(r.value(), 7);
}

TEST(ResultTest, HoldsError) {
  Result<std::string> r = Status(Code::kUnavailable, "no leader");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), Status(Code::kUnavailable, "no leader"));
}

TEST(ResultTest, ArrowAndMoveOut) {
  Result<std::string> r = std::string("hello");
  EXPECT_EQ(r->size(), 5u);
  std::string moved = std::move(r).value();
  EXPECT_EQ(moved, "hello");

  Result<std::unique_ptr<int>> p = std::make_unique<int>(3);
  std::unique_ptr<int> owned = std::move(p).value();
  ASSERT_NE(owned, nullptr);
  EXPECT_EQ(*owned, 3);
}

Result<int> ParsePositive(int x) {
  if (x <= 0) return Status(Code::kInvalidArgument, "not positive");
  return x;
}

TEST(ResultTest, ReturnsEitherFromAFunction) {
  EXPECT_EQ(ParsePositive(5).value(), 5);
  EXPECT_EQ(ParsePositive(-1).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace cairn
