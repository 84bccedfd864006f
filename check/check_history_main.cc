// cairn-check-history: decides whether a client history (JSON lines, see
// check/history_json.h) is linearizable, for the chaos harness and for
// people replaying its runs. The exit status carries the verdict, so that a
// script needs no parsing:
//   0 ok, 1 violation, 2 unknown (budget exhausted), 3 bad input or usage.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <string>

#include "check/history_json.h"
#include "check/linearizability.h"

namespace {

using namespace cairn;
using namespace cairn::check;

constexpr int kExitOk = 0;
constexpr int kExitViolation = 1;
constexpr int kExitUnknown = 2;
constexpr int kExitBadInput = 3;

constexpr char kUsage[] =
    "usage: cairn-check-history [--time-budget-seconds N] FILE\n"
    "  Checks a client history for linearizability (a key-value register per key).\n"
    "  FILE holds one operation per line as JSON (\"-\" reads standard input):\n"
    "    {\"client\":1, \"kind\":\"get\"|\"put\"|\"delete\"|\"cas\", \"key\":\"k\", "
    "\"value\":\"v\",\n"
    "     \"expected\":\"e\", \"call\":10, \"ret\":20, \"known\":true, \"found\":true,\n"
    "     \"output\":\"v\", \"cas_ok\":true}\n"
    "  Missing fields take their defaults (known: true; the rest empty, 0 or false).\n"
    "  --time-budget-seconds N  give up with verdict unknown after N seconds (default\n"
    "                           120; 0: no limit)\n"
    "  Prints \"verdict: ok|violation|unknown\", then the key and why when not ok.\n"
    "  Exit status: 0 ok, 1 violation, 2 unknown, 3 bad input or usage.\n";

int Usage(const std::string& error) {
  std::cerr << "cairn-check-history: " << error << "\n" << kUsage;
  return kExitBadInput;
}

// A whole non-negative number of seconds.
bool ParseSeconds(const std::string& text, int64_t* out) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return false;
  if (text.size() > 9) return false;  // over 30 years: a typo
  *out = std::stoll(text);
  return true;
}

int Run(int argc, char** argv) {
  int64_t budget_seconds = 120;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const std::string flag = "--time-budget-seconds";
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return kExitOk;
    } else if (arg == flag || arg.rfind(flag + "=", 0) == 0) {
      std::string value;
      if (arg == flag) {
        if (i + 1 == argc) return Usage(flag + " needs a value");
        value = argv[++i];
      } else {
        value = arg.substr(flag.size() + 1);
      }
      if (!ParseSeconds(value, &budget_seconds)) {
        return Usage(flag + ": expected a whole number of seconds, got \"" + value + "\"");
      }
    } else if (arg.size() > 1 && arg[0] == '-') {
      return Usage("unknown option " + arg);
    } else if (!path.empty()) {
      return Usage("one history file at a time");
    } else {
      path = arg;
    }
  }
  if (path.empty()) return Usage("no history file given");

  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file) {
      std::cerr << "cairn-check-history: cannot open " << path << "\n";
      return kExitBadInput;
    }
  }
  Result<History> history = ReadHistoryJsonLines(path == "-" ? std::cin : file);
  if (!history.ok()) {
    std::cerr << "cairn-check-history: " << (path == "-" ? "<stdin>" : path) << ": "
              << history.status().message() << "\n";
    return kExitBadInput;
  }

  CheckOptions options;
  options.time_budget = std::chrono::seconds(budget_seconds);
  const auto start = std::chrono::steady_clock::now();
  const CheckResult result = CheckLinearizable(*history, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::cout << "verdict: " << VerdictName(result.verdict) << "\n";
  if (result.verdict != CheckResult::kOk) {
    std::cout << "key: " << Quote(result.key) << "\n" << result.explanation << "\n";
  }
  // Numbers for the run's report, apart from the verdict a script reads.
  std::set<std::string> keys;
  size_t unknown = 0;
  for (const Operation& op : *history) {
    keys.insert(op.key);
    if (!op.known) ++unknown;
  }
  char timing[32];
  std::snprintf(timing, sizeof timing, "%.2f", seconds);
  std::cerr << "cairn-check-history: " << history->size() << " operations (" << unknown
            << " with unknown outcome) on " << keys.size() << " keys, checked in " << timing
            << " s\n";
  switch (result.verdict) {
    case CheckResult::kOk:
      return kExitOk;
    case CheckResult::kViolation:
      return kExitViolation;
    case CheckResult::kUnknown:
      break;
  }
  return kExitUnknown;
}

}  // namespace

int main(int argc, char** argv) {
  return Run(argc, argv);
}
