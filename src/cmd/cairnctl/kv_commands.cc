// put, get, del, txn, compact.
#include <iostream>
#include <iterator>
#include <memory>

#include "client/kv.h"
#include "cmd/cairnctl/cli.h"
#include "cmd/cairnctl/requests.h"
#include "cmd/cairnctl/txn_parser.h"

namespace cairn::ctl {

namespace {

// Prints a response in the chosen format: JSON, or the given simple text
// (these commands have no table form; -w table prints the simple text).
Status Show(const Cli& cli, const google::protobuf::Message& response, const std::string& simple) {
  Result<OutputFormat> format = cli.Format();
  if (!format.ok()) return format.status();
  Print(*format == OutputFormat::kJson ? JsonLine(response) : simple);
  return Status::Ok();
}

std::string ReadStdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

void AddPut(CLI::App& app, Cli& cli) {
  // Option storage is shared with the action, which CLI11 keeps.
  auto o = std::make_shared<PutOptions>();
  auto lease = std::make_shared<std::string>();
  auto value_given = std::make_shared<bool>(false);
  CLI::App* sub =
      app.add_subcommand("put", "Puts a key; the value is read from stdin when omitted");
  sub->add_option("key", o->key, "Key")->required();
  sub->add_option("value", o->value, "Value")->each([value_given](const std::string&) {
    *value_given = true;
  });
  sub->add_option("--lease", *lease, "Lease ID (hexadecimal) to attach to the key");
  sub->add_flag("--prev-kv", o->prev_kv, "Print the previous key-value pair");
  sub->add_flag("--ignore-value", o->ignore_value, "Keep the current value");
  sub->add_flag("--ignore-lease", o->ignore_lease, "Keep the current lease");
  cli.Runs(sub, [&cli, o, lease, value_given]() -> Status {
    if (!*value_given && !o->ignore_value) {
      o->value = ReadStdin();
      if (o->value.ends_with('\n')) o->value.pop_back();
    }
    if (!lease->empty()) {
      Result<uint64_t> id = ParseHexId(*lease);
      if (!id.ok()) return id.status();
      o->lease = static_cast<int64_t>(*id);
    }
    Result<etcdserverpb::PutRequest> request = BuildPut(*o);
    if (!request.ok()) return request.status();
    Result<client::ConnectionOptions> options = cli.Options();
    if (!options.ok()) return options.status();
    client::Connection connection(*options);
    Result<etcdserverpb::PutResponse> r = client::Kv(connection).Put(*request);
    if (!r.ok()) return r.status();
    return Show(cli, *r, SimplePut(*r));
  });
}

void AddGet(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<GetOptions>();
  CLI::App* sub = app.add_subcommand("get", "Gets a key or a range of keys");
  sub->add_option("key", o->key, "Key")->required();
  sub->add_option("range_end", o->range_end, "End of the range [key, range_end)");
  sub->add_flag("--prefix", o->prefix, "Get every key with the prefix");
  sub->add_flag("--from-key", o->from_key, "Get every key >= the given key");
  sub->add_option("--rev", o->revision, "Revision to read at (0: the latest)");
  sub->add_option("--limit", o->limit, "Maximum number of results (0: no limit)");
  sub->add_flag("--keys-only", o->keys_only, "Get only the keys");
  sub->add_flag("--count-only", o->count_only, "Get only the count");
  sub->add_option("--consistency", o->consistency, "l (linearizable) or s (serializable)")
      ->capture_default_str();
  cli.Runs(sub, [&cli, o]() -> Status {
    Result<etcdserverpb::RangeRequest> request = BuildRange(*o);
    if (!request.ok()) return request.status();
    Result<client::ConnectionOptions> options = cli.Options();
    if (!options.ok()) return options.status();
    client::Connection connection(*options);
    Result<etcdserverpb::RangeResponse> r = client::Kv(connection).Range(*request);
    if (!r.ok()) return r.status();
    return Show(cli, *r, SimpleRange(*r));
  });
}

void AddDel(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<DeleteOptions>();
  CLI::App* sub = app.add_subcommand("del", "Deletes a key or a range of keys");
  sub->add_option("key", o->key, "Key")->required();
  sub->add_option("range_end", o->range_end, "End of the range [key, range_end)");
  sub->add_flag("--prefix", o->prefix, "Delete every key with the prefix");
  sub->add_flag("--from-key", o->from_key, "Delete every key >= the given key");
  sub->add_flag("--prev-kv", o->prev_kv, "Print the deleted key-value pairs");
  cli.Runs(sub, [&cli, o]() -> Status {
    Result<etcdserverpb::DeleteRangeRequest> request = BuildDelete(*o);
    if (!request.ok()) return request.status();
    Result<client::ConnectionOptions> options = cli.Options();
    if (!options.ok()) return options.status();
    client::Connection connection(*options);
    Result<etcdserverpb::DeleteRangeResponse> r = client::Kv(connection).DeleteRange(*request);
    if (!r.ok()) return r.status();
    return Show(cli, *r, SimpleDelete(*r));
  });
}

void AddTxn(CLI::App& app, Cli& cli) {
  CLI::App* sub = app.add_subcommand(
      "txn",
      "Runs a transaction read from stdin: compares, a blank line, success operations, a blank "
      "line, failure operations");
  cli.Runs(sub, [&cli]() -> Status {
    Result<etcdserverpb::TxnRequest> request = ParseTxn(ReadStdin());
    if (!request.ok()) return request.status();
    Result<client::ConnectionOptions> options = cli.Options();
    if (!options.ok()) return options.status();
    client::Connection connection(*options);
    Result<etcdserverpb::TxnResponse> r = client::Kv(connection).Txn(*request);
    if (!r.ok()) return r.status();
    return Show(cli, *r, SimpleTxn(*r));
  });
}

void AddCompact(CLI::App& app, Cli& cli) {
  auto revision = std::make_shared<int64_t>(0);
  auto physical = std::make_shared<bool>(false);
  CLI::App* sub = app.add_subcommand("compact", "Discards the history before a revision");
  sub->add_option("revision", *revision, "Revision")->required();
  sub->add_flag("--physical", *physical, "Wait until the space is reclaimed");
  cli.Runs(sub, [&cli, revision, physical]() -> Status {
    Result<client::ConnectionOptions> options = cli.Options();
    if (!options.ok()) return options.status();
    client::Connection connection(*options);
    etcdserverpb::CompactionRequest request;
    request.set_revision(*revision);
    request.set_physical(*physical);
    Result<etcdserverpb::CompactionResponse> r = client::Kv(connection).Compact(request);
    if (!r.ok()) return r.status();
    return Show(cli, *r, "compacted revision " + std::to_string(*revision) + "\n");
  });
}

}  // namespace

void AddKvCommands(CLI::App& app, Cli& cli) {
  AddPut(app, cli);
  AddGet(app, cli);
  AddDel(app, cli);
  AddTxn(app, cli);
  AddCompact(app, cli);
}

}  // namespace cairn::ctl
