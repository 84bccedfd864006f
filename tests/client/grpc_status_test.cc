#include "client/grpc_status.h"

#include <gtest/gtest.h>

namespace cairn::client {
namespace {

TEST(GrpcStatusTest, KeepsTheServersCodeAndMessage) {
  Status s = FromGrpc(grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                                   "etcdserver: mvcc: required revision has been compacted"));
  EXPECT_EQ(s, Status(Code::kOutOfRange, "etcdserver: mvcc: required revision has been compacted"));
  EXPECT_TRUE(FromGrpc(grpc::Status::OK).ok());
}

TEST(GrpcStatusTest, TerseTransportErrorsGetAMessageAUserCanRead) {
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded")),
            Status(Code::kDeadlineExceeded, "context deadline exceeded"));
  Status missing = FromGrpc(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""));
  EXPECT_EQ(missing.code(), Code::kUnimplemented);
  EXPECT_NE(missing.message().find("does not implement"), std::string::npos);
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::ABORTED, "")).message(), "ABORTED");
}

}  // namespace
}  // namespace cairn::client
