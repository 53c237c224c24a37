#pragma once

/// The executors component: run_in_executor, to_thread, partial, tbb_pool, thread_pool.

#include <weft/executors/executor.hpp>
#include <weft/executors/partial.hpp>
#include <weft/executors/run_in_executor.hpp>
#include <weft/executors/tbb_pool.hpp>
#include <weft/executors/thread_pool.hpp>
