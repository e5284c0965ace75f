# SPDX-License-Identifier: MIT
"""A stand-in for the Docker Engine API on a unix socket, for the tests:
GET /containers/json answers the list in the file given, as dockerd does
(HTTP/1.0 asked: the body is sent whole and the connection closed).
Usage: docker_api.py SOCKET JSON_FILE [DELAY_SECONDS]"""
import http.server
import os
import socketserver
import sys
import time

sock, listing = sys.argv[1], sys.argv[2]
delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0


class Handler(http.server.BaseHTTPRequestHandler):
    def address_string(self):
        return "unix"

    def do_GET(self):
        time.sleep(delay)
        if self.path.split("?")[0] != "/containers/json":
            self.send_error(404)
            return
        body = open(listing, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Api-Version", "1.50")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("docker-api: " + fmt % args + "\n")


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(sock):
    os.unlink(sock)
with Server(sock, Handler) as server:
    os.chmod(sock, 0o660)
    server.serve_forever()
