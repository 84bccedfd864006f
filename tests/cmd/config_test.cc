#include "cmd/cairn/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <utility>

namespace cairn::cmd {
namespace {

Result<ServerConfig> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "cairn");
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(a.data());
  return ParseServerConfig(static_cast<int>(argv.size()), argv.data());
}

TEST(ServerConfigTest, DefaultsFollowEtcd) {
  auto c = Parse({});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->name, "default");
  EXPECT_EQ(c->data_dir, "default.cairn");
  EXPECT_EQ(c->initial_cluster, "default=http://localhost:2380");
  EXPECT_EQ(c->max_request_bytes, 1572864u);
  EXPECT_EQ(c->max_txn_ops, 128);
  EXPECT_EQ(c->heartbeat_interval_ms, 100);
  EXPECT_EQ(c->election_timeout_ms, 1000);
}

TEST(ServerConfigTest, WarningApplyDurationTakesGoDurations) {
  EXPECT_EQ(Parse({})->warning_apply_duration_ms, 100) << "etcd's default";
  EXPECT_EQ(Parse({"--experimental-warning-apply-duration", "250ms"})->warning_apply_duration_ms,
            250);
  EXPECT_EQ(Parse({"--experimental-warning-apply-duration", "1.5s"})->warning_apply_duration_ms,
            1500);
  for (const char* bad : {"100", "fast", "-1s", "10m"}) {
    auto c = Parse({"--experimental-warning-apply-duration", bad});
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_NE(c.status().message().find("--experimental-warning-apply-duration"),
              std::string::npos);
  }
}

TEST(ServerConfigTest, FlagsAndCommaSeparatedUrls) {
  auto c = Parse({"--name", "n1", "--listen-client-urls", "http://127.0.0.1:1,http://127.0.0.2:1",
                  "--initial-cluster-state", "existing", "--max-txn-ops", "7"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen_client_urls.size(), 2u);
  EXPECT_EQ(c->initial_cluster_state, "existing");
  EXPECT_EQ(c->max_txn_ops, 7);
  EXPECT_EQ(c->data_dir, "n1.cairn");
}

TEST(ServerConfigTest, YamlFileWithEtcdKeysAndCommandLineWins) {
  std::string path = ::testing::TempDir() + "cairn-config-test.yaml";
  {
    std::ofstream out(path);
    out << "name: from-file\nheartbeat-interval: 50\nelection-timeout: 500\n"
           "listen-peer-urls: http://127.0.0.1:9\n";
  }
  auto c = Parse({"--config-file", path, "--election-timeout", "800"});
  std::remove(path.c_str());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->name, "from-file");
  EXPECT_EQ(c->heartbeat_interval_ms, 50);
  EXPECT_EQ(c->election_timeout_ms, 800);
  EXPECT_EQ(c->listen_peer_urls, std::vector<std::string>{"http://127.0.0.1:9"});
}

TEST(ServerConfigTest, BadSettingsAreNamed) {
  auto c = Parse({"--heartbeat-interval", "100", "--election-timeout", "200"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--election-timeout"), std::string::npos);
  auto tls = Parse({"--listen-client-urls", "https://127.0.0.1:2379"});
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.status().message().find("http://"), std::string::npos);
}

TEST(ServerConfigTest, InitialClusterAndIds) {
  auto m = ParseInitialCluster("a=http://h:1,b=http://h:2,a=http://h:3", "tok");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].peer_urls.size(), 2u);
  EXPECT_NE((*m)[0].id, (*m)[1].id);
  auto again = ParseInitialCluster("b=http://h:2,a=http://h:3,a=http://h:1", "tok");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ClusterId(*m), ClusterId(*again));  // order does not matter
  auto other = ParseInitialCluster("a=http://h:1,b=http://h:2,a=http://h:3", "other");
  EXPECT_NE(ClusterId(*m), ClusterId(*other));  // the token does
  EXPECT_FALSE(ParseInitialCluster("a", "t").ok());
  EXPECT_FALSE(ParseInitialCluster("a=ftp://x:1", "t").ok());
  EXPECT_EQ(*HostPort("http://127.0.0.1:2379/"), "127.0.0.1:2379");
  EXPECT_FALSE(HostPort("http://127.0.0.1").ok());
}

TEST(ServerConfigTest, PlantedBugIsOffUnlessAskedFor) {
  auto c = Parse({});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->unsafe_planted_bug, PlantedServerBug::kNone);
  for (auto [name, bug] : {std::pair{"none", PlantedServerBug::kNone},
                           std::pair{"local-reads", PlantedServerBug::kLocalReads},
                           std::pair{"ack-before-fsync", PlantedServerBug::kAckBeforeFsync}}) {
    auto with = Parse({"--unsafe-planted-bug", name});
    ASSERT_TRUE(with.ok()) << name << ": " << with.status().ToString();
    EXPECT_EQ(with->unsafe_planted_bug, bug);
    EXPECT_EQ(PlantedServerBugName(bug), name);
  }
  auto bad = Parse({"--unsafe-planted-bug", "lost-writes"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("--unsafe-planted-bug"), std::string::npos);
  EXPECT_NE(bad.status().message().find("ack-before-fsync"), std::string::npos);
  EXPECT_NE(bad.status().message().find("lost-writes"), std::string::npos);
}

// A config file must never switch a planted bug on: the flag alone does.
TEST(ServerConfigTest, PlantedBugIsNotReadFromTheConfigFile) {
  std::string path = ::testing::TempDir() + "cairn-config-planted-test.yaml";
  {
    std::ofstream out(path);
    out << "name: n\nunsafe-planted-bug: local-reads\n";
  }
  auto c = Parse({"--config-file", path});
  std::remove(path.c_str());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->unsafe_planted_bug, PlantedServerBug::kNone);
}

}  // namespace
}  // namespace cairn::cmd
