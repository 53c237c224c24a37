# Sourced by run.sh and profile.sh after they set $build: the client programs under test, checked
# to be built, and what weft::http::client asks of libcurl by default beyond a bare GET (the
# raw libcurl client's feature list, see curl_client.cpp).
weft_bin="$build/bench/http_client/weft-bench-http-client"
asio_bin="$build/bench/http_client/weft-bench-http-client-asio"
curl_bin="$build/bench/http_client/weft-bench-http-client-curl"
weft_features=headers,gzip,follow,limits,info,curlu
for b in "$weft_bin" "$asio_bin" "$curl_bin"; do
  [ -x "$b" ] || { echo "missing $b: ninja -C $build bench/http_client/$(basename "$b")" >&2; exit 2; }
done
