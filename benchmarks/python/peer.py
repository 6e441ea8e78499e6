"""The Python peer of the benchmark harness: the same requests as the Rust clients, written
the way SOC scripts usually are (requests + json).

    peer.py decode FILE REPEAT
    peer.py list-all URL TOKEN PAGE_SIZE _
    peer.py bulk-update URL TOKEN COUNT CONCURRENCY
    peer.py sentinel-list-all URL USER:PASSWORD PAGE_SIZE _
    peer.py pta-list-close URL USER PASSWORD CLOSES
    peer.py skyhigh-list-all URL USER:PASSWORD LIMIT _   (see skyhigh_peer.py)

Prints one JSON line: {"items", "seconds", "cpu_seconds", "peak_rss_kib", "id_sum"}, as
the Rust clients do; "cpu_seconds" is the process's user + system time over the same work.
For decode, "seconds" is the median time of one json.loads of the whole file and "items"
the number of records in it (the document itself when it is an array, else its "objects"
or "incidents").
"""

import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter

API_VERSION = "26.0"
ASSIGNEE = "analyst1"


def peak_rss_kib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def session(token, pool_size):
    s = requests.Session()
    s.headers.update({"SEC": token, "Version": API_VERSION, "Accept": "application/json"})
    # One connection per worker thread, as a careful script configures it; the default
    # pool keeps 10 and opens (then drops) a new connection for each request beyond that.
    s.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=pool_size))
    s.mount("https://", HTTPAdapter(pool_connections=1, pool_maxsize=pool_size))
    return s


def records(doc):
    if isinstance(doc, list):
        return doc
    for key in ("objects", "incidents"):
        if isinstance(doc.get(key), list):
            return doc[key]
    return []


def decode(path, repeat):
    with open(path, "rb") as f:
        data = f.read()
    times = []
    items = 0
    for _ in range(repeat):
        start = time.perf_counter()
        doc = json.loads(data)
        times.append(time.perf_counter() - start)
        items = len(records(doc))
    return items, statistics.median(times), 0


def list_all(url, token, page_size):
    s = session(token, 1)
    endpoint = url.rstrip("/") + "/api/siem/offenses"
    items = id_sum = start = 0
    while True:
        r = s.get(endpoint, headers={"Range": f"items={start}-{start + page_size - 1}"}, timeout=60)
        r.raise_for_status()
        page = r.json()
        for offense in page:
            items += 1
            id_sum += offense["id"]
        start += len(page)
        total = int(r.headers["Content-Range"].rsplit("/", 1)[1])
        if not page or start >= total:
            return items, id_sum


def bulk_update(url, token, count, concurrency):
    s = session(token, concurrency)
    base = url.rstrip("/") + "/api/siem/offenses/"

    def update(offense_id):
        r = s.post(base + str(offense_id), params={"assigned_to": ASSIGNEE, "follow_up": "true"}, timeout=60)
        r.raise_for_status()
        return r.json()["id"]

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        ids = list(pool.map(update, range(1, count + 1)))
    return len(ids), sum(ids)


def sentinel_list_all(url, credentials, page_size):
    user, password = credentials.split(":", 1)
    base = url.rstrip("/")
    s = requests.Session()
    s.headers.update({"Accept": "application/json"})
    r = s.post(base + "/SentinelAuthServices/auth/tokens", auth=(user, password), timeout=60)
    r.raise_for_status()
    token = r.json()["Token"]
    s.headers.update({"Authorization": "X-SAML " + token})
    items = id_sum = 0
    page = 1
    while True:
        r = s.get(base + "/SentinelRESTServices/objects/incident",
                  params={"page": page, "pagesize": page_size}, timeout=60)
        r.raise_for_status()
        objects = r.json().get("objects", [])
        for incident in objects:
            items += 1
            id_sum += int(incident["meta"]["@href"].rsplit("/", 1)[1])
        if len(objects) < page_size:
            break
        page += 1
    s.delete(base + "/SentinelAuthServices/auth/tokens/" + token, auth=(user, password),
             headers={"Authorization": None}, timeout=60).raise_for_status()
    return items, id_sum


def pta_list_close(url, user, password, closes):
    """CyberArk PTA: log on, list every security event, close the first ids in sorted order,
    log off, as the Rust clients do."""
    s = requests.Session()
    app = url.rstrip("/") + "/PasswordVault/API"
    r = s.post(app + "/auth/CyberArk/Logon", json={"username": user, "password": password}, timeout=60)
    r.raise_for_status()
    s.headers.update({"Authorization": r.json(), "Accept": "application/json"})
    r = s.get(app + "/pta/API/Events/", timeout=60)
    r.raise_for_status()
    events = r.json()
    closed = 0
    for event_id in sorted(e["id"] for e in events)[:closes]:
        r = s.patch(app + "/pta/API/Events/" + event_id, json={"mStatus": "CLOSED"}, timeout=60)
        r.raise_for_status()
        r.json()
        closed += 1
    s.post(app + "/Auth/Logoff", timeout=60).raise_for_status()
    return len(events), closed


def main(argv):
    scenario = argv[1]
    cpu = time.process_time()
    if scenario == "pta-list-close":
        start = time.perf_counter()
        items, id_sum = pta_list_close(argv[2], argv[3], argv[4], int(argv[5]))
        seconds = time.perf_counter() - start
    elif scenario == "decode":
        items, seconds, id_sum = decode(argv[2], int(argv[3]))
    else:
        url, token, n, m = argv[2], argv[3], int(argv[4]), argv[5]
        start = time.perf_counter()
        if scenario == "list-all":
            items, id_sum = list_all(url, token, n)
        elif scenario == "sentinel-list-all":
            items, id_sum = sentinel_list_all(url, token, n)
        elif scenario == "bulk-update":
            items, id_sum = bulk_update(url, token, n, int(m))
        elif scenario == "skyhigh-list-all":
            import skyhigh_peer

            items, id_sum = skyhigh_peer.list_all(url, token, n)
        else:
            raise SystemExit(f"unknown scenario {scenario!r}")
        seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    print(json.dumps({"items": items, "seconds": seconds, "cpu_seconds": cpu,
                      "peak_rss_kib": peak_rss_kib(), "id_sum": id_sum}))


if __name__ == "__main__":
    main(sys.argv)
