// Connection against real gRPC servers: a dead endpoint is skipped, errors
// carry the server's message, and an ambiguous write is not repeated.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "client/kv.h"

namespace cairn::client {
namespace {

// A KV service whose Range answers with a fixed revision and whose Put fails
// the way a member that lost its leader mid-write does.
class FakeKv final : public etcdserverpb::KV::Service {
 public:
  explicit FakeKv(int64_t revision) : revision_(revision) {}
  grpc::Status Range(grpc::ServerContext*, const etcdserverpb::RangeRequest*,
                     etcdserverpb::RangeResponse* response) override {
    ++calls;
    response->mutable_header()->set_revision(revision_);
    return grpc::Status::OK;
  }
  grpc::Status Put(grpc::ServerContext*, const etcdserverpb::PutRequest*,
                   etcdserverpb::PutResponse*) override {
    ++calls;
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "etcdserver: request timed out");
  }
  grpc::Status Compact(grpc::ServerContext*, const etcdserverpb::CompactionRequest*,
                       etcdserverpb::CompactionResponse*) override {
    ++calls;
    return grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                        "etcdserver: mvcc: required revision has been compacted");
  }
  std::atomic<int> calls{0};

 private:
  int64_t revision_;
};

struct Server {
  explicit Server(int64_t revision) : service(revision) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
  }
  ~Server() { server->Shutdown(); }
  std::string target() const { return "127.0.0.1:" + std::to_string(port); }

  FakeKv service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

// A port nothing listens on: bind one, then let it go.
std::string DeadTarget() {
  Server s(0);
  return s.target();
}

TEST(FailoverTest, SkipsADeadEndpointAndRemembersTheLiveOne) {
  std::string dead = DeadTarget();
  Server live(42);
  Connection c({.endpoints = {dead, live.target()}, .command_timeout = std::chrono::seconds(5)});
  Kv kv(c);
  auto r = kv.Range(etcdserverpb::RangeRequest());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->header().revision(), 42);
  EXPECT_EQ(c.preferred(), 1u);
  // The next call goes straight to the endpoint that answered.
  ASSERT_TRUE(kv.Range(etcdserverpb::RangeRequest()).ok());
  EXPECT_EQ(live.service.calls, 2);
}

TEST(FailoverTest, AllEndpointsDeadIsUnavailable) {
  Connection c(
      {.endpoints = {DeadTarget(), DeadTarget()}, .command_timeout = std::chrono::seconds(5)});
  auto r = Kv(c).Range(etcdserverpb::RangeRequest());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
}

TEST(FailoverTest, ServerErrorsKeepTheirMessageAndAreNotRetried) {
  Server a(1), b(2);
  Connection c({.endpoints = {a.target(), b.target()}, .command_timeout = std::chrono::seconds(5)});
  auto r = Kv(c).Compact(etcdserverpb::CompactionRequest());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(),
            Status(Code::kOutOfRange, "etcdserver: mvcc: required revision has been compacted"));
  EXPECT_EQ(a.service.calls + b.service.calls, 1);
}

TEST(FailoverTest, AWriteThatMayHaveBeenAppliedIsNotRepeatedElsewhere) {
  Server a(1), b(2);
  Connection c({.endpoints = {a.target(), b.target()}, .command_timeout = std::chrono::seconds(5)});
  auto r = Kv(c).Put(etcdserverpb::PutRequest());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "etcdserver: request timed out");
  EXPECT_EQ(a.service.calls, 1);
  EXPECT_EQ(b.service.calls, 0);
}

TEST(FailoverTest, ACommandTimeoutBoundsACallToAServerThatNeverAnswers) {
  // A socket that accepts connections (the kernel does) but never speaks.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::string target = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  Connection c({.endpoints = {target}, .command_timeout = std::chrono::milliseconds(300)});
  auto start = std::chrono::steady_clock::now();
  auto r = Kv(c).Range(etcdserverpb::RangeRequest());
  auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().ToString();
  EXPECT_GE(took, std::chrono::milliseconds(250));
  EXPECT_LT(took, std::chrono::seconds(3));
}

}  // namespace
}  // namespace cairn::client
