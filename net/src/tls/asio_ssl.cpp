// Asio's SSL support, compiled once for libweft (Asio is built with ASIO_SEPARATE_COMPILATION:
// runtime/src/asio_impl.cpp compiles the rest). weft uses asio::ssl::context to own SSL_CTX.
#include <asio/ssl/impl/src.hpp>
