// Reading client histories from JSON lines (check/history_json.h), the
// format cairn-check-history takes from the chaos harness.
#include "check/history_json.h"

#include <gtest/gtest.h>

#include <sstream>

namespace cairn::check {
namespace {

::testing::AssertionResult HasSubstr(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "missing \"" << part << "\" in: " << text;
}

TEST(HistoryJsonTest, EveryField) {
  Result<Operation> op = ParseOperationJson(
      R"({"client": 7, "kind": "cas", "key": "k", "value": "new", "expected": "old",
          "call": -5, "ret": 9000000000, "known": true, "found": true, "output": "o",
          "cas_ok": true})");
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  EXPECT_EQ(op->client, 7);
  EXPECT_EQ(op->kind, OpKind::kCas);
  EXPECT_EQ(op->key, "k");
  EXPECT_EQ(op->value, "new");
  EXPECT_EQ(op->expected, "old");
  EXPECT_EQ(op->call, -5);
  EXPECT_EQ(op->ret, 9000000000);
  EXPECT_TRUE(op->known);
  EXPECT_TRUE(op->found);
  EXPECT_EQ(op->output, "o");
  EXPECT_TRUE(op->cas_ok);
}

TEST(HistoryJsonTest, MissingAndNullFieldsTakeDefaultsAndOtherFieldsAreIgnored) {
  Result<Operation> op = ParseOperationJson(
      R"({"kind": "put", "key": "k", "output": null, "node": "n1", "error": {"code": 14}})");
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  const Operation defaults;
  EXPECT_EQ(op->kind, OpKind::kPut);
  EXPECT_EQ(op->client, defaults.client);
  EXPECT_EQ(op->value, "");
  EXPECT_EQ(op->call, 0);
  EXPECT_EQ(op->ret, 0);
  EXPECT_TRUE(op->known);
  EXPECT_FALSE(op->found);
  EXPECT_EQ(op->output, "");
  Result<Operation> empty = ParseOperationJson("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->kind, OpKind::kGet);
}

TEST(HistoryJsonTest, AnUnknownOutcomeMayLackItsReturn) {
  Result<Operation> op =
      ParseOperationJson(R"({"kind": "delete", "key": "k", "call": 50, "known": false})");
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  EXPECT_EQ(op->kind, OpKind::kDelete);
  EXPECT_FALSE(op->known);
}

TEST(HistoryJsonTest, BadFieldsAreNamed) {
  struct Case {
    const char* line;
    const char* says;
  };
  for (const Case& c : {
           Case{R"({"kind": "append"})", R"("kind" must be one of)"},
           Case{R"({"kind": 1})", R"("kind" must be one of)"},
           Case{R"({"client": "1"})", R"("client" must be an integer)"},
           Case{R"({"client": 4294967296})", R"("client" must be an integer)"},
           Case{R"({"call": 1.5})", R"("call" must be an integer)"},
           Case{R"({"ret": 18446744073709551615})", R"("ret" must be an integer)"},
           Case{R"({"key": 5})", R"("key" must be a string)"},
           Case{R"({"known": 1})", R"("known" must be true or false)"},
           Case{R"({"cas_ok": "true"})", R"("cas_ok" must be true or false)"},
           Case{R"({"call": 20, "ret": 10})", R"("ret" (10) is before "call" (20))"},
           Case{R"([1, 2])", "expected a JSON object"},
           Case{R"({"kind": "get")", "not JSON: column"},
       }) {
    Result<Operation> op = ParseOperationJson(c.line);
    ASSERT_FALSE(op.ok()) << c.line;
    EXPECT_EQ(op.status().code(), Code::kInvalidArgument) << c.line;
    EXPECT_TRUE(HasSubstr(op.status().message(), c.says)) << c.line;
  }
}

TEST(HistoryJsonTest, LinesInOrderBlankLinesSkippedErrorsNameTheLine) {
  std::istringstream good(
      "{\"kind\": \"put\", \"key\": \"a\", \"value\": \"1\", \"call\": 0, \"ret\": 1}\n"
      "\n"
      "  \r\n"
      "{\"kind\": \"get\", \"key\": \"a\", \"call\": 2, \"ret\": 3, \"found\": true, "
      "\"output\": \"1\"}\r\n");
  Result<History> h = ReadHistoryJsonLines(good);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].kind, OpKind::kPut);
  EXPECT_EQ((*h)[1].output, "1");

  std::istringstream bad("{}\n\n{\"kind\": \"get\"}\n{\"kind\": \"pu\"}\n{}\n");
  Result<History> e = ReadHistoryJsonLines(bad);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(HasSubstr(e.status().message(), "line 4: \"kind\""));

  std::istringstream none("");
  Result<History> empty = ReadHistoryJsonLines(none);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace cairn::check
