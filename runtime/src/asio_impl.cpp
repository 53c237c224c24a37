// The one translation unit that compiles Asio (ASIO_SEPARATE_COMPILATION everywhere else).
#include <asio/impl/src.hpp>
