#pragma once

/// Everything weft offers, in one include.

#include <weft/runtime.hpp>
