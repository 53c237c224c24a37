#pragma once

/// Everything weft offers, in one include.

#include <weft/executors.hpp>
#include <weft/runtime.hpp>
