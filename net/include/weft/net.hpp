#pragma once

/// weft's networking: TCP streams and servers (weft::net), the HTTP/1.1 server and client
/// (weft::http).

#include <weft/net/http/headers.hpp>
