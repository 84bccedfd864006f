#pragma once

#include <memory>
#include <string>

#include "client/connection.h"
#include "etcd/v3electionpb/v3election.grpc.pb.h"

namespace cairn::client {

// etcd's v3election service. Like a lock, a candidacy is owned by a lease.
class Election {
 public:
  explicit Election(Connection& connection) : connection_(connection) {}

  // Waits (no deadline) until `value` is the elected proposal of `name`.
  Result<v3electionpb::CampaignResponse> Campaign(const std::string& name, int64_t lease_id,
                                                  const std::string& value,
                                                  Cancellation* cancellation);
  Result<v3electionpb::ProclaimResponse> Proclaim(const v3electionpb::LeaderKey& leader,
                                                  const std::string& value);
  Result<v3electionpb::LeaderResponse> Leader(const std::string& name);
  Result<v3electionpb::ResignResponse> Resign(const v3electionpb::LeaderKey& leader);

 private:
  Connection& connection_;
};

// The Observe stream: the current leader's proposal, then every change.
class ObserveStream {
 public:
  ObserveStream(Connection& connection, Cancellation* cancellation)
      : connection_(connection), cancellation_(cancellation) {}
  ~ObserveStream();

  Status Open(const std::string& name);
  Status Next(v3electionpb::LeaderResponse* response);

 private:
  Status Finish();

  Connection& connection_;
  Cancellation* cancellation_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<v3electionpb::Election::Stub> stub_;
  std::unique_ptr<grpc::ClientReader<v3electionpb::LeaderResponse>> stream_;
};

}  // namespace cairn::client
