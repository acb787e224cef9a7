"""Mixed loopback traffic for the benchmark corpus (see compare.sh): HTTP over
TCP, UDP datagrams and ICMP echoes (a raw socket, one request at a time, as
`ping -f` does). Run inside a network namespace of its own, with CAP_NET_RAW
there; every loop is bounded in count and every socket has a timeout.
Usage: traffic.py HTTP_EXCHANGES UDP_DATAGRAMS ECHOES"""
import socket
import sys
import threading

socket.setdefaulttimeout(2)
http_n, udp_n, echo_n = (int(a) for a in sys.argv[1:4])

REQUEST = b"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: rawlab-bench\r\nAccept: */*\r\n\r\n"
BODY = b"<html><body>" + b"rawlab " * 60 + b"</body></html>\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(BODY) + BODY


def serve(srv):
    for _ in range(http_n):
        conn, _ = srv.accept()
        conn.recv(4096)
        conn.sendall(RESPONSE)
        conn.close()


srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 8080))
srv.listen(64)
server = threading.Thread(target=serve, args=(srv,))
server.start()
for _ in range(http_n):
    cli = socket.create_connection(("127.0.0.1", 8080))
    cli.sendall(REQUEST)
    while cli.recv(4096):
        pass
    cli.close()
server.join(timeout=10)
srv.close()

rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", 9999))
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(udp_n):
    tx.sendto(b"rawlab datagram %d" % i, ("127.0.0.1", 9999))
    rx.recvfrom(100)


def checksum(b):
    s = sum(int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident = 0x7261
payload = bytes(range(56))
for seq in range(echo_n):
    head = bytes([8, 0, 0, 0]) + ident.to_bytes(2, "big") + (seq & 0xFFFF).to_bytes(2, "big")
    msg = bytearray(head + payload)
    msg[2:4] = checksum(msg).to_bytes(2, "big")
    icmp.sendto(msg, ("127.0.0.1", 0))
    # The raw socket sees the request too; read until the reply.
    for _ in range(4):
        data = icmp.recv(256)
        if data[20] == 0:
            break
