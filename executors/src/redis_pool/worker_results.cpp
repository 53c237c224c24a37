// A redis pool worker writing back (worker.hpp): results stored and entries acknowledged and
// deleted in one MULTI per batch (all outcomes of one loop turn; one XACK and one XDEL for all),
// kept for the next connection when one is lost; dead letters; entries of dead workers reclaimed
// (XPENDING, then XCLAIM, whose delivery counts decide between another run and the dead-letter
// stream); the worker's own entries renewed so that a long call is not taken from a live worker.

#include "worker.hpp"

#include <weft/runtime/log.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_set>

namespace weft::detail::rp {

namespace {
constexpr const char* dead_max_len = "100000"; // the dead-letter stream keeps the latest ones
} // namespace

void server::settle(outcome o) {
    outbox_.push_back(std::move(o));
    if (!flush_queued_) {
        flush_queued_ = true;
        loop_.call_soon(guard([this] {
            flush_queued_ = false;
            flush();
        }));
    }
}

void server::flush() {
    if (stopping_ || outbox_.empty() || !cmd_->ready()) {
        return;
    }
    auto batch = std::make_shared<std::vector<outcome>>(std::move(outbox_));
    outbox_.clear();
    writing_ += batch->size();
    const std::string ttl = std::to_string(opts_.result_ttl.count());
    std::unordered_set<std::string_view> replies;
    std::vector<std::string_view> ack{"XACK", keys_.calls, group_name};
    std::vector<std::string_view> del{"XDEL", keys_.calls};
    cmd_->command({"MULTI"}, [](redisReply*) {});
    for (const outcome& o : *batch) {
        if (o.kind == result_dead) {
            std::vector<std::string_view> args{"XADD", keys_.dead,   "MAXLEN",
                                               "~",    dead_max_len, "*"};
            args.insert(args.end(), o.dead_fields.begin(), o.dead_fields.end());
            cmd_->command(args, [](redisReply*) {});
        }
        if (o.kind != 0) {
            const std::string seq = std::to_string(o.seq);
            const char kind[1] = {o.kind};
            cmd_->command(
                {"XADD", o.reply, "*", "n", seq, "k", std::string_view(kind, 1), "v", o.value},
                [](redisReply*) {});
            replies.insert(o.reply);
        }
        ack.push_back(o.entry);
        del.push_back(o.entry);
    }
    cmd_->command(ack, [](redisReply*) {}); // one XACK and one XDEL for the whole batch
    cmd_->command(del, [](redisReply*) {});
    for (const std::string_view r : replies) {
        cmd_->command({"EXPIRE", r, ttl}, [](redisReply*) {});
    }
    cmd_->command({"EXEC"}, [this, batch](redisReply* r) {
        writing_ -= batch->size();
        if (stopping_) {
            return;
        }
        if (r == nullptr || r->type != REDIS_REPLY_ARRAY) {
            // Not applied: written again on the next connection (or after a pause).
            for (outcome& o : *batch) {
                outbox_.push_back(std::move(o));
            }
            if (r != nullptr) {
                log::get("weft.exec")
                    .warn("redis worker {}: storing results failed: {}", me_, reply_text(r));
                (void)loop_.call_later(std::chrono::seconds(1), guard([this] { flush(); }));
            }
            return;
        }
        check_done();
    });
}

// The child running a call died: the entry's idle time is set past the visibility timeout, so the
// next reclaim (soon, here or in another worker) delivers it again, or dead-letters it once it has
// been delivered max_attempts times.
void server::release_for_retry(const std::string& entry) {
    cmd_->command({"XCLAIM", keys_.calls, group_name, me_, "0", entry, "IDLE", vis_ms_, "JUSTID"},
                  [this](redisReply*) {
                      if (!stopping_) {
                          reclaim();
                      }
                  });
}

void server::dead_letter(std::string_view entry, const redisReply* fields, std::size_t attempts) {
    outcome o;
    o.entry.assign(entry);
    std::string seq;
    for (std::size_t i = 0; fields->type == REDIS_REPLY_ARRAY && i + 1 < fields->elements; i += 2) {
        const std::string_view name = reply_text(fields->element[i]);
        const std::string_view value = reply_text(fields->element[i + 1]);
        if (name == "r") {
            o.reply.assign(value);
        } else if (name == "n") {
            (void)parse_u64(value, o.seq);
        }
        o.dead_fields.emplace_back(name);
        o.dead_fields.emplace_back(value);
    }
    for (const std::string& extra :
         {std::string("entry"), std::string(entry), std::string("attempts"),
          std::to_string(attempts), std::string("worker"), me_}) {
        o.dead_fields.push_back(extra);
    }
    o.kind = result_dead;
    o.value = std::to_string(attempts);
    log::get("weft.exec")
        .warn("redis worker {}: call {} delivered {} times; moved to {}", me_, o.entry, attempts,
              keys_.dead);
    settle(std::move(o));
}

// Entries idle longer than the visibility timeout belong to workers that died (or let them go):
// XPENDING finds them with their delivery counts, XCLAIM takes them (only those still idle, so two
// workers cannot both win one).
void server::reclaim() {
    if (reclaiming_ || draining_ || stopping_ || !group_ready_ || !cmd_->ready() || room() == 0) {
        return;
    }
    reclaiming_ = true;
    const std::string count = std::to_string(room());
    cmd_->command(
        {"XPENDING", keys_.calls, group_name, "IDLE", vis_ms_, "-", "+", count},
        [this](redisReply* r) {
            if (stopping_) {
                return;
            }
            auto d = std::make_shared<std::unordered_map<std::string, std::size_t>>();
            std::vector<std::string> ids;
            for (std::size_t i = 0; r != nullptr && r->type == REDIS_REPLY_ARRAY && i < r->elements;
                 ++i) {
                const redisReply* e = r->element[i];
                if (e->type == REDIS_REPLY_ARRAY && e->elements == 4 &&
                    e->element[3]->type == REDIS_REPLY_INTEGER) {
                    ids.emplace_back(reply_text(e->element[0]));
                    (*d)[ids.back()] = static_cast<std::size_t>(e->element[3]->integer);
                }
            }
            if (ids.empty() || !cmd_->ready()) {
                reclaiming_ = false;
                return;
            }
            std::vector<std::string_view> args{"XCLAIM", keys_.calls, group_name, me_, vis_ms_};
            args.insert(args.end(), ids.begin(), ids.end());
            cmd_->command(args, [this, d](redisReply* c) { claimed(c, d); });
        });
}

void server::claimed(redisReply* r,
                     std::shared_ptr<std::unordered_map<std::string, std::size_t>> d) {
    reclaiming_ = false;
    if (stopping_ || r == nullptr || r->type != REDIS_REPLY_ARRAY) {
        return;
    }
    std::size_t taken = 0;
    for (std::size_t i = 0; i < r->elements; ++i) {
        const redisReply* e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 2) {
            continue;
        }
        const std::string id(reply_text(e->element[0]));
        auto it = d->find(id);
        const std::size_t before = it != d->end() ? it->second : 0;
        if (e->element[1]->type != REDIS_REPLY_ARRAY) {
            settle({id, {}, 0, 0, {}, {}}); // deleted (cancelled): only acknowledged
            continue;
        }
        take(id, e->element[1], before + 1);
        ++taken;
    }
    if (taken > 0) {
        log::get("weft.exec").info("redis worker {}: took {} call(s) of other workers", me_, taken);
    }
}

// Renews the worker's own entries (XCLAIM to itself, JUSTID: no delivery counted), so that their
// idle time stays under the visibility timeout while they run.
void server::heartbeat() {
    if (held_.empty() || !cmd_->ready() || !group_ready_) {
        return;
    }
    std::vector<std::string_view> args{"XCLAIM", keys_.calls, group_name, me_, "0"};
    for (const auto& [entry, c] : held_) {
        if (!c.abandoned) {
            args.push_back(entry);
        }
    }
    args.push_back("JUSTID");
    if (args.size() > 6) {
        cmd_->command(args, [](redisReply*) {});
    }
}

void server::check_reader() {
    if (reading_ &&
        loop_.time() - read_sent_ > std::chrono::milliseconds(1000) + opts_.connect_timeout) {
        reading_ = false;
        reader_->reset("no answer to XREADGROUP");
    }
}

void server::arm_heartbeat() {
    const auto every = std::max<std::chrono::milliseconds>(opts_.visibility_timeout / 3,
                                                           std::chrono::milliseconds(10));
    (void)loop_.call_later(every, guard([this] {
                               heartbeat();
                               arm_heartbeat();
                           }));
}

void server::arm_reclaim() {
    const auto every = std::max<std::chrono::milliseconds>(opts_.visibility_timeout / 2,
                                                           std::chrono::milliseconds(10));
    (void)loop_.call_later(every, guard([this] {
                               reclaim();
                               arm_reclaim();
                           }));
}

} // namespace weft::detail::rp
