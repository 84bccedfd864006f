// lock <name> [command...]: holds a v3lock lock while a command runs, or
// until interrupted.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>
#include <thread>

#include "client/lock.h"
#include "cmd/cairnctl/cli.h"
#include "cmd/cairnctl/interrupt.h"
#include "cmd/cairnctl/session.h"

extern char** environ;

namespace cairn::ctl {

namespace {

struct LockOptions {
  std::string name;
  std::vector<std::string> command;
  int64_t ttl = Session::kDefaultTtlSeconds;
};

// Runs the command with ETCD_LOCK_KEY and ETCD_LOCK_REV set (etcdctl's
// variables) and returns its exit status. Ctrl-C or a lost lease sends it
// SIGTERM: it must not go on believing it holds the lock.
Status RunHolding(const std::vector<std::string>& command, const std::string& key, int64_t rev,
                  Session& session) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view var(*e);
    // An outer lock's values must not shadow this one's.
    if (var.starts_with("ETCD_LOCK_KEY=") || var.starts_with("ETCD_LOCK_REV=")) continue;
    env.emplace_back(var);
  }
  env.push_back("ETCD_LOCK_KEY=" + key);
  env.push_back("ETCD_LOCK_REV=" + std::to_string(rev));
  std::vector<char*> argv, envp;
  for (const std::string& a : command)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : env)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  // The child must not inherit cairnctl's blocked SIGINT/SIGTERM.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = 0;
  int err = posix_spawnp(&pid, argv[0], nullptr, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  if (err != 0)
    return Status(Code::kNotFound, "could not run " + command[0] + ": " + std::strerror(err));

  std::atomic<pid_t> child{pid};
  // Stops the child when the session ends early (Ctrl-C, lost lease).
  std::thread stopper([&session, &child] {
    (void)session.WaitUntilDone();
    pid_t p = child.exchange(0);
    if (p > 0) ::kill(p, SIGTERM);
  });
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  child = 0;
  session.Finish();  // the command ended on its own: wake the stopper
  stopper.join();
  if (Status lost = session.lost(); !lost.ok()) return lost;
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return Status::Ok();
  if (WIFEXITED(wstatus))
    return Status(Code::kUnknown, "exit status " + std::to_string(WEXITSTATUS(wstatus)));
  return Status(Code::kUnknown, "signal: " + std::string(strsignal(WTERMSIG(wstatus))));
}

Status RunLock(const Cli& cli, const LockOptions& o) {
  Result<OutputFormat> format = cli.Format();
  if (!format.ok()) return format.status();
  Result<client::ConnectionOptions> options = cli.Options();
  if (!options.ok()) return options.status();
  client::Connection connection(*options);
  Session session(connection, *options);
  if (Status s = session.Start(o.ttl); !s.ok()) return s;

  client::Lock lock(connection);
  Result<v3lockpb::LockResponse> held =
      lock.Acquire(o.name, session.lease_id(), session.cancellation());
  if (!held.ok()) {
    Status lost = session.lost();
    if (held.status().code() == Code::kCancelled && lost.ok())
      return Status::Ok();  // Ctrl-C while waiting
    return lost.ok() ? held.status() : lost;
  }
  Status result;
  if (o.command.empty()) {
    Print(*format == OutputFormat::kJson ? JsonLine(*held) : held->key() + "\n");
    result = session.WaitUntilDone();
  } else {
    result = RunHolding(o.command, held->key(), held->header().revision(), session);
  }
  // Unlock even after a failure: the key may still be there if the lease
  // outlived the failure. (The session revokes the lease afterwards too.)
  Result<v3lockpb::UnlockResponse> released = lock.Release(held->key());
  if (result.ok() && !released.ok()) return released.status();
  return result;
}

}  // namespace

void AddLockCommand(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<LockOptions>();
  CLI::App* sub = app.add_subcommand(
      "lock", "Acquires a named lock; holds it while a command runs, or until interrupted");
  sub->add_option("name", o->name, "Lock name")->required();
  sub->add_option("--ttl", o->ttl, "Timeout of the session's lease, in seconds")
      ->capture_default_str();
  // Everything after the name is the command, flags included.
  sub->prefix_command();
  sub->fallthrough(false);
  sub->footer(
      "Any arguments after the name are a command run while the lock is held, with ETCD_LOCK_KEY "
      "and ETCD_LOCK_REV in its environment.");
  cli.Runs(sub, [&cli, o, sub] {
    o->command = sub->remaining();
    return RunLock(cli, *o);
  });
}

}  // namespace cairn::ctl
