#include "jobs.hpp"

#include <weft/runtime/wait_for.hpp>

#include <utility>

namespace service {

namespace {
/// Finished jobs remembered for GET /jobs/{id}; older ones are forgotten.
constexpr std::size_t kept_jobs = 10000;

bool is_finished(const nlohmann::json& status) {
    return status.at("status") == "done" || status.at("status") == "failed";
}
} // namespace

std::uint64_t job_board::submit_nowait(std::string document) {
    job j = add_record(std::move(document));
    const std::uint64_t id = j.id;
    try {
        queue_.put_nowait(std::move(j));
    } catch (const weft::queue_full&) {
        drop_record(id, /*refused=*/true);
        throw;
    } catch (...) {
        drop_record(id, /*refused=*/false);
        throw;
    }
    return id;
}

weft::task<std::uint64_t> job_board::submit(std::string document, weft::clock::duration wait) {
    job j = add_record(std::move(document));
    const std::uint64_t id = j.id;
    try {
        // A put that times out (or whose request is cancelled) adds nothing.
        co_await weft::wait_for(queue_.put(std::move(j)), wait);
    } catch (const weft::timeout_error&) {
        drop_record(id, /*refused=*/true);
        throw;
    } catch (...) {
        drop_record(id, /*refused=*/false);
        throw;
    }
    co_return id;
}

job job_board::add_record(std::string document) {
    std::lock_guard<std::mutex> g(mutex_);
    const std::uint64_t id = next_id_++;
    jobs_[id] = {{"id", id}, {"status", "queued"}};
    ++accepted_;
    while (jobs_.size() > kept_jobs && is_finished(jobs_.begin()->second)) {
        jobs_.erase(jobs_.begin());
    }
    return job{id, std::move(document)};
}

void job_board::drop_record(std::uint64_t id, bool refused) {
    std::lock_guard<std::mutex> g(mutex_);
    jobs_.erase(id);
    --accepted_;
    rejected_ += refused ? 1 : 0;
}

void job_board::started(std::uint64_t id) {
    std::lock_guard<std::mutex> g(mutex_);
    if (auto it = jobs_.find(id); it != jobs_.end()) {
        it->second["status"] = "running";
    }
}

void job_board::finished(std::uint64_t id, bool ok, nlohmann::json outcome) {
    std::lock_guard<std::mutex> g(mutex_);
    ++(ok ? done_ : failed_);
    if (auto it = jobs_.find(id); it != jobs_.end()) {
        it->second["status"] = ok ? "done" : "failed";
        it->second[ok ? "result" : "error"] = std::move(outcome);
    }
}

std::optional<nlohmann::json> job_board::status(std::uint64_t id) const {
    std::lock_guard<std::mutex> g(mutex_);
    if (auto it = jobs_.find(id); it != jobs_.end()) {
        return it->second;
    }
    return std::nullopt;
}

nlohmann::json job_board::stats() const {
    const std::size_t waiting = queue_.size();
    std::lock_guard<std::mutex> g(mutex_);
    return {{"queued", waiting},     {"capacity", queue_.maxsize()},
            {"accepted", accepted_}, {"rejected", rejected_},
            {"done", done_},         {"failed", failed_}};
}

} // namespace service
