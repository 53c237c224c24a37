#pragma once

/// The runtime component: loops, tasks, futures, gather, timeouts, cancellation, synchronisation
/// primitives and queues.

#include <weft/runtime/as_completed.hpp>
#include <weft/runtime/awaitable.hpp>
#include <weft/runtime/barrier.hpp>
#include <weft/runtime/clock.hpp>
#include <weft/runtime/condition.hpp>
#include <weft/runtime/create_task.hpp>
#include <weft/runtime/current_task.hpp>
#include <weft/runtime/error.hpp>
#include <weft/runtime/event.hpp>
#include <weft/runtime/future.hpp>
#include <weft/runtime/gather.hpp>
#include <weft/runtime/gather_bounded.hpp>
#include <weft/runtime/interval.hpp>
#include <weft/runtime/lock.hpp>
#include <weft/runtime/loop.hpp>
#include <weft/runtime/outcome.hpp>
#include <weft/runtime/queue.hpp>
#include <weft/runtime/run.hpp>
#include <weft/runtime/semaphore.hpp>
#include <weft/runtime/signal.hpp>
#include <weft/runtime/sleep.hpp>
#include <weft/runtime/stats.hpp>
#include <weft/runtime/task.hpp>
#include <weft/runtime/task_group.hpp>
#include <weft/runtime/timeout.hpp>
#include <weft/runtime/version.hpp>
#include <weft/runtime/virtual_time.hpp>
#include <weft/runtime/wait.hpp>
#include <weft/runtime/wait_for.hpp>
