// Example 8: an echo server and its client in one program (asyncio's streams).
//
//     async def handle_echo(reader, writer):
//         while line := await reader.readline():
//             writer.write(line.upper())
//             await writer.drain()
//         writer.close()
//         await writer.wait_closed()
//
//     async def main():
//         server = await asyncio.start_server(handle_echo, '127.0.0.1', 0)
//         port = server.sockets[0].getsockname()[1]
//         reader, writer = await asyncio.open_connection('127.0.0.1', port)
//         for word in ('hello', 'weft'):
//             writer.write(f'{word}\n'.encode())
//             await writer.drain()
//             print('client got:', (await reader.readline()).decode().strip())
//         writer.close()
//         await writer.wait_closed()
//         server.close()
//         await server.wait_closed()
//
//     asyncio.run(main())
//
// The server accepts on every loop of the runtime (one SO_REUSEPORT socket per loop); each
// connection's handler runs as a task on the loop that accepted it.

#include "example.hpp"

#include <weft/weft.hpp>

#include <cctype>
#include <string>

using example::check;
using example::say;

weft::task<> handle_echo(weft::net::stream_reader reader, weft::net::stream_writer writer) {
    for (;;) {
        std::string line = co_await reader.readline();
        if (line.empty()) {
            break; // EOF
        }
        for (char& c : line) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        writer.write(line);
        co_await writer.drain();
    }
    writer.close();
    co_await writer.wait_closed();
}

weft::task<> main_task() {
    weft::net::server server = co_await weft::net::start_server(handle_echo, "127.0.0.1", 0);
    check(server.port() != 0, "port 0 picks a free port");
    auto [reader, writer] = co_await weft::net::open_connection("127.0.0.1", server.port());
    for (const char* word : {"hello", "weft"}) {
        writer.write(std::string(word) + "\n");
        co_await writer.drain();
        std::string reply = co_await reader.readline();
        say("client got: ", reply.substr(0, reply.size() - 1));
    }
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    check(server.stats().accepted == 1, "one connection was accepted");
}

int main() {
    weft::run(main_task());
    example::check_transcript("client got: HELLO\n"
                              "client got: WEFT\n");
    return example::exit_status();
}
