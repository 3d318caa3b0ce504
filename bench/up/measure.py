"""Starts `iotwins up --fresh` RUNS times on free ports and times, from the spawn: the server
answering /readyz (the anchor), the chain dep-1 CREATE_COMPLETE, and the first measured sample of
the plant (an unlabelled series) queryable from the cloud store. Prints one JSON object last."""
import json, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

binary, src, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])


def free_ports(n):
    # n consecutive free loopback ports (up's brokers take --mqtt-port and the next two).
    for _ in range(100):
        s = socket.socket(); s.bind(("127.0.0.1", 0)); base = s.getsockname()[1]; s.close()
        ok = True
        for p in range(base, base + n):
            t = socket.socket()
            try:
                t.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            t.close()
        if ok and base + n < 65536:
            return base
    raise SystemExit("no free ports")


def get(url, token=""):
    try:
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token} if token else {})
        with urllib.request.urlopen(req, timeout=2) as r:
            return r.status, r.read()
    except Exception:
        return None, b""


def one_run():
    data = tempfile.mkdtemp(prefix="bench-up-")
    http, mqtt = free_ports(1), free_ports(3)
    base = f"http://127.0.0.1:{http}"
    log = open(os.path.join(data, "up.out"), "w")
    creds = os.path.join(data, "credentials.json")  # up stores its admin login there
    env = dict(os.environ, IOTWINS_CREDENTIALS=creds)
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "up", "--fresh", "--data-dir", data + "/d", "--listen", f"127.0.0.1:{http}",
                          "--mqtt-port", str(mqtt), "--plant", src + "/examples/plant.yaml",
                          "--chain", src + "/examples/chains/factory.yaml"], stdout=log, stderr=subprocess.STDOUT, env=env)
    marks = {}
    token = ""
    deadline = t0 + 120
    try:
        while len(marks) < 3 and time.monotonic() < deadline and p.poll() is None:
            now = time.monotonic() - t0
            if "server_ready_s" not in marks and get(base + "/readyz")[0] == 200:
                marks["server_ready_s"] = now
            if not token and os.path.exists(creds):
                try:
                    token = json.load(open(creds))["servers"][base]["access_token"]
                except (ValueError, KeyError):
                    pass  # being written
            if "server_ready_s" in marks and "chain_started_s" not in marks:
                st, body = get(base + "/api/v1/deployments/dep-1", token)
                if st == 200 and json.loads(body).get("status") == "CREATE_COMPLETE":
                    marks["chain_started_s"] = now
            if "server_ready_s" in marks and "first_sample_s" not in marks:
                # measured (unlabelled) series only: the chain's simulator writes labelled ones
                st, body = get(base + "/api/v1/series?limit=1000", token)
                if st == 200 and any(not i.get("labels") for i in json.loads(body).get("items", [])):
                    marks["first_sample_s"] = now
            time.sleep(0.01)  # the benchmark's polling resolution
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=60)
        log.close()
        shutil.rmtree(data, ignore_errors=True)
    if len(marks) < 3:
        raise SystemExit(f"iotwins up did not get there within 120 s: {marks}")
    return marks


results = [one_run() for _ in range(runs)]
for r in results:
    print(json.dumps(r), file=sys.stderr)
med = {k: round(statistics.median(r[k] for r in results), 3) for k in results[0]}
out = {
    "benchmark": "up",
    "quick": runs == 1,
    "runs": runs,
    "chain_started_s": med["chain_started_s"],
    "first_sample_in_cloud_s": med["first_sample_s"],
    "units": "seconds from spawning 'iotwins up --fresh' (median of runs; polled every 10 ms)",
    "anchors": {"server_ready_s": med["server_ready_s"]},
    "ratios": {
        "chain_started_vs_server_ready": round(med["chain_started_s"] / med["server_ready_s"], 2),
        "first_sample_vs_server_ready": round(med["first_sample_s"] / med["server_ready_s"], 2),
    },
}
print(json.dumps(out))
