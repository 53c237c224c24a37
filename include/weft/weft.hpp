#pragma once

/// Everything weft offers, in one include.

#include <weft/executors.hpp>
#include <weft/runtime.hpp>
#include <weft/runtime/version.hpp>

#if WEFT_HAS_NET
#include <weft/net.hpp>
#endif
