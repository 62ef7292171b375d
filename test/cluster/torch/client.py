"""A bounded request loop (test/cluster/torch.test.ts): GET URL at a fixed rate for a fixed time, each
request with a timeout; prints one JSON summary line: sent, ok, failed, the first failures, the versions
and hosts that answered.

  python3 client.py URL RATE_PER_SECOND SECONDS
"""
import json
import sys
import time
import urllib.request

url, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
sent = ok = 0
failures, versions, hosts = [], {}, {}
start = time.monotonic()
n = int(rate * seconds)
for i in range(n):
    due = start + i / rate
    time.sleep(max(0.0, due - time.monotonic()))
    sent += 1
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            body = json.loads(r.read())
        ok += 1
        versions[body["version"]] = versions.get(body["version"], 0) + 1
        hosts[body["host"]] = hosts.get(body["host"], 0) + 1
    except Exception as e:  # every failure counts: HTTP errors, refused connections, timeouts
        failures.append(f"{time.monotonic() - start:.1f}s: {e}")
print(json.dumps({"sent": sent, "ok": ok, "failed": len(failures), "failures": failures[:10], "versions": versions, "hosts": hosts, "seconds": round(time.monotonic() - start, 1)}), flush=True)
