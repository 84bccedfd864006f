#include "cmd/cairnctl/txn_parser.h"

#include <charconv>
#include <optional>

#include "cmd/cairnctl/requests.h"

namespace cairn::ctl {

namespace {

Status Invalid(const std::string& message) {
  return Status(Code::kInvalidArgument, message);
}

void SkipBlanks(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
}

// A double-quoted string with Go-like escapes at the start of `s`, consumed.
std::optional<std::string> TakeQuoted(std::string_view& s) {
  if (s.empty() || s.front() != '"') return std::nullopt;
  std::string out;
  size_t i = 1;
  while (i < s.size() && s[i] != '"') {
    char c = s[i++];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i >= s.size()) return std::nullopt;
    char e = s[i++];
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case 'x': {
        if (i + 2 > s.size()) return std::nullopt;
        unsigned value = 0;
        auto [p, ec] = std::from_chars(s.data() + i, s.data() + i + 2, value, 16);
        if (ec != std::errc() || p != s.data() + i + 2) return std::nullopt;
        out += static_cast<char>(value);
        i += 2;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  if (i >= s.size()) return std::nullopt;  // no closing quote
  s.remove_prefix(i + 1);
  return out;
}

std::optional<int64_t> ParseInt(const std::string& text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

// Reads flags of an operation: "--name=value", "--name value" or "--name"
// for booleans. Positional words go to `args`.
class OpFlags {
 public:
  static Result<OpFlags> Parse(const std::vector<std::string>& words, const std::string& line);
  const std::vector<std::string>& args() const { return args_; }
  // Consumes a flag; false/empty when absent.
  bool Bool(const std::string& name) { return Take(name).has_value(); }
  std::optional<std::string> Value(const std::string& name) { return Take(name); }
  // An error for the first flag no one asked for.
  Status Leftover() const {
    if (flags_.empty()) return Status::Ok();
    return Invalid("unknown flag: --" + flags_.front().first + " in \"" + line_ + "\"");
  }

 private:
  std::optional<std::string> Take(const std::string& name) {
    for (auto it = flags_.begin(); it != flags_.end(); ++it) {
      if (it->first != name) continue;
      std::string v = it->second;
      flags_.erase(it);
      return v;
    }
    return std::nullopt;
  }

  std::string line_;
  std::vector<std::string> args_;
  std::vector<std::pair<std::string, std::string>> flags_;
};

// Flags that take a value when written as "--name value".
bool TakesValue(const std::string& name) {
  return name == "lease" || name == "limit" || name == "rev" || name == "consistency";
}

Result<OpFlags> OpFlags::Parse(const std::vector<std::string>& words, const std::string& line) {
  OpFlags f;
  f.line_ = line;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (!w.starts_with("--")) {
      f.args_.push_back(w);
      continue;
    }
    std::string name = w.substr(2), value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (TakesValue(name)) {
      if (i + 1 >= words.size()) return Invalid("flag needs an argument: --" + name);
      value = words[++i];
    }
    f.flags_.emplace_back(name, value);
  }
  return f;
}

Result<int64_t> IntFlag(OpFlags& f, const std::string& name) {
  std::optional<std::string> v = f.Value(name);
  if (!v) return int64_t{0};
  std::optional<int64_t> n = ParseInt(*v);
  if (!n) return Invalid("invalid argument \"" + *v + "\" for --" + name);
  return *n;
}

Result<etcdserverpb::RequestOp> ParsePut(OpFlags& f) {
  PutOptions o;
  if (f.args().size() != 2) return Invalid("put needs a key and a value");
  o.key = f.args()[0];
  o.value = f.args()[1];
  if (std::optional<std::string> lease = f.Value("lease")) {
    Result<uint64_t> id = ParseHexId(*lease);
    if (!id.ok()) return id.status();
    o.lease = static_cast<int64_t>(*id);
  }
  o.prev_kv = f.Bool("prev-kv");
  o.ignore_value = f.Bool("ignore-value");
  o.ignore_lease = f.Bool("ignore-lease");
  if (Status s = f.Leftover(); !s.ok()) return s;
  Result<etcdserverpb::PutRequest> r = BuildPut(o);
  if (!r.ok()) return r.status();
  etcdserverpb::RequestOp op;
  *op.mutable_request_put() = *r;
  return op;
}

Result<etcdserverpb::RequestOp> ParseGet(OpFlags& f) {
  GetOptions o;
  if (f.args().empty() || f.args().size() > 2)
    return Invalid("get needs a key and an optional range end");
  o.key = f.args()[0];
  if (f.args().size() == 2) o.range_end = f.args()[1];
  o.prefix = f.Bool("prefix");
  o.from_key = f.Bool("from-key");
  o.keys_only = f.Bool("keys-only");
  o.count_only = f.Bool("count-only");
  Result<int64_t> limit = IntFlag(f, "limit");
  Result<int64_t> rev = IntFlag(f, "rev");
  if (!limit.ok()) return limit.status();
  if (!rev.ok()) return rev.status();
  o.limit = *limit;
  o.revision = *rev;
  if (std::optional<std::string> c = f.Value("consistency")) o.consistency = *c;
  if (Status s = f.Leftover(); !s.ok()) return s;
  Result<etcdserverpb::RangeRequest> r = BuildRange(o);
  if (!r.ok()) return r.status();
  etcdserverpb::RequestOp op;
  *op.mutable_request_range() = *r;
  return op;
}

Result<etcdserverpb::RequestOp> ParseDelete(OpFlags& f) {
  DeleteOptions o;
  if (f.args().empty() || f.args().size() > 2)
    return Invalid("del needs a key and an optional range end");
  o.key = f.args()[0];
  if (f.args().size() == 2) o.range_end = f.args()[1];
  o.prefix = f.Bool("prefix");
  o.from_key = f.Bool("from-key");
  o.prev_kv = f.Bool("prev-kv");
  if (Status s = f.Leftover(); !s.ok()) return s;
  Result<etcdserverpb::DeleteRangeRequest> r = BuildDelete(o);
  if (!r.ok()) return r.status();
  etcdserverpb::RequestOp op;
  *op.mutable_request_delete_range() = *r;
  return op;
}

// The lines of one section: up to a blank line or the end of the text.
std::vector<std::string_view> TakeSection(std::string_view& text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view trimmed = line;
    SkipBlanks(trimmed);
    if (trimmed.empty()) break;
    lines.push_back(line);
  }
  return lines;
}

}  // namespace

Result<std::vector<std::string>> SplitWords(std::string_view line) {
  std::vector<std::string> words;
  SkipBlanks(line);
  while (!line.empty()) {
    std::string word;
    while (!line.empty() && line.front() != ' ' && line.front() != '\t') {
      char c = line.front();
      if (c == '"') {
        std::optional<std::string> quoted = TakeQuoted(line);
        if (!quoted) return Invalid("unterminated or malformed quoted string");
        word += *quoted;
      } else if (c == '\'') {
        size_t close = line.find('\'', 1);
        if (close == std::string_view::npos) return Invalid("unterminated quoted string");
        word += line.substr(1, close - 1);
        line.remove_prefix(close + 1);
      } else {
        word += c;
        line.remove_prefix(1);
      }
    }
    words.push_back(std::move(word));
    SkipBlanks(line);
  }
  return words;
}

Result<etcdserverpb::Compare> ParseCompare(std::string_view line) {
  const std::string malformed = "malformed comparison: " + std::string(line);
  std::string_view rest = line;
  SkipBlanks(rest);
  size_t paren = rest.find('(');
  if (paren == std::string_view::npos) return Invalid(malformed);
  std::string target(rest.substr(0, paren));
  rest.remove_prefix(paren + 1);
  std::optional<std::string> key = TakeQuoted(rest);
  if (!key || rest.empty() || rest.front() != ')') return Invalid(malformed);
  rest.remove_prefix(1);
  SkipBlanks(rest);
  size_t op_end = rest.find_first_of(" \t\"");
  std::string op(rest.substr(0, op_end));
  rest.remove_prefix(op.size());
  SkipBlanks(rest);
  std::optional<std::string> value = TakeQuoted(rest);
  if (!value && !rest.empty() && rest.front() == '"') return Invalid(malformed);
  if (!value) {  // etcdctl also takes an unquoted number
    size_t end = rest.find_first_of(" \t");
    value = std::string(rest.substr(0, end));
    rest.remove_prefix(value->size());
  }
  SkipBlanks(rest);
  if (!rest.empty()) return Invalid(malformed);

  etcdserverpb::Compare c;
  c.set_key(*key);
  if (op == "=")
    c.set_result(etcdserverpb::Compare::EQUAL);
  else if (op == "!=")
    c.set_result(etcdserverpb::Compare::NOT_EQUAL);
  else if (op == "<")
    c.set_result(etcdserverpb::Compare::LESS);
  else if (op == ">")
    c.set_result(etcdserverpb::Compare::GREATER);
  else
    return Invalid(malformed + " (unknown operator \"" + op + "\")");

  if (target == "value" || target == "val") {
    c.set_target(etcdserverpb::Compare::VALUE);
    c.set_value(*value);
    return c;
  }
  std::optional<int64_t> number = ParseInt(*value);
  if (!number) return Invalid(malformed + " (\"" + *value + "\" is not a number)");
  if (target == "version" || target == "ver") {
    c.set_target(etcdserverpb::Compare::VERSION);
    c.set_version(*number);
  } else if (target == "create" || target == "c") {
    c.set_target(etcdserverpb::Compare::CREATE);
    c.set_create_revision(*number);
  } else if (target == "mod" || target == "m") {
    c.set_target(etcdserverpb::Compare::MOD);
    c.set_mod_revision(*number);
  } else if (target == "lease") {
    c.set_target(etcdserverpb::Compare::LEASE);
    c.set_lease(*number);
  } else {
    return Invalid(malformed + " (unknown target \"" + target + "\")");
  }
  return c;
}

Result<etcdserverpb::RequestOp> ParseRequestOp(std::string_view line) {
  Result<std::vector<std::string>> words = SplitWords(line);
  if (!words.ok())
    return Invalid("malformed operation: " + std::string(line) + ": " + words.status().message());
  if (words->empty()) return Invalid("empty operation");
  Result<OpFlags> flags = OpFlags::Parse(*words, std::string(line));
  if (!flags.ok()) return flags.status();
  const std::string& verb = (*words)[0];
  using Parser = Result<etcdserverpb::RequestOp> (*)(OpFlags&);
  Parser parse = verb == "put"                       ? ParsePut
                 : verb == "get"                     ? ParseGet
                 : verb == "del" || verb == "delete" ? ParseDelete
                                                     : nullptr;
  if (parse == nullptr)
    return Invalid("unknown operation \"" + verb + "\" in: " + std::string(line) +
                   " (want put, get or del)");
  Result<etcdserverpb::RequestOp> op = parse(*flags);
  if (!op.ok())
    return Invalid("malformed operation: " + std::string(line) + ": " + op.status().message());
  return op;
}

Result<etcdserverpb::TxnRequest> ParseTxn(std::string_view text) {
  etcdserverpb::TxnRequest txn;
  for (std::string_view line : TakeSection(text)) {
    Result<etcdserverpb::Compare> c = ParseCompare(line);
    if (!c.ok()) return c.status();
    *txn.add_compare() = *c;
  }
  for (std::string_view line : TakeSection(text)) {
    Result<etcdserverpb::RequestOp> op = ParseRequestOp(line);
    if (!op.ok()) return op.status();
    *txn.add_success() = *op;
  }
  for (std::string_view line : TakeSection(text)) {
    Result<etcdserverpb::RequestOp> op = ParseRequestOp(line);
    if (!op.ok()) return op.status();
    *txn.add_failure() = *op;
  }
  std::string_view rest = text;
  while (!rest.empty() && (rest.front() == '\n' || rest.front() == ' ' || rest.front() == '\t' ||
                           rest.front() == '\r'))
    rest.remove_prefix(1);
  if (!rest.empty())
    return Invalid("unexpected text after the failure operations: " +
                   std::string(rest.substr(0, rest.find('\n'))));
  return txn;
}

}  // namespace cairn::ctl
