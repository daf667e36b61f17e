# shellcheck shell=bash
# Configuration writers for the proxies that scripts/bench-gateway compares. Each function writes one
# config file for a proxy listening on 127.0.0.1:LISTEN and relaying to the echo server on 127.0.0.1:UPSTREAM,
# tuned alike: one worker/thread, WebSocket upgrade passed through, tunnel timeouts of an hour, no logs.
#
#     source scripts/bench/proxies.sh
#     write_haproxy_config FILE LISTEN UPSTREAM
#     write_nginx_config   DIR  LISTEN UPSTREAM      # writes DIR/nginx.conf, uses DIR for temp files and pid
#     write_tether_config  FILE LISTEN UPSTREAM ADMIN

# HAProxy 2.x, mode http (it parses the upgrade, then tunnels), one thread, 9000 connections (two fds each
# fit the 20,000 fd limit).
write_haproxy_config() {
    local file="$1" listen="$2" upstream="$3"
    cat >"$file" <<CFG
global
    nbthread 1
    maxconn 9500

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout http-request 10s
    maxconn 9500

frontend bench
    bind 127.0.0.1:$listen
    default_backend echo

backend echo
    server echo 127.0.0.1:$upstream maxconn 9500
CFG
}

# nginx, one worker process, proxy_http_version 1.1 with the Upgrade/Connection headers mapped as the nginx
# WebSocket guide shows, buffering off, access log off.
write_nginx_config() {
    local dir="$1" listen="$2" upstream="$3"
    mkdir -p "$dir/tmp"
    cat >"$dir/nginx.conf" <<CFG
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/error.log warn;

events {
    worker_connections 19000;
}

http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;

    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ''      close;
    }

    upstream echo {
        server 127.0.0.1:$upstream;
    }

    server {
        listen 127.0.0.1:$listen;
        location / {
            proxy_pass http://echo;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$host;
            proxy_buffering off;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }
    }
}
CFG
}

# tether gateway: one listener, one cluster with the echo endpoint (round robin), admin on loopback.
write_tether_config() {
    local file="$1" listen="$2" upstream="$3" admin="$4"
    cat >"$file" <<CFG
admin:
  listen: "127.0.0.1:$admin"
listeners:
  - name: bench
    listen: "127.0.0.1:$listen"
    routes:
      - path_prefix: /
        cluster: echo
clusters:
  - name: echo
    endpoints:
      - "127.0.0.1:$upstream"
CFG
}
