"""A web server in Python that passes the checker's stages 1 to 3.

It is step 3 of lsbaws-go written in Python 3, to show that the checker
grades a server in any language:

    python3 docs/examples/server.py 8888
    go run ./checker -stage 3 -- python3 docs/examples/server.py 8888

Compared with the article's first server, it answers with valid
HTTP/1.1 (a status line, header fields, CRLF line ends, an empty line)
and it survives a client that resets the connection.
"""
import socket
import sys

HOST = "127.0.0.1"
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8888
REQUEST_QUEUE_SIZE = 1
BODY = b"Hello, World!"


def main():
    listen_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listen_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listen_socket.bind((HOST, PORT))
    listen_socket.listen(REQUEST_QUEUE_SIZE)
    print(f"Serving HTTP on {HOST}:{PORT} ...", flush=True)
    while True:
        client_connection, client_address = listen_socket.accept()
        with client_connection:
            try:
                request = client_connection.recv(1024)
                if not request:
                    continue
                # flush: the output may be a pipe, not a terminal
                print(request.decode("latin-1"), flush=True)
                client_connection.sendall(
                    b"HTTP/1.1 200 OK\r\n"
                    b"Content-Type: text/plain; charset=utf-8\r\n"
                    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n"
                    b"Connection: close\r\n"
                    b"\r\n" + BODY
                )
            except OSError as error:  # a reset, a broken pipe: serve the next
                print(f"error: {error}", flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("Shutting down.")
