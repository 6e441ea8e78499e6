"""The Skyhigh list-all loop of the Python peer, as a SOC script writes it: requests with
Basic auth, the Spring envelope unwrapped, nextStartTime fed back as startTime (pages may hold
more than the limit: the incidents sharing the last timestamp), the incidents repeated at a page
boundary dropped by incidentId, the end at a 404, an empty page, a null cursor or a cursor that
stops moving."""

import requests

START = "2024-05-01T00:00:00.000Z"


def list_all(url, credentials, limit):
    user, _, password = credentials.partition(":")
    s = requests.Session()
    s.auth = (user, password)
    s.headers.update({"Accept": "application/json"})
    endpoint = url.rstrip("/") + "/shnapi/rest/external/api/v1/queryIncidents"
    items = id_sum = 0
    start = START
    previous = set()
    while True:
        r = s.post(endpoint, params={"limit": limit}, json={"startTime": start}, timeout=60)
        if r.status_code == 404:
            return items, id_sum
        r.raise_for_status()
        doc = r.json()
        body = doc.get("body", doc)
        info = body.get("responseInfo") or {}
        if info.get("error"):
            raise RuntimeError(f"error inside a 200: {info['error']}")
        page = body.get("incidents") or []
        if not page:
            return items, id_sum
        current = set()
        for incident in page:
            incident_id = incident["incidentId"]
            if incident_id not in previous:
                items += 1
                id_sum += int(incident_id.split("-", 1)[1])
            current.add(incident_id)
        previous = current
        nxt = info.get("nextStartTime")
        if not nxt or nxt == start:
            return items, id_sum
        start = nxt
