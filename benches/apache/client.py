#!/usr/bin/env python3
"""The HTTP client of benches/apache_instructions.sh.

  client.py PORT PATH COUNT [--cookie VALUE] [--source ADDR] [--expect STATUS]
            [--keepalive]

Sends COUNT requests `GET PATH` to 127.0.0.1:PORT, with the headers curl
sends (Host, User-Agent, Accept) and, with --cookie, a Cookie header. Each
request goes over a fresh connection, as `curl` in a loop does: connect,
send, read the whole response (Content-Length), close; Apache sees the
client close the kept-alive connection. With --keepalive every request goes
over one connection instead. --source binds the client's side to another
loopback address (e.g. 127.0.0.2, which the policies do not list).

Every answer must have status STATUS (default 200), and a 200 must carry the
2048-byte photo; otherwise the client stops with an error. It prints nothing
when all went well.
"""

import socket
import sys


def read_response(sock, buffered):
    """(status, body) of one response; `buffered` is bytes already read."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("client.py: connection closed before the response headers")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        raise SystemExit("client.py: response without Content-Length: %r" % head[:200])
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("client.py: connection closed inside the body")
        rest += chunk
    return status, rest[:length], rest[length:]


def main(argv):
    args = list(argv)
    opts = {"--cookie": None, "--source": None, "--expect": "200"}
    keepalive = False
    positional = []
    while args:
        a = args.pop(0)
        if a in opts:
            opts[a] = args.pop(0)
        elif a == "--keepalive":
            keepalive = True
        else:
            positional.append(a)
    if len(positional) != 3:
        raise SystemExit(__doc__)
    port, path, count = int(positional[0]), positional[1], int(positional[2])
    expect = int(opts["--expect"])
    request = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n" % (path, port))
    if opts["--cookie"] is not None:
        request += "Cookie: %s\r\n" % opts["--cookie"]
    request = (request + "\r\n").encode()

    def connect():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if opts["--source"]:
            sock.bind((opts["--source"], 0))
        sock.connect(("127.0.0.1", port))
        return sock

    sock = connect() if keepalive else None
    rest = b""
    for i in range(count):
        if not keepalive:
            sock, rest = connect(), b""
        sock.sendall(request)
        status, body, rest = read_response(sock, rest)
        if status != expect or (status == 200 and len(body) != 2048):
            raise SystemExit("client.py: request %d: status %d with %d bytes, want %d%s"
                             % (i + 1, status, len(body), expect, " and 2048 bytes" if expect == 200 else ""))
        if not keepalive:
            sock.close()
    if keepalive and sock is not None:
        sock.close()


if __name__ == "__main__":
    main(sys.argv[1:])
