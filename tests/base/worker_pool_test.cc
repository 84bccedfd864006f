#include "base/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

namespace cairn {
namespace {

TEST(WorkerPool, RunsEveryTaskOnItsOwnThreadsAndStopDrainsTheQueue) {
  std::atomic<int> ran{0};
  std::mutex mu;
  std::set<std::thread::id> threads;
  {
    WorkerPool pool(2);
    for (int i = 0; i < 1000; ++i) {
      pool.Run([&] {
        {
          std::lock_guard lock(mu);
          threads.insert(std::this_thread::get_id());
        }
        ran++;
      });
    }
    pool.Stop();
    EXPECT_EQ(ran.load(), 1000);
  }
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  EXPECT_GE(threads.size(), 1u);
  EXPECT_LE(threads.size(), 2u);
}

TEST(WorkerPool, ATaskHandedOverAfterStopRunsOnTheCaller) {
  WorkerPool pool(1);
  pool.Stop();
  std::thread::id where;
  pool.Run([&] { where = std::this_thread::get_id(); });
  EXPECT_EQ(where, std::this_thread::get_id());
}

}  // namespace
}  // namespace cairn
