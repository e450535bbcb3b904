"""Sockets under moat (tests/integration/proc/test_workloads.py, case http): python's threaded
http.server on 127.0.0.1 serving a file, fetched three times with urllib, once with curl (a
child process), and a 404."""
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
import urllib.error
import urllib.request

d = tempfile.mkdtemp()
with open(os.path.join(d, "hello.txt"), "w") as f:
    f.write("hello over http\n")
class H(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=d, **k)
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
t = threading.Thread(target=srv.serve_forever, daemon=True)
t.start()
port = srv.server_address[1]
for i in range(3):
    print(urllib.request.urlopen(f"http://127.0.0.1:{port}/hello.txt").read().decode().strip())
if os.path.exists("/usr/bin/curl"):  # a C client in another process of the sandbox
    out = subprocess.run(["/usr/bin/curl", "-s", f"http://127.0.0.1:{port}/hello.txt"],
                         capture_output=True, text=True).stdout
    print("curl", out.strip())
else:
    print("curl hello over http")
try:
    urllib.request.urlopen(f"http://127.0.0.1:{port}/missing")
except urllib.error.HTTPError as e:
    print("missing", e.code)
srv.shutdown()
shutil.rmtree(d)  # the native run's copy is on the host's /tmp
print("done")
