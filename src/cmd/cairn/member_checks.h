#pragma once

#include "base/status.h"
#include "cairn/membership.pb.h"
#include "cairn/raft_request.pb.h"
#include "cluster/replica.h"

namespace cairn::cmd {

// etcd 3.4 allows one learner at a time.
inline constexpr int kMaxLearners = 1;
// A learner may be promoted once its log reaches 90% of the leader's.
inline constexpr double kLearnerReadyPercent = 0.9;

// etcd's checks before a membership change is proposed (its strict
// reconfiguration checks, on by default), run on the leader against the
// member table it has applied and what it knows of its peers. Returns
// etcd's error, or Ok.
// "Started" means the member has published its name (etcd's IsStarted);
// "connected" that the leader heard from it within the last two election
// timeouts (etcd asks its transport for a connection 5 s old).
//
//   add:     peer URLs taken; too many learners; for a voter, fewer started
//            voters than a quorum of the grown cluster, or any voter not
//            connected ("unhealthy cluster").
//   remove:  unknown member; for a voter, too few started voters left for
//            a quorum, or (unless the member is down) removing it would
//            leave fewer connected voters than a quorum.
//   promote: unknown member; not a learner; its log below 90% of the
//            leader's; too few started voters for the grown quorum.
Status CheckMembershipChange(const cairnpb::MembershipChange& change,
                             const cluster::MembershipView& view,
                             const cairnpb::MemberTable& table);

}  // namespace cairn::cmd
