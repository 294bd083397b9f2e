#include "server/snapshot_taker.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace raftkv::server {

SnapshotTaker::~SnapshotTaker() {
  if (child_ > 0 && !reaped_) ::kill(child_, SIGKILL);
  if (waiter_.joinable()) waiter_.join();
}

std::string SnapshotTaker::start(ChildWork work, Done done) {
  if (busy()) return "a snapshot is already being taken";
  if (waiter_.joinable()) waiter_.join();  // the previous waiter has finished by now
  auto t0 = std::chrono::steady_clock::now();
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return std::string("fork failed: ") + std::strerror(errno);
  if (pid == 0) {
    // The child must not outlive its node (kill -9 of the server): the snapshot is then
    // useless, and a hung child would linger forever.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);  // the parent died before prctl took effect
    bool ok = work();
    ::_exit(ok ? 0 : 1);
  }
  last_fork_time_ =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  child_ = pid;
  reaped_ = false;
  watchdog_.expires_after(timeout_);
  watchdog_.async_wait([this, pid](const asio::error_code& ec) {
    if (!ec && child_ == pid && !reaped_) ::kill(pid, SIGKILL);
  });
  waiter_ = std::thread([this, pid, done = std::move(done)]() mutable {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    reaped_ = true;
    bool ok = r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    std::string error;
    if (!ok) {
      error = r != pid ? std::string("waitpid failed: ") + std::strerror(errno)
              : WIFSIGNALED(status)
                  ? "snapshot child killed by signal " + std::to_string(WTERMSIG(status))
                  : "snapshot child failed to write the snapshot file";
    }
    asio::post(io_, [this, ok, error = std::move(error), done = std::move(done)] {
      child_ = 0;
      watchdog_.cancel();
      done(ok, error);
    });
  });
  return "";
}

}  // namespace raftkv::server
