// The conformance corpus's table (see conformance_cases.hpp): one line of comment per case gives
// the rule it checks or the smuggling technique it replays. Byte escapes end their literal
// ("\x0b" "b") so that no hex digit after them is read as part of the escape.

#include "conformance_cases.hpp"

#include <string>
#include <vector>

namespace weft::testing::http {

namespace {

using namespace std::string_literals;

// A GET of /echo with Host: h and the given extra fields.
std::string get(const std::string& fields = "") {
    return "GET /echo HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n";
}

// A request line and fields as given, then the blank line.
std::string head(const std::string& request_line, const std::string& fields) {
    return request_line + "\r\n" + fields + "\r\n";
}

// A POST of /echo with Host: h, the given framing fields and raw body bytes.
std::string post(const std::string& fields, const std::string& body) {
    return "POST /echo HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n" + body;
}

// A chunked POST of /echo with the given raw body bytes.
std::string chunked(const std::string& body) {
    return post("Transfer-Encoding: chunked\r\n", body);
}

void request_line_cases(std::vector<verdict_case>& v) {
    // RFC 9112 3: method SP request-target SP HTTP-version CRLF.
    v.push_back(accept(get(), "GET", "/echo", "", "RFC 9112 3: a minimal request"));
    // RFC 9112 3: one SP between the parts; weft does not split on runs of whitespace.
    v.push_back(reject(head("GET  /echo HTTP/1.1", "Host: h\r\n"), 400, "RFC 9112 3: two SP"));
    // RFC 9112 3: the separator is SP, not HTAB.
    v.push_back(reject(head("GET\t/echo HTTP/1.1", "Host: h\r\n"), 400, "RFC 9112 3: HTAB"));
    // RFC 9112 3: two SP before the version.
    v.push_back(reject(head("GET /echo  HTTP/1.1", "Host: h\r\n"), 400, "RFC 9112 3: SP SP"));
    // RFC 9112 3: nothing may precede the method.
    v.push_back(reject(head(" GET /echo HTTP/1.1", "Host: h\r\n"), 400, "RFC 9112 3: lead SP"));
    // RFC 9112 3: nothing may follow the version.
    v.push_back(reject(head("GET /echo HTTP/1.1 ", "Host: h\r\n"), 400, "RFC 9112 3: trail SP"));
    // RFC 9112 3: HTTP/0.9's simple request (no version) is not HTTP/1.x.
    v.push_back(reject("GET /echo\r\n\r\n", 400, "RFC 9112 3: no version"));
    // RFC 9112 3: an empty request line.
    v.push_back(reject("\r\n\r\n" + std::string(20, ' ') + "\r\n\r\n", 400,
                       "RFC 9112 2.2: a line of spaces is not a request line"));
    // RFC 9110 9.1: method = token; '@' is not a tchar.
    v.push_back(reject(head("G@T /echo HTTP/1.1", "Host: h\r\n"), 400, "RFC 9110 9.1: token"));
    // RFC 9110 9.1: NUL inside the method.
    v.push_back(reject(head("GE\0T /echo HTTP/1.1"s, "Host: h\r\n"), 400, "RFC 9110 9.1: NUL"));
    // RFC 9110 9.1: methods are case-sensitive: "get" is another method (405 on /echo).
    v.push_back(served(accept(head("get /echo HTTP/1.1", "Host: h\r\n"), "get", "/echo", "",
                              "RFC 9110 9.1: case-sensitive method"),
                       405));
    // RFC 9110 9.1: any token is a method; routing answers one no route has.
    v.push_back(served(accept(head("M-SEARCH /echo HTTP/1.1", "Host: h\r\n"), "M-SEARCH", "/echo",
                              "", "RFC 9110 9.1: extension method"),
                       405));
    // RFC 9110 9.1: a method made of tchar punctuation only.
    v.push_back(served(accept(head("!#$%&'*+-.^_`|~ /echo HTTP/1.1", "Host: h\r\n"),
                              "!#$%&'*+-.^_`|~", "/echo", "", "RFC 9110 5.6.2: every tchar"),
                       405));
    // RFC 9112 3.2: the target is visible ASCII; a space inside splits the line wrongly.
    v.push_back(reject(head("GET /ec ho HTTP/1.1", "Host: h\r\n"), 400, "RFC 9112 3.2: SP"));
    // RFC 3986 2: DEL is not a URI character.
    v.push_back(
        reject(head("GET /echo\x7f HTTP/1.1", "Host: h\r\n"), 400, "RFC 3986 2: DEL in target"));
    // RFC 3986 2: raw non-ASCII bytes must be percent-encoded.
    v.push_back(
        reject(head("GET /\xff HTTP/1.1", "Host: h\r\n"), 400, "RFC 3986 2: obs byte in target"));
    // RFC 3986 2: NUL in the target (path truncation in C-string consumers).
    v.push_back(reject(head("GET /echo\0.txt HTTP/1.1"s, "Host: h\r\n"), 400, "NUL in target"));
    // RFC 9112 3: an empty target.
    v.push_back(reject(head("GET  HTTP/1.1", "Host: h\r\n"), 400, "RFC 9112 3: empty target"));
}

void version_cases(std::vector<verdict_case>& v) {
    // RFC 9110 6.2: a major version weft does not speak is 505.
    v.push_back(reject(head("GET /echo HTTP/2.0", "Host: h\r\n"), 505, "RFC 9110 6.2: 2.0"));
    // RFC 9110 6.2: HTTP/0.9 is another major version.
    v.push_back(reject(head("GET /echo HTTP/0.9", "Host: h\r\n"), 505, "RFC 9110 6.2: 0.9"));
    // RFC 9110 6.2: HTTP/3.0 in an HTTP/1 request line.
    v.push_back(reject(head("GET /echo HTTP/3.0", "Host: h\r\n"), 505, "RFC 9110 6.2: 3.0"));
    // RFC 9110 6.2: a higher minor version is served as the highest one known (1.1).
    v.push_back(accept(head("GET /echo HTTP/1.2", "Host: h\r\n"), "GET", "/echo", "",
                       "RFC 9110 6.2: 1.2 is served as 1.1"));
    // RFC 9112 2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT: one digit each.
    v.push_back(reject(head("GET /echo HTTP/1.10", "Host: h\r\n"), 400, "RFC 9112 2.3: 1.10"));
    // RFC 9112 2.3: HTTP-name is case-sensitive.
    v.push_back(reject(head("GET /echo http/1.1", "Host: h\r\n"), 400, "RFC 9112 2.3: case"));
    // RFC 9112 2.3: the minor version is required.
    v.push_back(reject(head("GET /echo HTTP/1", "Host: h\r\n"), 400, "RFC 9112 2.3: HTTP/1"));
    // RFC 9112 2.3: three numbers.
    v.push_back(reject(head("GET /echo HTTP/1.1.1", "Host: h\r\n"), 400, "RFC 9112 2.3: 1.1.1"));
    // RFC 9112 2.3: no dot.
    v.push_back(reject(head("GET /echo HTTP/11", "Host: h\r\n"), 400, "RFC 9112 2.3: 11"));
    // RFC 9112 2.3: no space inside the version.
    v.push_back(reject(head("GET /echo HTTP /1.1", "Host: h\r\n"), 400, "RFC 9112 2.3: SP"));
}

void target_cases(std::vector<verdict_case>& v) {
    // RFC 9112 3.2.1: origin-form with a query.
    v.push_back(accept(head("GET /echo?a=1&b=%20 HTTP/1.1", "Host: h\r\n"), "GET",
                       "/echo?a=1&b=%20", "", "RFC 9112 3.2.1: origin-form and query"));
    // RFC 9112 3.2.4: asterisk-form with OPTIONS (no route answers "*": 404).
    v.push_back(served(
        accept(head("OPTIONS * HTTP/1.1", "Host: h\r\n"), "OPTIONS", "*", "", "RFC 9112 3.2.4"),
        404));
    // RFC 9112 3.2.4: asterisk-form is only for OPTIONS.
    v.push_back(reject(head("GET * HTTP/1.1", "Host: h\r\n"), 400, "RFC 9112 3.2.4: GET *"));
    // RFC 9112 3.2.4: "*" alone.
    v.push_back(reject(head("OPTIONS *x HTTP/1.1", "Host: h\r\n"), 400, "RFC 9112 3.2.4: *x"));
    // RFC 9112 3.2.2: absolute-form; the authority comes from the target.
    v.push_back(with_authority(accept(head("GET http://h/echo HTTP/1.1", "Host: h\r\n"), "GET",
                                      "http://h/echo", "", "RFC 9112 3.2.2: absolute-form"),
                               "h"));
    // RFC 9112 3.2.2: a Host that differs from the target's authority is ignored (host-header
    // confusion between a front end that routes on one and a back end that reads the other).
    v.push_back(
        with_authority(accept(head("GET http://a.example/echo HTTP/1.1", "Host: b.example\r\n"),
                              "GET", "http://a.example/echo", "",
                              "RFC 9112 3.2.2: the target's authority wins over Host"),
                       "a.example"));
    // RFC 3986 3.1: the scheme is case-insensitive; https is accepted as well.
    v.push_back(with_authority(accept(head("GET HTTPS://h:8443/echo HTTP/1.1", "Host: h\r\n"),
                                      "GET", "HTTPS://h:8443/echo", "", "RFC 3986 3.1: scheme"),
                               "h:8443"));
    // RFC 9112 3.2.2: an IPv6 literal with a port in the target.
    v.push_back(
        with_authority(accept(head("GET http://[::1]:8080/echo?x HTTP/1.1", "Host: h\r\n"), "GET",
                              "http://[::1]:8080/echo?x", "", "RFC 3986 3.2.2: IP-literal"),
                       "[::1]:8080"));
    // RFC 9112 3.2.2: an absolute target without a path means "/".
    v.push_back(with_authority(accept(head("GET http://h HTTP/1.1", "Host: h\r\n"), "GET",
                                      "http://h", "", "RFC 9112 3.2.2: empty path"),
                               "h"));
    // RFC 3986 6.2.3: an empty path before a query is "/" (path confusion if the query's '/'
    // were taken for the path's). Parser only: the server splits absolute-form targets itself,
    // and routes this one to /echo.
    v.push_back(with_authority(accept(head("GET http://h?a=/echo HTTP/1.1", "Host: h\r\n"), "GET",
                                      "http://h?a=/echo", "", "RFC 3986 6.2.3: query, empty path"),
                               "h"));
    // RFC 9110 4.2.4: userinfo in an http URI is an error (credentials, authority confusion).
    v.push_back(reject(head("GET http://user@h/echo HTTP/1.1", "Host: h\r\n"), 400,
                       "RFC 9110 4.2.4: userinfo"));
    // RFC 9110 4.2.1: an http URI with an empty host is invalid.
    v.push_back(reject(head("GET http:///echo HTTP/1.1", "Host: h\r\n"), 400,
                       "RFC 9110 4.2.1: empty host"));
    // RFC 3986 3.2: a second port.
    v.push_back(reject(head("GET http://h:80:80/echo HTTP/1.1", "Host: h\r\n"), 400,
                       "RFC 3986 3.2.3: port twice"));
    // RFC 3986 3.2.2: a space-free but invalid host ("h<").
    v.push_back(reject(head("GET http://h<x/echo HTTP/1.1", "Host: h\r\n"), 400,
                       "RFC 3986 3.2.2: '<' in host"));
    // RFC 9112 3.2: weft serves http and https targets only.
    v.push_back(reject(head("GET ftp://h/echo HTTP/1.1", "Host: h\r\n"), 400,
                       "RFC 9112 3.2: other scheme"));
    // RFC 9112 3.2.3: authority-form is for CONNECT only.
    v.push_back(reject(head("GET h:80 HTTP/1.1", "Host: h\r\n"), 400, "RFC 9112 3.2.3: GET h:80"));
    // RFC 9110 9.3.6: weft is no proxy: a well-formed CONNECT is not implemented.
    v.push_back(
        reject(head("CONNECT h:443 HTTP/1.1", "Host: h:443\r\n"), 501, "RFC 9110 9.3.6: CONNECT"));
    // RFC 9112 3.2.3: CONNECT needs the authority-form.
    v.push_back(reject(head("CONNECT /echo HTTP/1.1", "Host: h\r\n"), 400,
                       "RFC 9112 3.2.3: CONNECT origin-form"));
    // RFC 9112 3.2.3: authority-form = uri-host ":" port; the port is required.
    v.push_back(reject(head("CONNECT h HTTP/1.1", "Host: h\r\n"), 400,
                       "RFC 9112 3.2.3: CONNECT without port"));
    // RFC 9112 3.2: a relative reference is no request-target form.
    v.push_back(reject(head("GET echo HTTP/1.1", "Host: h\r\n"), 400, "RFC 9112 3.2: relative"));
}

void host_cases(std::vector<verdict_case>& v) {
    // RFC 9112 3.2: an HTTP/1.1 request without Host is 400.
    v.push_back(reject("GET /echo HTTP/1.1\r\n\r\n", 400, "RFC 9112 3.2: no Host"));
    // RFC 9112 3.2: ... even with an absolute-form target.
    v.push_back(reject("GET http://h/echo HTTP/1.1\r\n\r\n", 400,
                       "RFC 9112 3.2: absolute-form without Host"));
    // RFC 9112 3.2: more than one Host is 400 (which one would a proxy use?).
    v.push_back(reject(get("Host: x\r\n"), 400, "RFC 9112 3.2: two Host fields"));
    // RFC 9112 3.2: even with the same value.
    v.push_back(reject(get("Host: h\r\n"), 400, "RFC 9112 3.2: Host twice, same value"));
    // RFC 9112 3.2: and in HTTP/1.0 as well.
    v.push_back(reject(head("GET /echo HTTP/1.0", "Host: a\r\nHost: b\r\n"), 400,
                       "RFC 9112 3.2: two Host fields in HTTP/1.0"));
    // RFC 9112 3.2: a Host and an empty Host.
    v.push_back(reject(get("Host:\r\n"), 400, "RFC 9112 3.2: Host and empty Host"));
    // RFC 9112 3.2: an empty Host is how a client says the target has no authority.
    v.push_back(with_authority(accept(head("GET /echo HTTP/1.1", "Host:\r\n"), "GET", "/echo", "",
                                      "RFC 9112 3.2: empty Host"),
                               ""));
    // RFC 9110 7.2 / RFC 3986 3.2.2: a space inside the host.
    v.push_back(reject(head("GET /echo HTTP/1.1", "Host: a b\r\n"), 400, "RFC 3986: 'a b'"));
    // RFC 3986 3.2.2: a path in Host (cache poisoning, routing on a/b).
    v.push_back(reject(head("GET /echo HTTP/1.1", "Host: a/b\r\n"), 400, "RFC 3986: 'a/b'"));
    // RFC 9110 4.2.4 / RFC 3986 3.2.1: userinfo in Host.
    v.push_back(reject(head("GET /echo HTTP/1.1", "Host: user@a\r\n"), 400, "RFC 3986: userinfo"));
    // RFC 3986 3.2.3: port = *DIGIT.
    v.push_back(reject(head("GET /echo HTTP/1.1", "Host: a:b\r\n"), 400, "RFC 3986 3.2.3: a:b"));
    // RFC 3986 3.2.3: an empty port is allowed.
    v.push_back(with_authority(accept(head("GET /echo HTTP/1.1", "Host: a:\r\n"), "GET", "/echo",
                                      "", "RFC 3986 3.2.3: empty port"),
                               "a:"));
    // weft: a port beyond 65535 names no TCP port.
    v.push_back(reject(head("GET /echo HTTP/1.1", "Host: a:65536\r\n"), 400, "port > 65535"));
    // RFC 3986 3.2.3: the largest port.
    v.push_back(with_authority(accept(head("GET /echo HTTP/1.1", "Host: a:65535\r\n"), "GET",
                                      "/echo", "", "RFC 3986 3.2.3: port 65535"),
                               "a:65535"));
    // RFC 3986 3.2.2: an IPv4 address and port.
    v.push_back(with_authority(accept(head("GET /echo HTTP/1.1", "Host: 127.0.0.1:8080\r\n"), "GET",
                                      "/echo", "", "RFC 3986 3.2.2: IPv4"),
                               "127.0.0.1:8080"));
    // RFC 3986 3.2.2: an IPv6 literal and port.
    v.push_back(with_authority(accept(head("GET /echo HTTP/1.1", "Host: [::1]:80\r\n"), "GET",
                                      "/echo", "", "RFC 3986 3.2.2: IPv6"),
                               "[::1]:80"));
    // RFC 3986 3.2.2: a full IPv6 address with an IPv4 tail.
    v.push_back(accept(head("GET /echo HTTP/1.1", "Host: [2001:db8:0:0:0:0:1.2.3.4]\r\n"), "GET",
                       "/echo", "", "RFC 3986 3.2.2: IPv6 with IPv4 tail"));
    // RFC 3986 3.2.2: an unclosed IP-literal.
    v.push_back(reject(head("GET /echo HTTP/1.1", "Host: [::1\r\n"), 400, "RFC 3986: '[::1'"));
    // RFC 3986 3.2.2: bytes after the IP-literal that are not a port.
    v.push_back(reject(head("GET /echo HTTP/1.1", "Host: [::1]x\r\n"), 400, "RFC 3986: ']x'"));
    // RFC 3986 3.2.2: nine IPv6 groups.
    v.push_back(reject(head("GET /echo HTTP/1.1", "Host: [1:2:3:4:5:6:7:8:9]\r\n"), 400,
                       "RFC 3986 3.2.2: nine groups"));
    // RFC 3986 3.2.2: "::" twice.
    v.push_back(
        reject(head("GET /echo HTTP/1.1", "Host: [1::2::3]\r\n"), 400, "RFC 3986: '::' twice"));
    // RFC 3986 3.2.2: a zone identifier is not part of RFC 3986's IPv6address.
    v.push_back(reject(head("GET /echo HTTP/1.1", "Host: [fe80::1%25eth0]\r\n"), 400,
                       "RFC 3986 3.2.2: zone id"));
    // RFC 3986 3.2.2: IPvFuture.
    v.push_back(accept(head("GET /echo HTTP/1.1", "Host: [v1.fe:x]\r\n"), "GET", "/echo", "",
                       "RFC 3986 3.2.2: IPvFuture"));
    // RFC 3986 3.2.2: a reg-name with pct-encoding.
    v.push_back(accept(head("GET /echo HTTP/1.1", "Host: a%41b.example\r\n"), "GET", "/echo", "",
                       "RFC 3986 3.2.2: pct-encoded reg-name"));
    // RFC 3986 2.1: a broken pct-encoding.
    v.push_back(reject(head("GET /echo HTTP/1.1", "Host: a%4\r\n"), 400, "RFC 3986 2.1: '%4'"));
    // RFC 9110 4.2.1: a port without a host.
    v.push_back(reject(head("GET /echo HTTP/1.1", "Host: :80\r\n"), 400, "RFC 9110 4.2.1: ':80'"));
    // RFC 3986 3.2.2: HTAB inside the host.
    v.push_back(reject(head("GET /echo HTTP/1.1", "Host: a\tb\r\n"), 400, "RFC 3986: HTAB"));
    // RFC 9110 5.5: optional whitespace around the value is not part of it.
    v.push_back(with_authority(accept(head("GET /echo HTTP/1.1", "Host: \t h \t\r\n"), "GET",
                                      "/echo", "", "RFC 9110 5.5: OWS around Host"),
                               "h"));
    // RFC 9112 5.1: whitespace between the name and the colon (Host smuggled past a proxy).
    v.push_back(reject(head("GET /echo HTTP/1.1", "Host : h\r\n"), 400, "RFC 9112 5.1: 'Host :'"));
    // RFC 9110 5.1: field names are case-insensitive.
    v.push_back(with_authority(accept(head("GET /echo HTTP/1.1", "hOsT: h\r\n"), "GET", "/echo", "",
                                      "RFC 9110 5.1: case-insensitive name"),
                               "h"));
}

void field_cases(std::vector<verdict_case>& v) {
    // RFC 9110 5.1: a space inside a field name.
    v.push_back(reject(get("X Y: v\r\n"), 400, "RFC 9110 5.1: SP in name"));
    // RFC 9110 5.1: NUL in a field name.
    v.push_back(reject(get("X\0: v\r\n"s), 400, "RFC 9110 5.1: NUL in name"));
    // RFC 9110 5.1: '(' is no tchar.
    v.push_back(reject(get("X(: v\r\n"), 400, "RFC 9110 5.1: '(' in name"));
    // RFC 9110 5.1: '/' is no tchar.
    v.push_back(reject(get("X/Y: v\r\n"), 400, "RFC 9110 5.1: '/' in name"));
    // RFC 9110 5.1: an empty name.
    v.push_back(reject(get(": v\r\n"), 400, "RFC 9110 5.1: empty name"));
    // RFC 9110 5.5: NUL in a value.
    v.push_back(reject(get("X: a\0b\r\n"s), 400, "RFC 9110 5.5: NUL in value"));
    // RFC 9110 5.5: a CR inside a value (RFC 9112 2.2: bare CR).
    v.push_back(reject(get("X: a\rb\r\n"), 400, "RFC 9112 2.2: CR in value"));
    // RFC 9110 5.5: another control byte.
    v.push_back(reject(get("X: a\x01"
                           "b\r\n"),
                       400, "RFC 9110 5.5: CTL in value"));
    // RFC 9110 5.5: DEL.
    v.push_back(reject(get("X: a\x7f"
                           "b\r\n"),
                       400, "RFC 9110 5.5: DEL in value"));
    // RFC 9110 5.5: obs-text is allowed in values.
    v.push_back(accept(get("X: \x80\xff\r\n"), "GET", "/echo", "", "RFC 9110 5.5: obs-text"));
    // RFC 9110 5.5: HTAB and SP inside a value.
    v.push_back(accept(get("X: a\t b\r\n"), "GET", "/echo", "", "RFC 9110 5.5: HTAB inside"));
    // RFC 9112 5.2: obs-fold is rejected (a folded line could hide a field from a proxy).
    v.push_back(reject(get("X: a\r\n b\r\n"), 400, "RFC 9112 5.2: obs-fold SP"));
    // RFC 9112 5.2: obs-fold with HTAB.
    v.push_back(reject(get("X: a\r\n\tb\r\n"), 400, "RFC 9112 5.2: obs-fold HTAB"));
    // RFC 9112 2.2: whitespace between the request line and the first field.
    v.push_back(reject(head("GET /echo HTTP/1.1", " Host: h\r\n"), 400, "RFC 9112 2.2: SP first"));
    // RFC 9112 5: a line without a colon.
    v.push_back(reject(get("Host h\r\n"), 400, "RFC 9112 5: no colon"));
    // RFC 9110 5.5: an empty value.
    v.push_back(accept(get("X:\r\n"), "GET", "/echo", "", "RFC 9110 5.5: empty value"));
    // RFC 9112 5.1: no whitespace after the colon.
    v.push_back(accept(get("X:v\r\n"), "GET", "/echo", "", "RFC 9112 5.1: no OWS"));
    // RFC 9112 2.2: empty lines before the request line are ignored.
    v.push_back(accept("\r\n\r\n" + get(), "GET", "/echo", "", "RFC 9112 2.2: leading CRLF"));
    // weft: at most 8 empty lines before a request.
    std::string blanks;
    for (int i = 0; i < 9; ++i) {
        blanks += "\r\n";
    }
    v.push_back(reject(blanks + get(), 400, "weft: too many leading empty lines"));
    // RFC 9112 2.2: a bare LF before the request line (weft does not take LF alone).
    v.push_back(reject("\n" + get(), 400, "RFC 9112 2.2: bare LF"));
    // RFC 9112 2.2: bare LF line ends (a recipient MAY accept them; weft does not, so it never
    // sees line boundaries a CRLF-strict proxy does not).
    v.push_back(reject("GET /echo HTTP/1.1\nHost: h\n\n", 400, "RFC 9112 2.2: LF line ends"));
    // RFC 9112 2.2: one bare LF among CRLFs.
    v.push_back(reject("GET /echo HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400, "bare LF in head"));
    // RFC 9112 2.2: a bare CR as a line end.
    v.push_back(reject("GET /echo HTTP/1.1\rHost: h\r\n\r\n", 400, "RFC 9112 2.2: bare CR"));
    // RFC 9112 2.2: CR CR LF.
    v.push_back(reject("GET /echo HTTP/1.1\r\r\nHost: h\r\n\r\n", 400, "RFC 9112 2.2: CR CR LF"));
    // RFC 9112 2.2: the blank line that ends the head is CR LF, not CR CR.
    v.push_back(reject("GET /echo HTTP/1.1\r\nHost: h\r\n\r\r\n", 400, "RFC 9112 2.2: CR CR end"));
    // RFC 9112 2.2: a head that stops after its fields waits for the blank line.
    v.push_back(reject(get().substr(0, get().size() - 2), incomplete, "RFC 9112 2.2: no end"));
}

void content_length_cases(std::vector<verdict_case>& v) {
    // RFC 9112 6.2: the body is Content-Length bytes.
    v.push_back(accept(post("Content-Length: 5\r\n", "hello"), "POST", "/echo", "hello",
                       "RFC 9112 6.2: Content-Length"));
    // RFC 9112 6.3: Content-Length 0 is an empty body.
    v.push_back(accept(post("Content-Length: 0\r\n", ""), "POST", "/echo", "", "RFC 9112 6.3: 0"));
    // RFC 9112 6.3: a POST without framing has no body.
    v.push_back(accept(post("", ""), "POST", "/echo", "", "RFC 9112 6.3: no framing, no body"));
    // RFC 9110 8.6: 1*DIGIT; leading zeros are digits.
    v.push_back(
        accept(post("Content-Length: 005\r\n", "hello"), "POST", "/echo", "hello", "RFC 9110 8.6"));
    // RFC 9110 8.6: no sign.
    v.push_back(reject(post("Content-Length: +5\r\n", "hello"), 400, "RFC 9110 8.6: '+5'"));
    // RFC 9110 8.6: no negative length.
    v.push_back(reject(post("Content-Length: -5\r\n", "hello"), 400, "RFC 9110 8.6: '-5'"));
    // RFC 9110 8.6: decimal only.
    v.push_back(reject(post("Content-Length: 0x5\r\n", "hello"), 400, "RFC 9110 8.6: hex"));
    // RFC 9110 8.6: a space inside the number.
    v.push_back(reject(post("Content-Length: 5 5\r\n", "hello"), 400, "RFC 9110 8.6: '5 5'"));
    // RFC 9110 8.6: a list in one field (weft takes one number per field).
    v.push_back(reject(post("Content-Length: 5, 5\r\n", "hello"), 400, "RFC 9110 8.6: '5, 5'"));
    // RFC 9110 8.6: an empty value.
    v.push_back(reject(post("Content-Length:\r\n", ""), 400, "RFC 9110 8.6: empty"));
    // RFC 9110 8.6: a decimal point.
    v.push_back(reject(post("Content-Length: 5.0\r\n", "hello"), 400, "RFC 9110 8.6: '5.0'"));
    // RFC 9110 8.6: the same length twice may be taken as one.
    v.push_back(accept(post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), "POST", "/echo",
                       "hello", "RFC 9110 8.6: same length twice"));
    // RFC 9112 6.3: different lengths are unrecoverable framing.
    v.push_back(reject(post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"), 400,
                       "RFC 9112 6.3: CL.CL"));
    // RFC 9110 8.6: guard against overflow (20 digits).
    v.push_back(reject(post("Content-Length: 99999999999999999999\r\n", ""), 400,
                       "RFC 9110 8.6: overflow"));
    // RFC 9110 8.6: 2^64 wraps to 0 in a careless parser.
    v.push_back(
        reject(post("Content-Length: 18446744073709551616\r\n", ""), 400, "RFC 9110 8.6: 2^64"));
    // RFC 9110 15.5.14: 2^64 - 1 fits but is over the limit.
    v.push_back(reject(post("Content-Length: 18446744073709551615\r\n", ""), 413,
                       "RFC 9110 15.5.14: 2^64-1"));
    // RFC 9110 15.5.14: one byte over the limit.
    v.push_back(reject(post("Content-Length: 1001\r\n", ""), 413, "RFC 9110 15.5.14: limit"));
    // RFC 9110 5.5: OWS around the value.
    v.push_back(accept(post("Content-Length: \t5 \r\n", "hello"), "POST", "/echo", "hello",
                       "RFC 9110 5.5: OWS around Content-Length"));
    // RFC 9110 5.5: a vertical tab after the number.
    v.push_back(reject(post("Content-Length: 5\x0b\r\n", "hello"), 400, "VT after the length"));
    // RFC 9112 5.1: "Content-Length :" (a proxy that ignores it frames differently).
    v.push_back(
        reject(post("Content-Length : 5\r\n", "hello"), 400, "RFC 9112 5.1: 'Content-Length :'"));
    // RFC 9110 5.1: the name is case-insensitive.
    v.push_back(accept(post("content-LENGTH: 5\r\n", "hello"), "POST", "/echo", "hello",
                       "RFC 9110 5.1: case"));
    // RFC 9112 6.2: a body shorter than its length waits for the rest.
    v.push_back(reject(post("Content-Length: 10\r\n", "hello"), incomplete, "RFC 9112 6.2: short"));
}

void transfer_encoding_cases(std::vector<verdict_case>& v) {
    const std::string hello = "5\r\nhello\r\n0\r\n\r\n";
    // RFC 9112 7.1: chunked.
    v.push_back(accept(chunked(hello), "POST", "/echo", "hello", "RFC 9112 7.1: chunked"));
    // RFC 9110 10.1.4: codings are case-insensitive.
    v.push_back(accept(post("Transfer-Encoding: Chunked\r\n", hello), "POST", "/echo", "hello",
                       "RFC 9112 7: 'Chunked'"));
    // RFC 9110 5.5: OWS around the value (also HTAB).
    v.push_back(accept(post("Transfer-Encoding:\t chunked \r\n", hello), "POST", "/echo", "hello",
                       "RFC 9110 5.5: OWS"));
    // RFC 9110 5.6.1: empty list elements are ignored.
    v.push_back(accept(post("Transfer-Encoding: , chunked,\r\n", hello), "POST", "/echo", "hello",
                       "RFC 9110 5.6.1: empty elements"));
    // RFC 9112 6.1: chunked applied twice.
    v.push_back(reject(post("Transfer-Encoding: chunked, chunked\r\n", hello), 400,
                       "RFC 9112 6.1: chunked twice"));
    // RFC 9112 6.1: chunked twice over two fields (TE.TE).
    v.push_back(reject(post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", hello),
                       400, "RFC 9112 6.1: two chunked fields"));
    // RFC 9112 6.1: a coding weft does not decode before chunked is 501.
    v.push_back(reject(post("Transfer-Encoding: gzip, chunked\r\n", hello), 501,
                       "RFC 9112 6.1: gzip, chunked"));
    // RFC 9112 6.1: ... also over two fields.
    v.push_back(reject(post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", hello),
                       501, "RFC 9112 6.1: gzip then chunked fields"));
    // RFC 9112 6.3: chunked not last: the length cannot be determined.
    v.push_back(reject(post("Transfer-Encoding: chunked, gzip\r\n", hello), 400,
                       "RFC 9112 6.3: chunked, gzip"));
    // RFC 9112 6.3: no chunked at all in a request.
    v.push_back(reject(post("Transfer-Encoding: gzip\r\n", hello), 400, "RFC 9112 6.3: gzip"));
    // RFC 9112 6.3: identity (removed from the registry) is no final chunked.
    v.push_back(
        reject(post("Transfer-Encoding: identity\r\n", hello), 400, "RFC 9112 6.3: identity"));
    // TE.TE obfuscation: a second field with a junk coding.
    v.push_back(reject(post("Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n", hello), 400,
                       "TE.TE: chunked then x"));
    // TE.TE obfuscation: a control byte after chunked.
    v.push_back(reject(post("Transfer-Encoding: chunked\x0b\r\n", hello), 400, "TE.TE: VT"));
    // TE.TE obfuscation: a prefix.
    v.push_back(reject(post("Transfer-Encoding: xchunked\r\n", hello), 400, "TE.TE: xchunked"));
    // TE.TE obfuscation: quotes.
    v.push_back(reject(post("Transfer-Encoding: \"chunked\"\r\n", hello), 400, "TE.TE: quotes"));
    // RFC 9112 7: chunked has no parameters.
    v.push_back(reject(post("Transfer-Encoding: chunked;q=1\r\n", hello), 400, "RFC 9112 7: ';'"));
    // RFC 9112 6.3: an empty Transfer-Encoding.
    v.push_back(reject(post("Transfer-Encoding:\r\n", hello), 400, "RFC 9112 6.3: empty"));
    // TE.TE obfuscation: obs-fold before chunked.
    v.push_back(reject(post("Transfer-Encoding:\r\n chunked\r\n", hello), 400, "TE.TE: fold"));
    // RFC 9112 5.1: "Transfer-Encoding :".
    v.push_back(reject(post("Transfer-Encoding : chunked\r\n", hello), 400, "RFC 9112 5.1: SP"));
    // RFC 9112 6.1: TE in HTTP/1.0 is faulty framing.
    v.push_back(reject(head("POST /echo HTTP/1.0", "Transfer-Encoding: chunked\r\n") + hello, 400,
                       "RFC 9112 6.1: TE in HTTP/1.0"));
    // CL.TE: the front end uses Content-Length, weft would use chunked; weft rejects both.
    v.push_back(
        reject(post("Content-Length: 13\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nSMUGGLED"),
               400, "RFC 9112 6.3: CL.TE"));
    // TE.CL: the same, fields the other way round.
    v.push_back(reject(
        post("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "8\r\nSMUGGLED\r\n0\r\n\r\n"),
        400, "RFC 9112 6.3: TE.CL"));
    // RFC 9112 6.3: Content-Length 0 with chunked.
    v.push_back(reject(post("Transfer-Encoding: chunked\r\nContent-Length: 0\r\n", hello), 400,
                       "RFC 9112 6.3: TE with CL 0"));
    // A look-alike name is just another field: no body (Transfer_Encoding is a valid token).
    v.push_back(accept(post("Transfer_Encoding: chunked\r\n", ""), "POST", "/echo", "",
                       "RFC 9110 5.1: Transfer_Encoding is another field"));
}

void chunk_cases(std::vector<verdict_case>& v) {
    // RFC 9112 7.1: several chunks.
    v.push_back(accept(chunked("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), "POST", "/echo", "abcde",
                       "RFC 9112 7.1: chunks"));
    // RFC 9112 7.1: chunk-size is HEXDIG, either case.
    v.push_back(accept(chunked("A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n"), "POST", "/echo",
                       "01234567890123456789", "RFC 9112 7.1: hex case"));
    // RFC 9112 7.1: leading zeros.
    v.push_back(
        accept(chunked("005\r\nhello\r\n000\r\n\r\n"), "POST", "/echo", "hello", "RFC 9112 7.1"));
    // RFC 9112 7.1: an empty chunked body.
    v.push_back(accept(chunked("0\r\n\r\n"), "POST", "/echo", "", "RFC 9112 7.1: empty body"));
    // RFC 9112 7.1.1: an extension with a token value.
    v.push_back(accept(chunked("5;a=b\r\nhello\r\n0\r\n\r\n"), "POST", "/echo", "hello",
                       "RFC 9112 7.1.1: ext token"));
    // RFC 9112 7.1.1: a quoted value holding ';', '=' and an escaped quote.
    v.push_back(accept(chunked("5;a=\"x;y=\\\"z\"\r\nhello\r\n0\r\n\r\n"), "POST", "/echo", "hello",
                       "RFC 9112 7.1.1: ext quoted-string"));
    // RFC 9112 7.1.1: BWS around ';' and '='.
    v.push_back(accept(chunked("5 ; a = b ;c\r\nhello\r\n0\r\n\r\n"), "POST", "/echo", "hello",
                       "RFC 9112 7.1.1: BWS"));
    // RFC 9112 7.1.1: a name without a value, on the last chunk too.
    v.push_back(accept(chunked("5;a\r\nhello\r\n0;end\r\n\r\n"), "POST", "/echo", "hello",
                       "RFC 9112 7.1.1: ext name only"));
    // RFC 9112 7.1.1: whitespace after the size that no ';' follows.
    v.push_back(reject(chunked("5 \r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1.1: '5 '"));
    // RFC 9112 7.1: whitespace before the size.
    v.push_back(reject(chunked(" 5\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1: ' 5'"));
    // RFC 9112 7.1.1: an empty extension name.
    v.push_back(reject(chunked("5;\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1.1: '5;'"));
    // RFC 9112 7.1.1: '=' without a value.
    v.push_back(reject(chunked("5;a=\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1.1: 'a='"));
    // RFC 9112 7.1.1: junk after the size (a parser that skips to CRLF sees another size).
    v.push_back(reject(chunked("5 x\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1.1: '5 x'"));
    // RFC 9112 7.1.1: a quoted-string not closed before the CR.
    v.push_back(reject(chunked("5;a=\"x\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1.1: open '\"'"));
    // Chunk-extension line terminators: a bare LF inside an extension.
    v.push_back(reject(chunked("5;a\nb\r\nhello\r\n0\r\n\r\n"), 400, "funky chunks: LF in ext"));
    // Chunk line terminators: a bare LF after the size.
    v.push_back(reject(chunked("5\nhello\r\n0\r\n\r\n"), 400, "funky chunks: LF after size"));
    // Chunk line terminators: a bare CR after the size.
    v.push_back(reject(chunked("5\rhello\r\n0\r\n\r\n"), 400, "funky chunks: CR after size"));
    // Chunk line terminators: chunk data ended by LF alone.
    v.push_back(reject(chunked("5\r\nhello\n0\r\n\r\n"), 400, "funky chunks: LF after data"));
    // RFC 9112 7.1: data longer than its size.
    v.push_back(reject(chunked("5\r\nhelloXX\r\n0\r\n\r\n"), 400, "RFC 9112 7.1: long data"));
    // RFC 9112 7.1: data shorter than its size.
    v.push_back(reject(chunked("5\r\nhell\r\n0\r\n\r\n"), 400, "RFC 9112 7.1: short data"));
    // RFC 9112 7.1: no hex prefix.
    v.push_back(reject(chunked("0x5\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1: '0x5'"));
    // RFC 9112 7.1: no sign.
    v.push_back(reject(chunked("-5\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1: '-5'"));
    // RFC 9112 7.1: a size that overflows 64 bits (17 digits) wraps in a careless parser.
    v.push_back(reject(chunked("10000000000000005\r\nhello\r\n0\r\n\r\n"), 400,
                       "RFC 9112 7.1: 17 hex digits"));
    // RFC 9110 15.5.14: the largest 64-bit size is over the limit.
    v.push_back(reject(chunked("ffffffffffffffff\r\nhello\r\n0\r\n\r\n"), 413, "size 2^64-1"));
    // RFC 9110 15.5.14: chunks that add up to more than the limit.
    v.push_back(reject(chunked("3e8\r\n" + std::string(1000, 'x') + "\r\n1\r\nx\r\n0\r\n\r\n"), 413,
                       "RFC 9110 15.5.14: sum over the limit"));
    // RFC 9112 7.1: not a hex digit.
    v.push_back(reject(chunked("zz\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1: 'zz'"));
    // RFC 9112 7.1: an empty size line.
    v.push_back(reject(chunked("\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 7.1: no size"));
    // weft: an extension over max_chunk_extension bytes.
    v.push_back(reject(chunked("5;a=" + std::string(1100, 'x') + "\r\nhello\r\n0\r\n\r\n"), 400,
                       "weft: chunk extension too long"));
    // RFC 9112 7.1.2: trailer fields.
    v.push_back(accept(chunked("5\r\nhello\r\n0\r\nX-T: 1\r\nY:\r\n\r\n"), "POST", "/echo", "hello",
                       "RFC 9112 7.1.2: trailers"));
    // RFC 9112 7.1.2: a trailer line without a colon.
    v.push_back(reject(chunked("5\r\nhello\r\n0\r\nX-T 1\r\n\r\n"), 400, "RFC 9112 7.1.2: ':'"));
    // RFC 9112 5.2: obs-fold in the trailers.
    v.push_back(reject(chunked("5\r\nhello\r\n0\r\nX: 1\r\n 2\r\n\r\n"), 400, "RFC 9112 5.2"));
    // RFC 9112 5.1: whitespace before a trailer's colon.
    v.push_back(reject(chunked("5\r\nhello\r\n0\r\nX : 1\r\n\r\n"), 400, "RFC 9112 5.1: 'X :'"));
    // RFC 9110 5.5: NUL in a trailer value.
    v.push_back(reject(chunked("5\r\nhello\r\n0\r\nX: a\0b\r\n\r\n"s), 400, "NUL in a trailer"));
    // RFC 9112 7.1: the body ends with an empty line, not CR CR.
    v.push_back(reject(chunked("5\r\nhello\r\n0\r\n\r\r"), 400, "RFC 9112 7.1: CR CR"));
    // RFC 9112 7.1: a last chunk without the final CRLF waits for it.
    v.push_back(reject(chunked("5\r\nhello\r\n0\r\n"), incomplete, "RFC 9112 7.1: no final CRLF"));
    // RFC 9112 7.1: a body that stops inside a chunk waits for the rest.
    v.push_back(reject(chunked("5\r\nhel"), incomplete, "RFC 9112 7.1: mid-chunk"));
}

void limit_cases(std::vector<verdict_case>& v) {
    const corpus_limits lim;
    // RFC 9112 3 / RFC 9110 15.5.15: a request line over the limit is 414.
    v.push_back(
        reject(head("GET /" + std::string(lim.max_request_line, 'a') + " HTTP/1.1", "Host: h\r\n"),
               414, "RFC 9110 15.5.15: long request line"));
    // RFC 6585 5: a head over the limit is 431.
    v.push_back(reject(get("X: " + std::string(lim.max_header_bytes, 'v') + "\r\n"), 431,
                       "RFC 6585 5: head too large"));
    // RFC 6585 5: more fields than the limit is 431.
    std::string many;
    for (std::size_t i = 0; i < lim.max_headers; ++i) {
        many += "X" + std::to_string(i) + ": v\r\n";
    }
    v.push_back(reject(get(many), 431, "RFC 6585 5: too many fields"));
    // RFC 6585 5: exactly the limit is fine (Host and max_headers - 1 more).
    std::string enough;
    for (std::size_t i = 0; i + 1 < lim.max_headers; ++i) {
        enough += "X" + std::to_string(i) + ": v\r\n";
    }
    v.push_back(accept(get(enough), "GET", "/echo", "", "RFC 6585 5: as many fields as allowed"));
    // RFC 9110 10.1.1: an expectation weft does not know is 417.
    v.push_back(reject(get("Expect: magic\r\n"), 417, "RFC 9110 10.1.1: unknown expectation"));
    // RFC 9110 10.1.1: 100-continue (the body was sent anyway; not end to end: a 100 may come).
    v.push_back(parser_only(accept(post("Expect: 100-continue\r\nContent-Length: 5\r\n", "hello"),
                                   "POST", "/echo", "hello", "RFC 9110 10.1.1: 100-continue")));
}

void connection_cases(std::vector<verdict_case>& v) {
    // RFC 9112 3.2: HTTP/1.0 needs no Host; RFC 9112 9.3: it closes unless asked.
    v.push_back(with_keep_alive(
        accept("GET /echo HTTP/1.0\r\n\r\n", "GET", "/echo", "", "RFC 9112 9.3: HTTP/1.0 closes"),
        false));
    // RFC 9112 9.3: HTTP/1.0 keep-alive when asked.
    v.push_back(with_keep_alive(accept(head("GET /echo HTTP/1.0", "Connection: Keep-Alive\r\n"),
                                       "GET", "/echo", "", "RFC 9112 9.3: 1.0 keep-alive"),
                                true));
    // RFC 9112 9.3: an absolute target in HTTP/1.0 names the host.
    v.push_back(with_authority(accept("GET http://h/echo HTTP/1.0\r\n\r\n", "GET", "http://h/echo",
                                      "", "RFC 9112 3.2.2: 1.0 absolute-form"),
                               "h"));
    // RFC 9112 9.3: HTTP/1.1 persists unless close.
    v.push_back(with_keep_alive(
        accept(get("Connection: close\r\n"), "GET", "/echo", "", "RFC 9112 9.6: close"), false));
    // RFC 9112 9.6: close wins over keep-alive in the same list.
    v.push_back(with_keep_alive(accept(get("Connection: keep-alive, CLOSE\r\n"), "GET", "/echo", "",
                                       "RFC 9112 9.6: close in a list"),
                                false));
    // RFC 9112 9.3: HTTP/1.1 persists by default.
    v.push_back(with_keep_alive(accept(get(), "GET", "/echo", "", "RFC 9112 9.3: 1.1"), true));
    // RFC 9112 9.3.2: a body then the next request on the same connection.
    v.push_back(accept(post("Content-Length: 5\r\n", "hello"), "POST", "/echo", "hello",
                       "RFC 9112 9.3.2: body, then pipelined request"));
    // A PUT with a chunked body and a DELETE without one.
    v.push_back(accept(head("PUT /echo HTTP/1.1", "Host: h\r\nTransfer-Encoding: chunked\r\n") +
                           "2\r\nok\r\n0\r\n\r\n",
                       "PUT", "/echo", "ok", "RFC 9112 7.1: PUT chunked"));
    v.push_back(accept(head("DELETE /echo HTTP/1.1", "Host: h\r\n"), "DELETE", "/echo", "",
                       "RFC 9110 9.3.5: DELETE"));
    // A GET with a body (RFC 9110 9.3.1: no defined semantics, but framed like any other).
    v.push_back(accept(head("GET /echo HTTP/1.1", "Host: h\r\nContent-Length: 2\r\n") + "hi", "GET",
                       "/echo", "hi", "RFC 9110 9.3.1: GET with a body"));
}

// NUL bytes: never part of a head, opaque in a body.
void nul_cases(std::vector<verdict_case>& v) {
    // RFC 9112 2.2: a NUL before the method.
    v.push_back(reject("\0"s + get(), 400, "NUL before the request line"));
    // RFC 9112 2.3: a NUL after the version.
    v.push_back(reject(head("GET /echo HTTP/1.1\0"s, "Host: h\r\n"), 400, "NUL after the version"));
    // RFC 9110 5.5: a NUL as a whole value.
    v.push_back(reject(get("X: \0\r\n"s), 400, "NUL value"));
    // RFC 9112 7.1: a NUL after the chunk size (C-string parsers stop there).
    v.push_back(reject(chunked("5\0\r\nhello\r\n0\r\n\r\n"s), 400, "NUL after the chunk size"));
    // RFC 9112 7.1.1: a NUL in a chunk extension.
    v.push_back(reject(chunked("5;a=\0\r\nhello\r\n0\r\n\r\n"s), 400, "NUL in an extension"));
    // RFC 9112 6: body bytes are opaque: NUL in a Content-Length body.
    v.push_back(accept(post("Content-Length: 3\r\n", "a\0b"s), "POST", "/echo", "a\0b"s,
                       "RFC 9112 6: NUL in a body"));
    // RFC 9112 7.1: ... and in chunk data.
    v.push_back(accept(chunked("3\r\na\0b\r\n0\r\n\r\n"s), "POST", "/echo", "a\0b"s,
                       "RFC 9112 7.1: NUL in chunk data"));
}

// Cases in the spirit of llhttp's request tests (nodejs/llhttp, test/request/*.md), re-expressed
// with weft's verdicts: where llhttp has a lenient mode, weft is always strict.
void llhttp_style_cases(std::vector<verdict_case>& v) {
    // Another protocol name in the version.
    v.push_back(reject(head("GET /echo ICE/1.0", "Host: h\r\n"), 400, "llhttp: ICE/1.0"));
    // A protocol name that only ends in HTTP.
    v.push_back(reject(head("GET /echo IHTTP/1.0", "Host: h\r\n"), 400, "llhttp: IHTTP/1.0"));
    // RTSP is not HTTP.
    v.push_back(reject(head("PUT /echo RTSP/1.0", "Host: h\r\n"), 400, "llhttp: RTSP/1.0"));
    // An unknown major version.
    v.push_back(reject(head("GET /echo HTTP/5.6", "Host: h\r\n"), 505, "llhttp: HTTP/5.6"));
    // The HTTP/2 connection preface sent to an HTTP/1 server.
    v.push_back(reject("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "llhttp: HTTP/2 preface"));
    // Two fields separated by CR alone.
    v.push_back(reject(get("Foo: 1\rBar: 2\r\n"), 400, "llhttp: fields split by CR"));
    // A Transfer-Encoding hidden behind a bare LF in another field's value.
    v.push_back(reject(post("x:x\nTransfer-Encoding: chunked\r\n", "1\r\nA\r\n0\r\n\r\n"), 400,
                       "llhttp: fields split by LF"));
    // A request hidden behind "\rZ" where the blank line should be.
    v.push_back(reject("GET /echo HTTP/1.1\r\nHost: h\r\n\rZGET /evil: HTTP/1.1\r\nHost: h\r\n\r\n",
                       400, "llhttp: CR then junk instead of the empty line"));
    // An empty value ended by CR alone, then Transfer-Encoding.
    v.push_back(reject(post("x:\rTransfer-Encoding: chunked\r\n", "1\r\nA\r\n0\r\n\r\n"), 400,
                       "llhttp: empty value and CR"));
    // Control bytes in a field name.
    v.push_back(reject(get("Foo\x01\\test: Bar\r\n"), 400, "llhttp: CTL in name"));
    // A name folded onto the next line before its colon.
    v.push_back(reject(get("name\r\n : value\r\n"), 400, "llhttp: folded name"));
    // A corrupted Connection line: CR, ESC and a high byte inside the name.
    v.push_back(reject(get("Connection\r\x1b\x35\xd5"
                           "eep-Alive\r\nAccept-Encoding: gzip\r\n"),
                       400, "llhttp: corrupted Connection"));
    // A Content-Length behind a bare LF, covering a request that would be smuggled.
    v.push_back(reject(get("Dummy: x\nContent-Length: 23\r\n") +
                           "GET / HTTP/1.1\r\nDummy: GET /admin HTTP/1.1\r\nHost: h\r\n\r\n",
                       400, "llhttp: CL behind a bare LF"));
    // A Content-Length indented like a continuation line, covering a second request.
    v.push_back(reject(post("Foo: bar\r\n Content-Length: 38\r\n", "") +
                           "GET /bye HTTP/1.1\r\nHost: h\r\n\r\n",
                       400, "llhttp: SP before a field"));
    // Tabs around the Content-Length value are OWS.
    v.push_back(accept(post("Content-Length:\t2\t  \r\n", "ab"), "POST", "/echo", "ab",
                       "llhttp: tabs around Content-Length"));
    // Digits split by a space.
    v.push_back(reject(post("Content-Length: 13 37\r\n", ""), 400, "llhttp: '13 37'"));
    // Words after the chunk size without a ';'.
    v.push_back(reject(chunked("2 erfrferferf\r\naa\r\n0 rrrr\r\n\r\n"), 400,
                       "llhttp: junk after the chunk size"));
    // Quoted extension values with escapes, several extensions per chunk.
    v.push_back(accept(chunked("5;ilovew3=\"I \\\"love\\\"; \\\\extensions\\\\\";somuchlove=\"are"
                               "theseparametersfor\";blah;foo=bar\r\nhello\r\n6;blahblah;blah\r\n"
                               " world\r\n0\r\n\r\n"),
                       "POST", "/echo", "hello world", "llhttp: extension quoting"));
    // A quoted extension value that never closes.
    v.push_back(reject(chunked("5;ilovew3=\"abc\";somuchlove=\"def; ghi\r\nhello\r\n"
                               "6;blahblah;blah\r\n world\r\n0\r\n\r\n"),
                       400, "llhttp: unbalanced quoting"));
    // A chunk size line ended by CR CR.
    v.push_back(reject(chunked("5\r\r;ABCD\r\n34\r\nE\r\n0\r\n\r\n"), 400, "llhttp: CR CR"));
    // Chunk data not followed by CRLF.
    v.push_back(reject(chunked("5\r\nABCDE0\r\n\r\n"), 400, "llhttp: data without CRLF"));
    // CONNECT in capitals with an HTTP/1.0 version: weft is no proxy.
    v.push_back(
        reject(head("CONNECT HOME0.NETSCAPE.COM:443 HTTP/1.0",
                    "User-agent: Mozilla/1.1N\r\nProxy-authorization: basic aGVsbG86d29y\r\n"),
               501, "llhttp: CONNECT"));
    // Connection options split by a bare CR.
    v.push_back(reject(get("Connection: keep\ralive\r\n"), 400, "llhttp: CR inside Connection"));
    // Connection options folded over lines.
    v.push_back(
        reject(get("Connection: keep-alive,\r\n upgrade\r\n"), 400, "llhttp: folded Connection"));
    // Whitespace before the colon of Connection.
    v.push_back(reject(get("Connection : upgrade\r\n"), 400, "llhttp: 'Connection :'"));
    // Trailing whitespace after close is OWS: the connection closes.
    v.push_back(with_keep_alive(accept(get("Connection: close \t\r\n"), "GET", "/echo", "",
                                       "llhttp: close followed by whitespace"),
                                false));
    // An Upgrade request: weft does not switch protocols, it answers the GET.
    v.push_back(accept(get("Connection: Upgrade\r\nUpgrade: WebSocket\r\n"), "GET", "/echo", "",
                       "llhttp: Upgrade is not honoured"));
    // Empty lines between pipelined requests are skipped.
    v.push_back(accept("\r\n" + get(), "GET", "/echo", "", "llhttp: CRLF between requests"));
}

} // namespace

std::vector<verdict_case> conformance_cases() {
    std::vector<verdict_case> v;
    request_line_cases(v);
    version_cases(v);
    target_cases(v);
    host_cases(v);
    field_cases(v);
    content_length_cases(v);
    transfer_encoding_cases(v);
    chunk_cases(v);
    limit_cases(v);
    connection_cases(v);
    nul_cases(v);
    llhttp_style_cases(v);
    return v;
}

} // namespace weft::testing::http
