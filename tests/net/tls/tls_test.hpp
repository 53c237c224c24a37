#pragma once

// Helpers of the TLS tests: certificates made once per test program with the `openssl` command
// in a temporary directory (a CA; server certificates for localhost and 127.0.0.1 with serials
// 4097 and 8194; a client certificate; a server certificate that expired in 2020, made with
// `openssl ca -startdate/-enddate` since `openssl x509 -days` cannot go negative), and the
// options that use them.

#include <weft/net/tls.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace weft::net::testing {

struct test_certs {
    std::string dir;
    std::string ca;
    [[nodiscard]] std::string pem(const char* name) const { return dir + "/" + name + ".pem"; }
    [[nodiscard]] std::string key(const char* name) const { return dir + "/" + name + ".key"; }

    test_certs() {
        char tmpl[] = "/tmp/weft-tls-test-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        dir = tmpl;
        ca = dir + "/ca.pem";
        std::ofstream(dir + "/gen.sh") << R"(set -e
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1"; }
key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days 30 -subj /CN=weft-test-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
printf 'extendedKeyUsage=clientAuth\n' > client.ext
leaf() {
  key "$1.key"; openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$2"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -set_serial "$3" -days 30 \
    -out "$1.pem" -extfile "$4"
}
leaf server localhost 4097 server.ext
leaf server2 localhost-2 8194 server.ext
leaf client weft-client 12291 client.ext
key expired.key
openssl req -new -key expired.key -out expired.csr -subj /CN=localhost
printf '[ca]\ndefault_ca=t\n[t]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n' > ca.cnf
printf 'default_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n' >> ca.cnf
: > index.txt
echo 1001 > serial
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200201000000Z -extfile server.ext -notext
)";
        const std::string cmd = "cd " + dir + " && sh gen.sh >gen.log 2>&1";
        if (std::system(cmd.c_str()) != 0) {
            throw std::runtime_error("making the test certificates failed: see " + dir +
                                     "/gen.log");
        }
    }
    ~test_certs() { (void)std::system(("rm -rf " + dir).c_str()); }
    test_certs(const test_certs&) = delete;
    test_certs& operator=(const test_certs&) = delete;
};

/// The program's certificates (made at the first call).
inline const test_certs& certs() {
    static const test_certs c;
    return c;
}

/// A server's options with the certificate `name` ("server", "server2", "expired").
inline tls_options server_tls(const char* name = "server") {
    tls_options o;
    o.certificate_chain_file = certs().pem(name);
    o.private_key_file = certs().key(name);
    return o;
}

/// A client's options trusting the test CA.
inline tls_options client_tls() {
    tls_options o;
    o.ca_file = certs().ca;
    return o;
}

} // namespace weft::net::testing
