// The redis pool tests' fixture (fixture.hpp): redis-server and worker processes, started and
// stopped by the tests themselves.

#include "fixture.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rp_test {

namespace {

/// This program's environment with env's "NAME=value" entries added (replacing same names).
std::vector<std::string> environment_with(const std::vector<std::string>& env) {
    std::vector<std::string> out;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry = *e;
        const std::string name = entry.substr(0, entry.find('=') + 1);
        if (std::none_of(env.begin(), env.end(),
                         [&](const std::string& x) { return x.starts_with(name); })) {
            out.push_back(entry);
        }
    }
    out.insert(out.end(), env.begin(), env.end());
    return out;
}

/// Starts args[0] (found on PATH) with a parent-death signal, so that nothing the tests start
/// outlives a test program that dies or is killed; environment, when given, is its whole
/// environment.
pid_t spawn(const std::vector<std::string>& args,
            const std::vector<std::string>* environment = nullptr) {
    std::vector<char*> argv;
    for (const auto& a : args) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    if (environment != nullptr) {
        for (const auto& e : *environment) {
            envp.push_back(const_cast<char*>(e.c_str()));
        }
        envp.push_back(nullptr);
    }
    std::string path = args[0];
    if (path.find('/') == std::string::npos) { // look it up before fork: the child only execs
        const char* env = std::getenv("PATH");
        std::string dirs = env != nullptr ? env : "/usr/bin:/bin";
        for (std::size_t at = 0; at <= dirs.size();) {
            const std::size_t end = std::min(dirs.find(':', at), dirs.size());
            const std::string candidate = dirs.substr(at, end - at) + "/" + args[0];
            if (::access(candidate.c_str(), X_OK) == 0) {
                path = candidate;
                break;
            }
            at = end + 1;
        }
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("cannot start " + args[0]);
    }
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(127);
        }
        if (environment != nullptr) {
            ::execve(path.c_str(), argv.data(), envp.data());
        } else {
            ::execv(path.c_str(), argv.data());
        }
        ::_exit(127);
    }
    return pid;
}

/// Waits for pid (bounded); SIGKILL after the bound. Returns the wait status.
int reap(pid_t pid, std::chrono::milliseconds bound) {
    int status = 0;
    const auto end = std::chrono::steady_clock::now() + bound;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > end) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return status;
}

redisContext* connect_to(const std::string& socket, const std::string& password) {
    redisContext* c = redisConnectUnix(socket.c_str());
    if (c != nullptr && c->err == 0 && !password.empty()) {
        auto* r = static_cast<redisReply*>(redisCommand(c, "AUTH %s", password.c_str()));
        freeReplyObject(r);
    }
    return c;
}

} // namespace

std::string temp_dir(const char* tag) {
    std::string t =
        (std::filesystem::temp_directory_path() / (std::string("weft-") + tag + "-XXXXXX"))
            .string();
    if (::mkdtemp(t.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    return t;
}

void remove_tree(const std::string& dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

std::size_t count_lines(const std::string& path) {
    std::ifstream in(path);
    std::size_t n = 0;
    std::string line;
    while (std::getline(in, line)) {
        ++n;
    }
    return n;
}

bool process_gone(pid_t pid) {
    if (::kill(pid, 0) != 0) {
        return errno == ESRCH;
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string s;
    std::getline(stat, s);
    const auto close = s.rfind(')');
    return close != std::string::npos && close + 2 < s.size() && s[close + 2] == 'Z';
}

std::string queue_name() {
    static std::atomic<int> n{0};
    return "test-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

// ---- redis_server
// ---------------------------------------------------------------------------------

redis_server::redis_server(options o) : opts_(std::move(o)), dir_(temp_dir("redis")) {
    socket_ = dir_ + "/redis.sock";
    start();
}

redis_server::~redis_server() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        (void)reap(pid_, std::chrono::seconds(10));
    }
    remove_tree(dir_);
}

void redis_server::start() {
    std::vector<std::string> args{"redis-server",
                                  "--port",
                                  std::to_string(opts_.port),
                                  "--unixsocket",
                                  socket_,
                                  "--unixsocketperm",
                                  "700",
                                  "--dir",
                                  dir_,
                                  "--save",
                                  "",
                                  "--daemonize",
                                  "no",
                                  "--logfile",
                                  dir_ + "/redis.log",
                                  "--appendonly",
                                  opts_.aof ? "yes" : "no"};
    if (opts_.aof) {
        args.insert(args.end(), {"--appendfsync", "always"});
    }
    if (!opts_.password.empty()) {
        args.insert(args.end(), {"--requirepass", opts_.password});
    }
    if (!opts_.bind.empty()) {
        args.emplace_back("--bind");
        args.insert(args.end(), opts_.bind.begin(), opts_.bind.end());
    }
    pid_ = spawn(args);
    const bool up = eventually([&] {
        redisContext* c = connect_to(socket_, opts_.password);
        bool ok = false;
        if (c != nullptr && c->err == 0) {
            auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
            ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
            freeReplyObject(r);
        }
        redisFree(c);
        return ok;
    });
    if (!up) {
        throw std::runtime_error("redis-server did not answer within 20 s (is it installed? "
                                 "scripts/install-deps.sh installs it); log in " +
                                 dir_ + "/redis.log");
    }
}

void redis_server::kill() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
}

namespace {

/// Runs one command on a short-lived connection and hands its reply (or null) to read.
template <class Read>
void run_command(const std::string& socket, const std::string& password,
                 const std::vector<std::string>& args, Read read) {
    redisContext* c = connect_to(socket, password);
    if (c != nullptr && c->err == 0) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.c_str());
            lens.push_back(a.size());
        }
        auto* r = static_cast<redisReply*>(
            redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
        read(r);
        freeReplyObject(r);
    }
    redisFree(c);
}

} // namespace

long long redis_server::integer(const std::vector<std::string>& args) const {
    long long v = -1;
    run_command(socket_, opts_.password, args, [&](const redisReply* r) {
        if (r != nullptr && r->type == REDIS_REPLY_INTEGER) {
            v = r->integer;
        }
    });
    return v;
}

std::string redis_server::text(const std::vector<std::string>& args) const {
    std::string out;
    run_command(socket_, opts_.password, args, [&](const redisReply* r) {
        if (r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)) {
            out.assign(r->str, r->len);
        }
    });
    return out;
}

// ---- workers
// --------------------------------------------------------------------------------------

workers::workers(std::string url, std::string queue, int concurrency,
                 std::chrono::milliseconds visibility)
    : url_(std::move(url)), queue_(std::move(queue)), concurrency_(concurrency),
      visibility_(visibility) {}

workers::~workers() {
    (void)stop_all();
}

void workers::launch_with(std::vector<std::string> prefix, std::vector<std::string> env) {
    prefix_ = std::move(prefix);
    env_ = std::move(env);
}

std::size_t workers::start_one() {
    std::vector<std::string> args{"/proc/self/exe",
                                  "--weft-redis-worker",
                                  url_,
                                  "--queue",
                                  queue_,
                                  "--concurrency",
                                  std::to_string(concurrency_),
                                  "--visibility-timeout",
                                  std::to_string(visibility_.count()),
                                  "--drain-timeout",
                                  "10000"};
    if (prefix_.empty() && env_.empty()) {
        pids_.push_back(spawn(args));
        return pids_.size() - 1;
    }
    // Behind a prefix, /proc/self would be the prefix's own program: name ours by its real path.
    args[0] = std::filesystem::read_symlink("/proc/self/exe").string();
    args.insert(args.begin(), prefix_.begin(), prefix_.end());
    const std::vector<std::string> env = environment_with(env_);
    pids_.push_back(spawn(args, &env));
    return pids_.size() - 1;
}

void workers::kill(std::size_t i) {
    pid_t& p = pids_.at(i);
    if (p > 0) {
        ::kill(p, SIGKILL);
        ::waitpid(p, nullptr, 0);
        p = -1;
    }
}

std::string workers::stop_all() {
    std::string unclean;
    for (pid_t& p : pids_) {
        if (p > 0) {
            ::kill(p, SIGTERM);
        }
    }
    for (pid_t& p : pids_) {
        if (p <= 0) {
            continue;
        }
        const int status = reap(p, std::chrono::seconds(20));
        // Exit status 0 after a drain; a worker still starting when SIGTERM came dies by it.
        const bool clean = status != -1 && ((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
                                            (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM));
        if (!clean) {
            unclean += "worker " + std::to_string(p) +
                       (status == -1 ? " did not exit within 20 s of SIGTERM; "
                        : WIFEXITED(status)
                            ? " exited with " + std::to_string(WEXITSTATUS(status)) + "; "
                            : " died by signal " + std::to_string(WTERMSIG(status)) + "; ");
        }
        p = -1;
    }
    return unclean;
}

} // namespace rp_test
