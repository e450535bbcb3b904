"""Sockets under moat (tests/integration/proc/test_workloads.py, case asyncio): an asyncio echo
server with four concurrent clients on an AF_UNIX path socket, then on 127.0.0.1, then a
subprocess whose pipe the event loop watches. Prints only what is the same natively."""
import asyncio, os, sys, tempfile

async def handle(reader, writer):
    while True:
        data = await reader.readline()
        if not data:
            break
        writer.write(data.upper())
        await writer.drain()
    writer.close()

async def client(open_conn, n):
    reader, writer = await open_conn()
    out = []
    for i in range(n):
        writer.write(f"line {i}\n".encode())
        await writer.drain()
        out.append((await reader.readline()).decode().strip())
    writer.close()
    await writer.wait_closed()
    return out

async def main():
    d = tempfile.mkdtemp()
    path = os.path.join(d, "echo.sock")
    srv = await asyncio.start_unix_server(handle, path)
    res = await asyncio.gather(*[client(lambda: asyncio.open_unix_connection(path), 3) for _ in range(4)])
    print("unix", res[0], len(res))
    srv.close(); await srv.wait_closed(); os.unlink(path); os.rmdir(d)
    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    res = await asyncio.gather(*[client(lambda: asyncio.open_connection("127.0.0.1", port), 3) for _ in range(4)])
    print("tcp", res[0], len(res))
    srv.close(); await srv.wait_closed()
    # a subprocess pipe and socketpair-based self-pipe are used by the loop itself
    p = await asyncio.create_subprocess_exec("echo", "sub", stdout=asyncio.subprocess.PIPE)
    print("subprocess", (await p.communicate())[0].decode().strip())

asyncio.run(main())
