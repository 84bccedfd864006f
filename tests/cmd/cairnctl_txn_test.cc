#include <gtest/gtest.h>

#include "cmd/cairnctl/txn_parser.h"

namespace cairn::ctl {
namespace {

using etcdserverpb::Compare;

TEST(TxnParserTest, ReadsCompareSuccessAndFailureSections) {
  auto txn = ParseTxn(
      "value(\"foo\") = \"bar\"\n"
      "mod(\"k\") > \"12\"\n"
      "\n"
      "put foo \"two words\"\n"
      "get foo --prefix --limit=3\n"
      "\n"
      "del foo --prev-kv\n");
  ASSERT_TRUE(txn.ok()) << txn.status().ToString();
  ASSERT_EQ(txn->compare_size(), 2);
  EXPECT_EQ(txn->compare(0).target(), Compare::VALUE);
  EXPECT_EQ(txn->compare(0).result(), Compare::EQUAL);
  EXPECT_EQ(txn->compare(0).key(), "foo");
  EXPECT_EQ(txn->compare(0).value(), "bar");
  EXPECT_EQ(txn->compare(1).target(), Compare::MOD);
  EXPECT_EQ(txn->compare(1).result(), Compare::GREATER);
  EXPECT_EQ(txn->compare(1).mod_revision(), 12);

  ASSERT_EQ(txn->success_size(), 2);
  EXPECT_EQ(txn->success(0).request_put().key(), "foo");
  EXPECT_EQ(txn->success(0).request_put().value(), "two words");
  EXPECT_EQ(txn->success(1).request_range().key(), "foo");
  EXPECT_EQ(txn->success(1).request_range().range_end(), "fop");
  EXPECT_EQ(txn->success(1).request_range().limit(), 3);

  ASSERT_EQ(txn->failure_size(), 1);
  EXPECT_EQ(txn->failure(0).request_delete_range().key(), "foo");
  EXPECT_TRUE(txn->failure(0).request_delete_range().prev_kv());
}

TEST(TxnParserTest, EverySectionMayBeEmpty) {
  auto txn = ParseTxn("\nput a 1\n\n");
  ASSERT_TRUE(txn.ok()) << txn.status().ToString();
  EXPECT_EQ(txn->compare_size(), 0);
  EXPECT_EQ(txn->success_size(), 1);
  EXPECT_EQ(txn->failure_size(), 0);
  auto nothing = ParseTxn("");
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(nothing->success_size(), 0);
}

TEST(TxnParserTest, CompareTargetsAndOperators) {
  struct Case {
    const char* line;
    Compare::CompareTarget target;
    Compare::CompareResult result;
    int64_t number;
  } cases[] = {
      {"ver(\"k\") != \"2\"", Compare::VERSION, Compare::NOT_EQUAL, 2},
      {"version(\"k\") < \"5\"", Compare::VERSION, Compare::LESS, 5},
      {"c(\"k\") = \"7\"", Compare::CREATE, Compare::EQUAL, 7},
      {"create(\"k\") > 0", Compare::CREATE, Compare::GREATER, 0},
      {"lease(\"k\") = \"99\"", Compare::LEASE, Compare::EQUAL, 99},
  };
  for (const Case& c : cases) {
    auto cmp = ParseCompare(c.line);
    ASSERT_TRUE(cmp.ok()) << c.line << ": " << cmp.status().ToString();
    EXPECT_EQ(cmp->target(), c.target) << c.line;
    EXPECT_EQ(cmp->result(), c.result) << c.line;
    int64_t got = c.target == Compare::VERSION  ? cmp->version()
                  : c.target == Compare::CREATE ? cmp->create_revision()
                                                : cmp->lease();
    EXPECT_EQ(got, c.number) << c.line;
  }
}

TEST(TxnParserTest, QuotedValuesKeepEscapes) {
  auto cmp = ParseCompare(R"(value("a\"b") = "x\ty\x41")");
  ASSERT_TRUE(cmp.ok()) << cmp.status().ToString();
  EXPECT_EQ(cmp->key(), "a\"b");
  EXPECT_EQ(cmp->value(), "x\tyA");
}

TEST(TxnParserTest, BadComparesAreErrorsNamingTheLine) {
  for (const char* bad : {
           "value(foo) = \"bar\"",         // unquoted key
           "value(\"foo\" = \"bar\"",      // no closing parenthesis
           "size(\"foo\") = \"1\"",        // unknown target
           "value(\"foo\") ~ \"bar\"",     // unknown operator
           "version(\"foo\") = \"one\"",   // not a number
           "value(\"foo\") = \"bar",       // unterminated value
           "value(\"foo\") = \"a\" extra"  // trailing text
       }) {
    auto cmp = ParseCompare(bad);
    ASSERT_FALSE(cmp.ok()) << bad;
    EXPECT_EQ(cmp.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(cmp.status().message().find(bad), std::string::npos) << cmp.status().message();
  }
}

TEST(TxnParserTest, BadOperationsAreErrors) {
  for (const char* bad : {"put onlykey", "frobnicate a", "get", "del a --bogus", "get a --limit=x",
                          "put a \"unterminated", "get a b --prefix", "put a b --lease=zz"}) {
    auto op = ParseRequestOp(bad);
    EXPECT_FALSE(op.ok()) << bad;
  }
  auto txn = ParseTxn("value(\"a\") = \"1\"\n\nput a\n");
  ASSERT_FALSE(txn.ok());
  EXPECT_NE(txn.status().message().find("put a"), std::string::npos) << txn.status().message();
}

TEST(TxnParserTest, PutTakesAHexLeaseAndFlags) {
  auto op = ParseRequestOp("put k v --lease=1a --prev-kv");
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  EXPECT_EQ(op->request_put().lease(), 0x1a);
  EXPECT_TRUE(op->request_put().prev_kv());
}

TEST(TxnParserTest, SplitsWordsWithBothQuoteStyles) {
  auto words = SplitWords("  put 'a b' \"c \\\"d\\\"\"  e ");
  ASSERT_TRUE(words.ok());
  EXPECT_EQ(*words, (std::vector<std::string>{"put", "a b", "c \"d\"", "e"}));
}

}  // namespace
}  // namespace cairn::ctl
