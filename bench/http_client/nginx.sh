# Sourced by run.sh and profile.sh: starts nginx on 127.0.0.1 (generated config in a temp dir:
# `worker_processes auto`, access log off, a 1 KiB static page) and stops it on exit. Sets $dir,
# $port, $url and $python.
python=/usr/bin/python3
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "nginx not found" >&2; exit 2; }

dir=$(mktemp -d /tmp/weft-http-client-bench.XXXXXX)
port=$($python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
chmod 755 "$dir"
mkdir -p "$dir/html" "$dir/tmp"
head -c 1024 /dev/zero | tr '\0' 'x' > "$dir/html/page.html"  # a 1 KiB page
cat > "$dir/nginx.conf" <<CONF
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body; proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi; uwsgi_temp_path $dir/tmp/uwsgi; scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; root $dir/html; }
}
CONF
"$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;' &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
for _ in $(seq 100); do
  $python -c "import socket; socket.create_connection(('127.0.0.1',$port)).close()" 2>/dev/null && break
  sleep 0.05
done
url="http://127.0.0.1:$port/page.html"
