// The work of one `weft stress` call (workload.hpp): busy CPU measured in the thread's own CPU
// time, sleeping, blocking I/O through a pipe per thread, allocating and touching memory, and the
// deterministic draws from the call id that pick a mix's part and decide which crash calls crash.
#include "workload.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace weft::stress {

namespace {

std::uint64_t mix64(std::uint64_t x) noexcept {
    // splitmix64's finaliser: ids 0, 1, 2... spread over the whole range.
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

std::int64_t thread_cpu_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// Busy compute until this thread has used us of CPU time (not wall time: a call preempted by
/// another thread still does its full share of work).
std::uint64_t burn_cpu(std::uint64_t us, std::uint64_t seed) {
    const std::int64_t end = thread_cpu_ns() + static_cast<std::int64_t>(us) * 1000;
    std::uint64_t x = seed | 1;
    do {
        for (int i = 0; i < 256; ++i) { // about a microsecond between clock reads
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
    } while (thread_cpu_ns() < end);
    return x;
}

/// A pipe per thread, closed when the thread ends.
class thread_pipe {
public:
    thread_pipe() {
        if (::pipe2(fds_, O_CLOEXEC) != 0) {
            fds_[0] = fds_[1] = -1;
        }
    }
    ~thread_pipe() {
        for (int fd : fds_) {
            if (fd >= 0) {
                ::close(fd);
            }
        }
    }
    thread_pipe(const thread_pipe&) = delete;
    thread_pipe& operator=(const thread_pipe&) = delete;
    [[nodiscard]] int read_end() const noexcept { return fds_[0]; }
    [[nodiscard]] int write_end() const noexcept { return fds_[1]; }

private:
    int fds_[2];
};

[[noreturn]] void io_failed(const char* what) {
    throw workload_error(std::string("io workload: ") + what + ": " + std::strerror(errno));
}

/// Writes bytes through a pipe and reads them back, in chunks that fit the pipe: blocking
/// system calls, as a call that talks to a file or a socket makes.
std::uint64_t pipe_io(std::uint64_t bytes, std::uint64_t seed) {
    thread_local thread_pipe p;
    thread_local std::vector<unsigned char> buf(16 * 1024);
    if (p.read_end() < 0) {
        io_failed("pipe");
    }
    std::uint64_t sum = seed;
    std::memset(buf.data(), static_cast<int>(seed & 0xff), buf.size());
    while (bytes > 0) {
        const std::size_t chunk = bytes < buf.size() ? static_cast<std::size_t>(bytes) : buf.size();
        std::size_t done = 0;
        while (done < chunk) {
            const ssize_t n = ::write(p.write_end(), buf.data() + done, chunk - done);
            if (n < 0 && errno != EINTR) {
                io_failed("write");
            }
            done += n > 0 ? static_cast<std::size_t>(n) : 0;
        }
        done = 0;
        while (done < chunk) {
            const ssize_t n = ::read(p.read_end(), buf.data() + done, chunk - done);
            if (n < 0 && errno != EINTR) {
                io_failed("read");
            }
            if (n == 0) {
                errno = EPIPE;
                io_failed("read");
            }
            done += n > 0 ? static_cast<std::size_t>(n) : 0;
        }
        sum += buf[chunk - 1];
        bytes -= chunk;
    }
    return sum;
}

/// Allocates bytes, touches every page, frees them.
std::uint64_t allocate(std::uint64_t bytes, std::uint64_t seed) {
    if (bytes == 0) {
        return seed;
    }
    const auto n = static_cast<std::size_t>(bytes);
    std::unique_ptr<unsigned char[]> p(new unsigned char[n]);
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < n; i += 4096) {
        p[i] = static_cast<unsigned char>(seed + i);
    }
    p[n - 1] = static_cast<unsigned char>(seed);
    for (std::size_t i = 0; i < n; i += 4096) {
        sum += p[i];
    }
    return sum + p[n - 1];
}

} // namespace

double unit_draw(std::uint64_t id, std::uint64_t salt) noexcept {
    return static_cast<double>(mix64(id ^ salt) >> 11) * 0x1.0p-53;
}

bool crashes(const workload_spec& part, std::uint64_t id) noexcept {
    return part.kind == workload_kind::crash && unit_draw(id, 0xc4a5'4c4a'5ull) < part.rate;
}

const workload_spec& pick_part(const workload_spec& w, std::uint64_t id) noexcept {
    if (w.kind != workload_kind::mixed || w.parts.empty()) {
        return w;
    }
    double total = 0;
    for (const auto& [weight, part] : w.parts) {
        total += weight;
    }
    // A uniform draw in [0, total) from the id: the mix is the same on every run.
    const double draw = unit_draw(id, 0) * total;
    double acc = 0;
    for (const auto& [weight, part] : w.parts) {
        acc += weight;
        if (draw < acc) {
            return part;
        }
    }
    return w.parts.back().second;
}

std::uint64_t run_workload(const workload_spec& w, std::uint64_t id) {
    const workload_spec& part = pick_part(w, id);
    switch (part.kind) {
    case workload_kind::cpu:
        return burn_cpu(part.amount, id);
    case workload_kind::sleep:
        std::this_thread::sleep_for(std::chrono::microseconds(part.amount));
        return id;
    case workload_kind::io:
        return pipe_io(part.amount, id);
    case workload_kind::alloc:
        return allocate(part.amount, id);
    case workload_kind::crash:
        throw workload_error("crash workload: only a process pool's worker can crash");
    case workload_kind::mixed:
        break;
    }
    throw workload_error("mixed workload inside a mix");
}

} // namespace weft::stress
