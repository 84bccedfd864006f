#include "client/endpoints.h"

#include <gtest/gtest.h>

namespace cairn::client {
namespace {

TEST(EndpointsTest, ParsesEtcdStyleListsIntoGrpcTargets) {
  auto list = ParseEndpoints("http://127.0.0.1:2379, localhost:22379/,,10.0.0.1:3");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(*list, (std::vector<std::string>{"127.0.0.1:2379", "localhost:22379", "10.0.0.1:3"}));
}

TEST(EndpointsTest, RejectsEmptyListsAndTls) {
  EXPECT_EQ(ParseEndpoints(" , ").status().code(), Code::kInvalidArgument);
  auto tls = ParseEndpoints("https://a:2379");
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.status().message().find("TLS"), std::string::npos);
}

TEST(EndpointsTest, TriesThePreferredEndpointFirstThenTheOthersInOrder) {
  EXPECT_EQ(EndpointOrder(3, 0), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(EndpointOrder(3, 2), (std::vector<size_t>{2, 0, 1}));
  EXPECT_EQ(EndpointOrder(2, 7), (std::vector<size_t>{0, 1}));  // stale preference
  EXPECT_TRUE(EndpointOrder(0, 0).empty());
}

TEST(EndpointsTest, TransportFailuresMoveOnForEveryCall) {
  Status refused(Code::kUnavailable, "failed to connect to all addresses");
  EXPECT_TRUE(ShouldTryNextEndpoint(refused, /*idempotent=*/false));
  EXPECT_TRUE(ShouldTryNextEndpoint(refused, /*idempotent=*/true));
  Status no_leader(Code::kUnavailable, "etcdserver: no leader");
  EXPECT_TRUE(ShouldTryNextEndpoint(no_leader, /*idempotent=*/false));
}

TEST(EndpointsTest, AmbiguousServerFailuresMoveOnOnlyForIdempotentCalls) {
  // The write may have been applied: repeating a txn could apply it twice.
  Status timed_out(Code::kUnavailable, "etcdserver: request timed out");
  EXPECT_FALSE(ShouldTryNextEndpoint(timed_out, /*idempotent=*/false));
  EXPECT_TRUE(ShouldTryNextEndpoint(timed_out, /*idempotent=*/true));
}

TEST(EndpointsTest, AnswersThatAreNotUnavailabilityEndTheCall) {
  Status compacted(Code::kOutOfRange, "etcdserver: mvcc: required revision has been compacted");
  EXPECT_FALSE(ShouldTryNextEndpoint(compacted, /*idempotent=*/true));
  EXPECT_FALSE(ShouldTryNextEndpoint(Status(Code::kDeadlineExceeded, "x"), true));
}

}  // namespace
}  // namespace cairn::client
