// `weft fetch --demo` (demo.hpp): its slow pages on a weft::http::server, and its checks.

#include "demo.hpp"

#include <weft/weft.hpp>

#include <cstdlib>
#include <string>

namespace weft::tools::fetch {

std::size_t demo_page_size(int i) noexcept {
    return 1000 + 1234 * static_cast<std::size_t>(i);
}

void add_demo_pages(http::server& srv, int pages, std::chrono::milliseconds delay) {
    srv.route("GET", "/page/{n}",
              [pages, delay](http::request& req) -> task<http::server_response> {
                  const int n = std::atoi(std::string(req.param("n")).c_str());
                  if (n < 1 || n > pages) {
                      co_return http::server_response::text("no such page\n", 404);
                  }
                  co_await weft::sleep(delay);
                  std::string body = "<html><body><h1>page " + std::to_string(n) + "</h1><p>";
                  body.resize(demo_page_size(n) - 18, '.');
                  body += "</p></body></html>";
                  co_return http::server_response::text(std::move(body));
              });
}

bool demo_checks_pass(const fetch_options& o, const run_result& seq, const run_result& con,
                      std::size_t failed) {
    bool ok = failed == 0;
    for (std::size_t i = 0; i < con.results.size(); ++i) {
        ok = ok && con.results[i].bytes == demo_page_size(static_cast<int>(i) + 1);
    }
    if (o.compare && con.concurrency >= 4 && o.demo_delay_ms >= 50) {
        ok = ok && con.seconds * 2 < seq.seconds; // generous: about pages-fold here
    }
    return ok;
}

} // namespace weft::tools::fetch
