#pragma once

// Background jobs: a bounded weft::queue between the HTTP handlers that submit documents and the
// worker tasks that process them, plus each job's status for GET /jobs/{id}.

#include <weft/runtime/clock.hpp>
#include <weft/runtime/queue.hpp>
#include <weft/runtime/task.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace service {

/// One job: a document to parse in the background.
struct job {
    std::uint64_t id = 0;
    std::string document;
};

/// The job queue and the jobs' statuses. Handlers on every loop and the worker tasks use it at
/// once: the queue is thread-safe, and the statuses sit behind a mutex held for a few lines.
class job_board {
public:
    /// At most `capacity` jobs wait in the queue; more are refused (backpressure).
    explicit job_board(std::size_t capacity) : queue_(capacity) {}

    /// Queues a job for document without waiting and returns its id.
    /// @throws weft::queue_full when the queue is full; weft::queue_shut_down after shutdown().
    std::uint64_t submit_nowait(std::string document);
    /// Queues a job for document, waiting at most `wait` for room, and returns its id.
    /// @throws weft::timeout_error when there was no room in time; weft::queue_shut_down.
    [[nodiscard]] weft::task<std::uint64_t> submit(std::string document,
                                                   weft::clock::duration wait);

    /// The next job, for a worker task (suspends while there is none).
    /// @throws weft::queue_shut_down once shutdown() was called.
    [[nodiscard]] auto next() { return queue_.get(); }
    /// Records that a worker started the job.
    void started(std::uint64_t id);
    /// Records the job's outcome: "done" with its result, or "failed" with its error.
    void finished(std::uint64_t id, bool ok, nlohmann::json outcome);
    /// Refuses new jobs and drops the queued ones; workers finish the job in hand and stop.
    void shutdown() { queue_.shutdown(/*immediate=*/true); }

    /// The job's status as JSON, or nullopt for an unknown id.
    [[nodiscard]] std::optional<nlohmann::json> status(std::uint64_t id) const;
    /// Counters: queued now, capacity, accepted, rejected, done, failed.
    [[nodiscard]] nlohmann::json stats() const;

private:
    job add_record(std::string document);
    void drop_record(std::uint64_t id, bool refused);

    weft::queue<job> queue_;
    mutable std::mutex mutex_;
    std::map<std::uint64_t, nlohmann::json> jobs_; // by id, oldest first
    std::uint64_t next_id_ = 1;
    std::uint64_t accepted_ = 0;
    std::uint64_t rejected_ = 0;
    std::uint64_t done_ = 0;
    std::uint64_t failed_ = 0;
};

} // namespace service
