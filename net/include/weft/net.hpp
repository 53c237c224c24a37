#pragma once

/// weft's networking: TCP streams and servers (weft::net), the HTTP/1.1 server and client
/// (weft::http), the Prometheus exposition of weft's counters (weft::metrics).

#include <weft/net/address.hpp>
#include <weft/net/connection.hpp>
#include <weft/net/error.hpp>
#include <weft/net/http/client.hpp>
#include <weft/net/http/headers.hpp>
#include <weft/net/http/middleware.hpp>
#include <weft/net/http/request.hpp>
#include <weft/net/http/server.hpp>
#include <weft/net/http/server_response.hpp>
#include <weft/net/http/static_files.hpp>
#include <weft/net/metrics.hpp>
#include <weft/net/server.hpp>
#include <weft/net/stream.hpp>
#include <weft/net/tls.hpp>
