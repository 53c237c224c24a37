// The worker process's loop: reads frames from its parent (init, call, cancel), runs registered
// functions one at a time and writes one reply per call (ok, error or skipped), in order. It
// exits when the parent closes its end of the socket; on a protocol error it exits with code 4,
// on a failed initializer with code 3.

#include "helper_processes.hpp"
#include "protocol.hpp"
#include "read_buffer.hpp"

#include <weft/executors/remote.hpp>

#include <cxxabi.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <deque>
#include <exception>
#include <limits>
#include <string>
#include <typeinfo>
#include <unordered_set>

namespace weft::detail::pp {

namespace {

[[noreturn]] void quit(int code) {
    ::_exit(code);
}

void send_all(int fd, const std::string& f) {
    std::size_t off = 0;
    while (off < f.size()) {
        ssize_t n = ::send(fd, f.data() + off, f.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            quit(0); // the parent is gone
        }
        off += static_cast<std::size_t>(n);
    }
}

/// A frame read ahead of the call being run, kept until its turn.
struct queued_frame {
    msg type;
    std::uint64_t id;
    std::string payload;
};

class worker_loop {
public:
    explicit worker_loop(int fd) : fd_(fd) {}

    [[noreturn]] void run() {
        for (;;) {
            if (queue_.empty()) {
                read_some(true);
                continue;
            }
            queued_frame f = std::move(queue_.front());
            queue_.pop_front();
            switch (f.type) {
            case msg::init:
                start(f);
                break;
            case msg::cancel:
                cancelled_.insert(f.id);
                break;
            case msg::call:
                // Cancellations sent meanwhile: pick them up before starting the call.
                while (read_some(false)) {
                }
                take_cancels();
                if (cancelled_.erase(f.id) != 0) {
                    reply(msg::skipped, f.id, {});
                } else {
                    call(f);
                }
                break;
            default:
                quit(4); // protocol error
            }
        }
    }

private:
    // Reads what is there (blocking: at least something); false when nothing was there.
    bool read_some(bool block) {
        char* room = in_.room();
        ssize_t n;
        do {
            n = ::recv(fd_, room, in_.room_size(), block ? 0 : MSG_DONTWAIT);
        } while (n < 0 && errno == EINTR);
        if (n == 0) {
            quit(0); // the parent closed its end: the pool is done with this worker
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return false;
            }
            quit(0);
        }
        in_.commit(static_cast<std::size_t>(n));
        parse();
        return true;
    }

    void parse() {
        std::size_t pos = 0;
        frame f{};
        std::size_t used = 0;
        for (;;) {
            const decode_status st = decode_frame(
                in_.data().substr(pos), std::numeric_limits<std::uint32_t>::max(), f, used);
            if (st == decode_status::malformed) {
                quit(4);
            }
            if (st == decode_status::partial) {
                break;
            }
            queue_.push_back({f.type, f.id, std::string(f.payload)});
            pos += used;
        }
        in_.consume(pos);
    }

    void take_cancels() {
        for (auto it = queue_.begin(); it != queue_.end();) {
            if (it->type == msg::cancel) {
                cancelled_.insert(it->id);
                it = queue_.erase(it);
            } else {
                ++it;
            }
        }
    }

    void reply(msg type, std::uint64_t id, std::string body) {
        // body already starts with header_size reserved bytes when not empty
        if (body.empty()) {
            body.assign(header_size, '\0');
        }
        finish_frame(body, type, id);
        send_all(fd_, body);
    }

    static std::string error_body(const char* mangled, const std::string& what) {
        std::string b(header_size, '\0');
        put_error_report(b, mangled, demangle(mangled), what);
        return b;
    }

    // Runs a call; the error, when there is one, as an error body.
    std::string invoke(std::string_view payload, std::string& out) {
        std::string_view key;
        std::string_view args;
        if (!split_call(payload, key, args)) {
            quit(4);
        }
        remote_invoker inv = find_remote(key);
        if (inv == nullptr) {
            return error_body(typeid(remote_registration_error).name(),
                              "no function registered as '" + std::string(key) + "' in the worker");
        }
        try {
            inv(args, out);
            return {};
        } catch (const std::exception& e) {
            return error_body(typeid(e).name(), e.what());
        } catch (...) {
            const std::type_info* t = abi::__cxa_current_exception_type();
            return error_body(t != nullptr ? t->name() : "unknown", "");
        }
    }

    void start(const queued_frame& f) {
        if (f.payload.size() < 8) {
            quit(4);
        }
        max_message_ = get_u64(f.payload.data());
        std::string_view rest = std::string_view(f.payload).substr(8);
        if (!rest.empty()) {
            std::string out(header_size, '\0');
            std::string err = invoke(rest, out);
            if (!err.empty()) {
                reply(msg::init_failed, 0, std::move(err));
                quit(3);
            }
        }
        reply(msg::ready, 0, {});
    }

    void call(const queued_frame& f) {
        std::string out(header_size, '\0');
        std::string err = invoke(f.payload, out);
        if (!err.empty()) {
            reply(msg::error, f.id, std::move(err));
            return;
        }
        if (out.size() - header_size > max_message_) {
            reply(msg::error, f.id,
                  error_body(typeid(message_too_large).name(),
                             "the result is " + std::to_string(out.size() - header_size) +
                                 " bytes, over options.max_message (" +
                                 std::to_string(max_message_) + ")"));
            return;
        }
        reply(msg::ok, f.id, std::move(out));
    }

    int fd_;
    read_buffer in_;
    std::deque<queued_frame> queue_;
    std::unordered_set<std::uint64_t> cancelled_;
    std::uint64_t max_message_ = ~std::uint64_t{0};
};

} // namespace

[[noreturn]] void worker_main(int fd) {
    ::signal(SIGPIPE, SIG_IGN);
    worker_loop w(fd);
    w.run();
}

} // namespace weft::detail::pp
