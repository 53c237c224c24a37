#!/usr/bin/python3
"""`weft fetch` run as people run it, against a local echo server this script starts on
127.0.0.1 (port 0): curl's options reach the server (-X, -H, -d, -o, -v, -L, --max-redirs),
URLs without a scheme work and bad ones are named, every bad input exits 2 with a message, the
summary carries p50/p90/p99 and rates, --json is valid JSON whatever bytes a URL holds, and no
line is wider than COLUMNS.

    test_fetch_cli.py path/to/weft CASE     (CASE: one of the functions named case_*)

The echo server answers
    /echo...           200, JSON: method, path, headers (names in lower case), body
    /bytes/N           200, N bytes of 'x'
    /redirect/N        302 to /redirect/N-1; /redirect/1 to /echo (N redirects in all)
    anything else      404
"""

import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading

WEFT = sys.argv[1]


class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/json", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        path = self.path
        if path.startswith("/bytes/"):
            n = int(path[len("/bytes/"):].split("?")[0])
            self.answer(200, b"x" * n, "text/plain")
        elif path.startswith("/redirect/"):
            n = int(path[len("/redirect/"):])
            target = "/echo" if n <= 1 else f"/redirect/{n - 1}"
            self.answer(302, b"", "text/plain", [("Location", target)])
        elif path.startswith("/echo"):
            doc = {"method": self.command, "path": path,
                   "headers": {k.lower(): v for k, v in self.headers.items()},
                   "body": body.decode("latin-1")}
            self.answer(200, json.dumps(doc).encode())
        else:
            self.answer(404, b'{"error": "not found"}')

    def __getattr__(self, name):
        if name.startswith("do_"):  # every method, custom ones included
            return self.handle_any
        raise AttributeError(name)


class Server:
    def __enter__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"127.0.0.1:{self.httpd.server_address[1]}"
        return self

    def url(self, path):
        return f"http://{self.base}{path}"

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class Run:
    def __init__(self, args, env=None):
        full_env = dict(os.environ)
        full_env.pop("COLUMNS", None)
        full_env.update(env or {})
        p = subprocess.run([WEFT, "fetch", *args], capture_output=True, timeout=120,
                           env=full_env, stdin=subprocess.DEVNULL)
        self.args = args
        self.code = p.returncode
        self.out = p.stdout.decode("utf-8", "replace")
        self.err = p.stderr.decode("utf-8", "replace")
        self.raw_out = p.stdout

    def __repr__(self):
        return (f"weft fetch {self.args!r}: exit {self.code}\n--- stdout\n{self.out}"
                f"--- stderr\n{self.err}")

    def expect(self, code, *texts, where="both"):
        seen = {"out": self.out, "err": self.err, "both": self.out + self.err}[where]
        if self.code != code:
            raise AssertionError(f"exit status {self.code}, expected {code}: {self}")
        for t in texts:
            if t not in seen:
                raise AssertionError(f"{t!r} not in std{where}: {self}")
        return self

    def json(self):
        try:
            return json.loads(self.raw_out.decode("utf-8"))  # strict: invalid UTF-8 fails
        except ValueError as e:
            raise AssertionError(f"stdout is not JSON ({e}): {self}")


def check(ok, message):
    if not ok:
        raise AssertionError(message)


def fetched_echo(srv, *args):
    """Runs weft fetch ARGS URL/echo -o FILE and returns what the echo server saw."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "body.json")
        Run([*args, "-o", out, srv.url("/echo")]).expect(0)
        with open(out) as f:
            return json.load(f)


def case_request_options(srv):
    """-X, -H (repeated) and -d (repeated: joined with '&') reach the server."""
    seen = fetched_echo(srv, "-X", "PUT", "-H", "X-One: 1", "-H", "X-Two:   two words  ",
                        "-d", "a=1", "-d", "b=2")
    check(seen["method"] == "PUT", f"method: {seen}")
    check(seen["headers"].get("x-one") == "1", f"-H X-One: {seen}")
    check(seen["headers"].get("x-two") == "two words", f"-H X-Two: {seen}")
    check(seen["body"] == "a=1&b=2", f"-d: {seen}")
    # -d alone makes it a POST, with curl's form content type unless -H names one.
    seen = fetched_echo(srv, "-d", "x=y")
    check(seen["method"] == "POST" and seen["body"] == "x=y", f"-d POST: {seen}")
    check(seen["headers"].get("content-type") == "application/x-www-form-urlencoded", f"{seen}")
    seen = fetched_echo(srv, "-d", "{}", "-H", "Content-Type: application/json")
    check(seen["headers"].get("content-type") == "application/json", f"-H wins: {seen}")
    # -X without -d; a custom method.
    check(fetched_echo(srv, "-X", "DELETE")["method"] == "DELETE", "-X DELETE")
    check(fetched_echo(srv, "-X", "PURGE")["method"] == "PURGE", "-X PURGE")
    check(fetched_echo(srv)["method"] == "GET", "the default method")


def case_data_from_file(srv):
    """-d @FILE sends the file's bytes as they are (newlines and all)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "body.txt")
        content = "line one\nline two\n" + "z" * 100_000
        with open(path, "w") as f:
            f.write(content)
        seen = fetched_echo(srv, "-d", "@" + path)
        check(seen["method"] == "POST" and seen["body"] == content, "-d @file: body differs")


def case_bad_inputs(srv):
    """Every bad input: exit 2, a message naming it, and no request."""
    url = srv.url("/echo")
    with tempfile.TemporaryDirectory() as d:
        missing = os.path.join(d, "missing.txt")
        Run(["-d", "@" + missing, url]).expect(2, missing, "No such file or directory")
        Run(["-d", "@" + d, url]).expect(2, d, "Is a directory")
        huge = os.path.join(d, "huge.bin")
        with open(huge, "wb") as f:
            f.truncate((64 << 20) + 1)  # sparse: 64 MiB + 1 byte, over the limit
        Run(["-d", "@" + huge, url]).expect(2, huge, "64 MiB")
        exactly = os.path.join(d, "exactly.bin")
        with open(exactly, "wb") as f:
            f.truncate(64 << 20)  # at the limit: read, then the bad URL is what is refused
        Run(["-d", "@" + exactly, "http://bad host/"]).expect(2, "space")
        Run(["-o", os.path.join(d, "no", "such", "dir", "out"), url]).expect(
            2, "No such file or directory")
    Run(["-H", "NoColonHere", url]).expect(2, "NoColonHere", "Name: value")
    Run(["-H", "Bad Name: x", url]).expect(2, "not a header name")
    Run(["-X", "GE T", url]).expect(2, "not an HTTP method")
    Run(["-d", "@-", url]).expect(2, "@-")
    Run(["--max-redirs", "-1", url]).expect(2, "--max-redirs")
    Run([]).expect(2, "no URLs")


def case_scheme_less_urls(srv):
    """A URL without a scheme gets http://, as curl does: host:port/path and localhost."""
    port = srv.base.split(":")[1]
    r = Run([f"127.0.0.1:{port}/echo", f"localhost:{port}/echo?q=1"]).expect(0)
    check(f"http://127.0.0.1:{port}/echo" in r.out, f"{r}")
    check(f"http://localhost:{port}/echo?q=1" in r.out, f"{r}")
    check(r.out.count("\n200 ") == 2, f"two 200 rows: {r}")


def case_bad_urls(srv):
    """Bad URLs exit 2 before any request, each with what is wrong."""
    Run(["htp:/bad"]).expect(2, 'unsupported scheme "htp"', '"htp:/bad"', where="err")
    Run(["ftp://example.org/x"]).expect(2, 'unsupported scheme "ftp"')
    Run(["http:/x"]).expect(2, "malformed URL", '"//" expected')
    Run(["http://"]).expect(2, "malformed URL", "no host")
    Run(["http://h:99999/"]).expect(2, "malformed URL", "port")
    Run(["http://a b/"]).expect(2, "malformed URL", "space")
    # One bad URL among good ones: nothing is fetched.
    r = Run([srv.url("/echo"), "htp:/bad"]).expect(2)
    check("200" not in r.out, f"a request went out: {r}")


def case_plurals(srv):
    """1 URL, 1 failed... singular for one."""
    r = Run([srv.url("/echo")]).expect(0, "concurrent: 1 URL, ")
    check("1 URLs" not in r.out, f"{r}")
    Run([srv.url("/echo"), srv.url("/echo")]).expect(0, "concurrent: 2 URLs, ")


def case_file_is_a_directory(srv):
    """--file DIR names the path and says it is a directory; a missing file says so; a list is
    bounded in line length and in URLs."""
    with tempfile.TemporaryDirectory() as d:
        Run(["--file", d]).expect(2, d, "Is a directory", where="err")
        missing = os.path.join(d, "urls.txt")
        Run(["--file", missing]).expect(2, missing, "No such file or directory", where="err")
        listed = os.path.join(d, "list.txt")
        with open(listed, "w") as f:
            f.write(f"# two URLs\n{srv.base}/bytes/5\n\n{srv.url('/bytes/10')}\n")
        Run(["--file", listed]).expect(0, "concurrent: 2 URLs, 15 bytes")
        # Bounded: a list without line breaks, or with more URLs than a run takes.
        Run(["--file", "/dev/zero"]).expect(2, "--file /dev/zero: line 1 is longer than 65536")
        many = os.path.join(d, "many.txt")
        with open(many, "w") as f:
            f.write("x\n" * 1_000_001)
        Run(["--file", many]).expect(2, many, "more than 1000000 URLs")


def case_output_file(srv):
    """-o writes the body of the one URL; several URLs are refused; a failure leaves no file."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "body.bin")
        Run(["-o", out, srv.url("/bytes/5000")]).expect(0, "5000")
        with open(out, "rb") as f:
            check(f.read() == b"x" * 5000, "-o: the file is not the body")
        Run(["-o", out, srv.url("/echo"), srv.url("/echo")]).expect(2, "-o", "2 URLs")
        Run(["-o", "-", srv.url("/echo")]).expect(2, "-o -")
        # A 404 still has a body, and -o keeps it, as curl does.
        Run(["-o", out, srv.url("/nothing-here")]).expect(0, "404")
        with open(out, "rb") as f:
            check(b"not found" in f.read(), "-o of a 404")
        gone = os.path.join(d, "never.bin")
        Run(["-o", gone, srv.url("/bytes/100"), "--max-response-bytes", "10"]).expect(1)
        check(not os.path.exists(gone), "-o left a file after a failed fetch")


def case_redirects(srv):
    """No redirects without -L (as curl); -L follows them; --max-redirs bounds them."""
    url = srv.url("/redirect/2")

    def only(r):
        results = r.json()["runs"][0]["results"]
        check(len(results) == 1, f"{r}")
        return results[0]

    check(only(Run(["--json", url]).expect(0))["status"] == 302, "without -L")
    check(only(Run(["--json", "-L", url]).expect(0))["status"] == 200, "-L")
    check(only(Run(["--json", "-L", "--max-redirs", "0", url]).expect(0))["status"] == 302,
          "--max-redirs 0")
    r = only(Run(["--json", "-L", "--max-redirs", "1", url]).expect(1))
    check(r.get("error_kind") == "redirects", f"--max-redirs 1 of 2: {r}")
    check(only(Run(["--json", "-L", "--max-redirs", "2", url]).expect(0))["status"] == 200, "2")
    Run(["-L", "-v", url]).expect(0, "* followed 2 redirects to " + srv.url("/echo"), where="err")


def case_verbose(srv):
    """-v prints the request ('> ') and the response head ('< ') on stderr, curl's way."""
    r = Run(["-v", "-H", "X-Trace: 7", srv.url("/echo?a=b")]).expect(0)
    for line in ("> GET /echo?a=b", f"> Host: {srv.base}", "> User-Agent: weft/", "> X-Trace: 7",
                 "< HTTP/1.1 200", "< Content-Type: application/json"):
        check(line in r.err, f"-v: {line!r} missing: {r}")
    check("> " not in r.out and "< " not in r.out, f"-v wrote to stdout: {r}")
    r = Run(["-v", "-d", "k=v", srv.url("/echo")]).expect(0)
    check("> POST /echo" in r.err and "> Content-Length: 3" in r.err, f"-v -d: {r}")


def case_summary(srv):
    """The summary: p50, p90, p99, requests/s and bytes/s, as oha and hey print them."""
    urls = [srv.url(f"/bytes/{n}") for n in (100, 200, 300, 400)]
    r = Run(urls).expect(0, "concurrent: 4 URLs, 1000 bytes, 0 failed", "latency: p50 ",
                         ", p90 ", ", p99 ", "requests/s", "B/s")
    header = r.out.splitlines()[0].split()
    check(header == ["status", "bytes", "time", "url"], f"table header: {r}")
    r = Run(["--sequential", "-q", *urls]).expect(0, "sequential: 4 URLs")
    check("status" not in r.out, f"-q prints the table: {r}")


def case_table_columns(srv):
    """Each column's cells line up under its title (right-aligned numbers end where the title
    ends), and a failure's message goes under its row."""
    r = Run([srv.url("/bytes/7"), srv.url("/bytes/123456")]).expect(0)
    lines = r.out.splitlines()
    header = lines[0]
    for row in lines[2:4]:
        for title in ("bytes", "time"):
            end = header.index(title) + len(title)
            check(row[end - 1] != " " and (end == len(row) or row[end] == " "),
                  f"{title!r} column not aligned: {header!r} / {row!r}")


def case_json(srv):
    """--json is valid JSON with per-URL results and each pass's summary: p50/p90/p99,
    requests/s, bytes/s; a URL with bytes that are not UTF-8 still makes valid JSON."""
    urls = [srv.url("/bytes/10"), srv.url("/bytes/20"), srv.url("/nothing")]
    doc = Run(["--json", *urls]).expect(0).json()
    run = doc["runs"][0]
    check(run["mode"] == "concurrent" and len(run["results"]) == 3, f"{doc}")
    s = run["summary"]
    check(s["requests"] == 3 and s["responses"] == 3 and s["failed"] == 0, f"{s}")
    check(s["bytes"] == 30 + len(b'{"error": "not found"}'), f"{s}")
    check(s["requests_per_s"] > 0 and s["bytes_per_s"] > 0, f"{s}")
    lat = s["latency_s"]
    check(all(k in lat for k in ("min", "mean", "p50", "p90", "p99", "max")), f"{lat}")
    check(lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"], f"{lat}")
    # --compare: both passes and the speed-up.
    doc = Run(["--json", "--compare", *urls]).expect(0).json()
    check([r["mode"] for r in doc["runs"]] == ["sequential", "concurrent"], f"{doc}")
    check(doc["speedup"] > 0, f"{doc}")
    # Bytes that are not UTF-8 in a URL (the server answers 404; the JSON must stay valid).
    bad = os.fsdecode(srv.url("/caf").encode() + b"\xe9\xff")
    doc = Run(["--json", bad]).json()
    check(len(doc["runs"][0]["results"]) == 1, f"{doc}")


def case_columns(srv):
    """COLUMNS=100: no line of stdout is wider than 100, whatever the URL and error lengths."""
    long_url = srv.url("/echo/" + "segment/" * 25)
    too_large = srv.url("/bytes/100?pad=" + "p" * 150)  # fails: a long URL in a long message
    for args in (["--max-response-bytes", "50", long_url, too_large],
                 ["--compare", long_url, srv.url("/bytes/99")],
                 ["-L", srv.url("/redirect/1"), long_url]):
        for columns in ("100", "40"):
            r = Run(args, env={"COLUMNS": columns})
            check(r.code in (0, 1), f"{r}")
            wide = [l for l in r.out.splitlines() if len(l) > int(columns)]
            check(not wide, f"COLUMNS={columns}: lines wider: {wide!r}\n{r}")


def case_help(srv):
    """--help lists curl's options."""
    r = Run(["--help"]).expect(0)
    for option in ("-H", "-X", "-d", "-o", "-v", "-L", "--max-redirs", "Examples:"):
        check(option in r.out, f"--help lacks {option}: {r}")


def main():
    case = sys.argv[2]
    with Server() as srv:
        globals()["case_" + case](srv)
    print("ok", case)


if __name__ == "__main__":
    main()
