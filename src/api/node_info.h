#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::api {

// What the Maintenance and Cluster services report about the node.
class NodeInfo {
 public:
  virtual ~NodeInfo() = default;

  struct State {
    uint64_t cluster_id = 0;
    uint64_t member_id = 0;
    uint64_t leader = 0;  // 0: none known
    uint64_t term = 0;
    uint64_t commit_index = 0;
    uint64_t applied_index = 0;
    int64_t db_size = 0;
    bool is_learner = false;
  };
  virtual State state() const = 0;

  struct Member {
    uint64_t id = 0;
    std::string name;
    std::vector<std::string> peer_urls;
    std::vector<std::string> client_urls;
    bool is_learner = false;
  };
  virtual std::vector<Member> members() const = 0;
};

// What Status reports as the server version: etcd's API level, then Cairn's.
inline constexpr char kServerVersion[] = "3.4.0-cairn.0.1";

}  // namespace cairn::api
