#pragma once

#include <functional>

namespace cairn::ctl {

// Ctrl-C and SIGTERM for a program with gRPC's threads: InstallInterrupts
// (first thing in main, before any thread exists) blocks both signals in
// every thread and waits for them on one thread of its own, which runs the
// handler set last with OnInterrupt. With no handler the program exits with
// status 130, like a shell's interrupted command. Commands that block
// (watch, lock, elect, keep-alive) set a handler that cancels their call so
// they can clean up (unlock, resign, revoke) before returning.
void InstallInterrupts();
void OnInterrupt(std::function<void()> handler);
bool Interrupted();

}  // namespace cairn::ctl
