"""The Python peer of the ESET Connect scenario: the same requests as the Rust clients,
written the way SOC scripts usually are (requests + json).

    eset_peer.py list-all URL IAM_URL USER PASSWORD PAGE_SIZE

Gets a token with the password grant, then follows nextPageToken. Prints one JSON line:
{"items", "seconds", "cpu_seconds", "peak_rss_kib", "id_sum"}, with id_sum the sum of the
first 8 hex digits of every incident uuid, as the Rust clients compute it, and cpu_seconds
the process's user + system time over the walk.
"""

import json
import sys
import time

import requests


def peak_rss_kib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def list_all(url, iam, user, password, page_size):
    s = requests.Session()
    r = s.post(
        iam.rstrip("/") + "/oauth/token",
        data={"grant_type": "password", "username": user, "password": password},
        timeout=60,
    )
    r.raise_for_status()
    s.headers.update({"Authorization": "Bearer " + r.json()["access_token"], "Accept": "application/json"})
    endpoint = url.rstrip("/") + "/v2/incidents"
    items = id_sum = 0
    token = ""
    while True:
        params = {"pageSize": page_size}
        if token:
            params["pageToken"] = token
        r = s.get(endpoint, params=params, timeout=60)
        r.raise_for_status()
        page = r.json()
        for incident in page.get("incidents", []):
            items += 1
            id_sum += int(incident["uuid"][:8], 16)
        token = page.get("nextPageToken", "")
        if not token:
            return items, id_sum


def main(argv):
    if argv[1] != "list-all":
        raise SystemExit(f"unknown scenario {argv[1]!r}")
    cpu = time.process_time()
    start = time.perf_counter()
    items, id_sum = list_all(argv[2], argv[3], argv[4], argv[5], int(argv[6]))
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    print(json.dumps({"items": items, "seconds": seconds, "cpu_seconds": cpu,
                      "peak_rss_kib": peak_rss_kib(), "id_sum": id_sum}))


if __name__ == "__main__":
    main(sys.argv)
