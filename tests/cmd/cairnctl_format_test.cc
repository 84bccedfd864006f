#include <gtest/gtest.h>

#include "cmd/cairnctl/printer.h"
#include "cmd/cairnctl/proto_json.h"
#include "cmd/cairnctl/table.h"

namespace cairn::ctl {
namespace {

mvccpb::KeyValue Kv(const std::string& key, const std::string& value) {
  mvccpb::KeyValue kv;
  kv.set_key(key);
  kv.set_value(value);
  return kv;
}

TEST(FormatTest, SimpleGetIsKeyThenValue) {
  etcdserverpb::RangeResponse r;
  *r.add_kvs() = Kv("foo", "bar");
  *r.add_kvs() = Kv("foo2", "");
  EXPECT_EQ(SimpleRange(r), "foo\nbar\nfoo2\n\n");
  etcdserverpb::RangeResponse counted;
  counted.set_count(7);
  EXPECT_EQ(SimpleRange(counted), "7\n");
}

TEST(FormatTest, SimpleDeleteIsTheCountThenThePreviousPairs) {
  etcdserverpb::DeleteRangeResponse r;
  r.set_deleted(1);
  *r.add_prev_kvs() = Kv("a", "1");
  EXPECT_EQ(SimpleDelete(r), "1\na\n1\n");
}

TEST(FormatTest, SimpleTxnSeparatesEachResponseWithABlankLine) {
  etcdserverpb::TxnResponse r;
  r.set_succeeded(true);
  r.add_responses()->mutable_response_put();
  *r.add_responses()->mutable_response_range()->add_kvs() = Kv("k", "v");
  EXPECT_EQ(SimpleTxn(r), "SUCCESS\n\nOK\n\nk\nv\n");
  r.set_succeeded(false);
  r.clear_responses();
  EXPECT_EQ(SimpleTxn(r), "FAILURE\n");
}

TEST(FormatTest, SimpleWatchPrintsTypePreviousPairAndPair) {
  etcdserverpb::WatchResponse r;
  mvccpb::Event* put = r.add_events();
  *put->mutable_kv() = Kv("k", "2");
  *put->mutable_prev_kv() = Kv("k", "1");
  mvccpb::Event* del = r.add_events();
  del->set_type(mvccpb::Event::DELETE);
  *del->mutable_kv() = Kv("k", "");
  EXPECT_EQ(SimpleWatch(r), "PUT\nk\n1\nk\n2\nDELETE\nk\n\n");
}

TEST(FormatTest, SimpleMemberLineFollowsEtcdctl) {
  etcdserverpb::Member m;
  m.set_id(0xef12a2ed4f459e98u);
  m.set_name("default");
  m.add_peerurls("http://127.0.0.1:2380");
  m.add_clienturls("http://127.0.0.1:2379");
  m.add_clienturls("http://10.0.0.1:2379");
  EXPECT_EQ(SimpleMember(m),
            "ef12a2ed4f459e98, started, default, http://127.0.0.1:2380, "
            "http://127.0.0.1:2379,http://10.0.0.1:2379, false\n");
  etcdserverpb::Member learner;
  learner.set_id(0x2a);
  learner.set_islearner(true);
  EXPECT_EQ(SimpleMember(learner), "2a, unstarted, , , , true\n");
}

TEST(FormatTest, JsonKeepsSixtyFourBitNumbersExactAndEncodesBytes) {
  etcdserverpb::RangeResponse r;
  r.mutable_header()->set_cluster_id(17227010664766480024u);  // above 2^63
  r.mutable_header()->set_revision(2);
  *r.add_kvs() = Kv("a", "1");
  r.set_count(1);
  EXPECT_EQ(ProtoToJson(r).dump(), R"({"header":{"cluster_id":17227010664766480024,"revision":2},)"
                                   R"("kvs":[{"key":"YQ==","value":"MQ=="}],"count":1})");
}

TEST(FormatTest, JsonLeavesOutZeroFieldsAndUsesProtoNames) {
  etcdserverpb::Member m;
  m.set_id(5);
  m.add_peerurls("http://p");
  EXPECT_EQ(ProtoToJson(m).dump(), R"({"ID":5,"peerURLs":["http://p"]})");
  EXPECT_EQ(ProtoToJson(etcdserverpb::PutResponse()).dump(), "{}");
}

TEST(FormatTest, Base64PadsEveryTailLength) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64(std::string("\xff\x00", 2)), "/wA=");
}

TEST(FormatTest, TableCentresHeadersAndPadsCells) {
  Table t({"NAME", "ID"});
  t.AddRow({"n1", "abcdef"});
  t.AddRow({"longer-name"});
  EXPECT_EQ(t.Render(),
            "+-------------+--------+\n"
            "|    NAME     |   ID   |\n"
            "+-------------+--------+\n"
            "| n1          | abcdef |\n"
            "| longer-name |        |\n"
            "+-------------+--------+\n");
}

TEST(FormatTest, SizesAndIds) {
  EXPECT_EQ(HumanBytes(7), "7 B");
  EXPECT_EQ(HumanBytes(512), "512 B");
  EXPECT_EQ(HumanBytes(20480), "20 kB");
  EXPECT_EQ(HumanBytes(1500000), "1.5 MB");
  EXPECT_EQ(HexId(0x2a), "2a");
  EXPECT_EQ(LeaseHex(0x1234), "0000000000001234");
  EXPECT_EQ(PaddedHexId(0x2a), "              2a");
}

TEST(FormatTest, OutputFormatNames) {
  EXPECT_EQ(*ParseOutputFormat("json"), OutputFormat::kJson);
  EXPECT_EQ(*ParseOutputFormat("table"), OutputFormat::kTable);
  EXPECT_EQ(*ParseOutputFormat("simple"), OutputFormat::kSimple);
  EXPECT_FALSE(ParseOutputFormat("yaml").ok());
}

}  // namespace
}  // namespace cairn::ctl
