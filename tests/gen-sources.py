#!/usr/bin/env python3
"""Render the bundled enum-log incident (fixtures/incident-enum-log/app.log)
as each source an engineer pipes into logwhy, one golden case per source
under fixtures/source-<name>/ (cmd and input; expected.out comes from
UPDATE=1 tests/golden.test.sh). The prefixes, wrappers and key names are
the ones the tools write; see fixtures/source-*/SOURCES for where each
shape is documented or seen in the wild.

    python3 tests/gen-sources.py        # rewrites the inputs and cmds
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APP = os.path.join(ROOT, "fixtures", "incident-enum-log", "app.log")
LINE = re.compile(r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) - (\S+) - (\w+) - (.*)$")
HOST = "web-7f9c6d5b8-x2k4q"
STREAM = "ecs/netra-backend/3f2a9c0e5b7d4e1f"
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def records():
    """(micros since midnight of the day, level or None, logger, text, stream)
    per physical line; a block line gets the time of the line before it
    plus one microsecond per line, the way a runtime stamps it."""
    out, last = [], None
    with open(APP, encoding="utf-8") as f:
        for raw in f.read().splitlines():
            m = LINE.match(raw)
            if m:
                h, mi, s, ms = int(m[4]), int(m[5]), int(m[6]), int(m[7])
                us = ((h * 60 + mi) * 60 + s) * 1000000 + ms * 1000
                out.append(dict(us=us, level=m[9], logger=m[8], msg=m[10], raw=raw, stream="stdout"))
                last = us
            else:
                last += 1
                out.append(dict(us=last, level=None, logger=None, msg=raw, raw=raw, stream="stderr"))
    return out


def iso(us, frac=6, z="Z", sep="T"):
    h, rem = divmod(us, 3600000000)
    mi, rem = divmod(rem, 60000000)
    s, u = divmod(rem, 1000000)
    f = ("%06d" % u)[:frac] if frac <= 6 else "%06d%s" % (u, "0" * (frac - 6))
    return "2025-09-08%s%02d:%02d:%02d%s%s" % (sep, h, mi, s, "." + f if frac else "", z)


def epoch_us(us):
    return 1757289600 * 1000000 + us   # 2025-09-08T00:00:00Z


def write(name, files, cmd):
    d = os.path.join(ROOT, "fixtures", "source-" + name)
    os.makedirs(d, exist_ok=True)
    for fn, text in files.items():
        with open(os.path.join(d, fn), "w", encoding="utf-8") as f:
            f.write(text)
    with open(os.path.join(d, "cmd"), "w") as f:
        f.write(cmd + "\n")


def pylevel(r):
    return "%s:%s:%s" % (r["level"], r["logger"], r["msg"])


def main():
    recs = records()
    lines = lambda f: "".join(f(r) + "\n" for r in recs)

    # kubectl logs --timestamps / docker logs -t: RFC 3339 with nanoseconds
    write("kubectl-timestamps", {"pod.log": lines(lambda r: iso(r["us"], 9) + " " + r["raw"])},
          "logwhy triage pod.log")
    # plain kubectl logs of an app whose format has no time
    # ("%(name)s - %(levelname)s - %(message)s"): triage links by record order
    def plain(r):
        return "%s - %s - %s" % (r["logger"], r["level"], r["msg"]) if r["level"] else r["raw"]
    nokeys = lambda r: re.sub(r" (connection_id|trace)=\S+", "", plain(r))
    write("kubectl-plain", {"pod.log": lines(plain), "pod-nokeys.log": lines(nokeys)},
          "logwhy triage pod.log; echo; logwhy triage pod-nokeys.log | sed -n '1,5p'")
    # the negative: each close printed before the errors of its connection
    # (its cause comes after it), and nothing else before it
    conn = []
    for r in recs:
        if "ws_8e41d07b" in r["raw"] or "ws_c5a6f913" in r["raw"]:
            break
        conn.append(r)
    conn = [r for r in conn if "Backend health check" not in r["raw"]]
    close = [r for r in conn if "code=1011" in r["raw"]]
    order = [conn[0]] + close + [r for r in conn[1:] if r not in close]
    write("kubectl-plain-cause-after", {"pod.log": "".join(plain(r) + "\n" for r in order)},
          "logwhy triage pod.log")
    # CRI (containerd, cri-o) files under /var/log/pods; one long line in pieces
    def cri(r):
        head = iso(r["us"], 9) + " " + r["stream"] + " "
        text = r["raw"]
        if "Message: " in text:
            return head + "P " + text[:30] + "\n" + head + "F " + text[30:]
        return head + "F " + text
    write("cri", {"0.log": lines(cri)}, "logwhy triage 0.log")
    # docker's json-file driver: the app writes Cloud Run JSON on stdout
    with open(os.path.join(ROOT, "fixtures", "incident-enum-log", "cloudrun.ndjson"), encoding="utf-8") as f:
        cr = f.read().splitlines()
    def docker_lines():
        out, last = [], 0
        for l in cr:
            if l.startswith("{"):
                t = json.loads(l)["time"]
                m = re.search(r"T(\d\d):(\d\d):(\d\d)\.(\d{6})", t)
                last = ((int(m[1]) * 60 + int(m[2])) * 60 + int(m[3])) * 1000000 + int(m[4])
                out.append(json.dumps({"log": l + "\n", "stream": "stdout", "time": iso(last, 9)}, separators=(",", ":")))
            else:
                last += 1
                out.append(json.dumps({"log": l + "\n", "stream": "stderr", "time": iso(last, 9)}, separators=(",", ":")))
        return "".join(x + "\n" for x in out)
    write("docker-json", {"container-json.log": docker_lines()}, "logwhy triage container-json.log")
    # a line over 16 KiB: the driver writes it in 16 KiB pieces, only the
    # last "log" ending in "\n" (docker/for-linux#1321, Azure/adx-mon#272);
    # here the first failed log call carries the chat message it was handling
    def docker_long():
        out, last, big = [], 0, False
        hist = [{"role": "user" if i % 2 == 0 else "assistant",
                 "content": "Step %d: summarise the quarterly GPU spend per team and flag any "
                            "workload whose cost per inference rose more than 15%% week over week." % i}
                for i in range(260)]
        for l in cr:
            if l.startswith("{"):
                o = json.loads(l)
                m = re.search(r"T(\d\d):(\d\d):(\d\d)\.(\d{6})", o["time"])
                last = ((int(m[1]) * 60 + int(m[2])) * 60 + int(m[3])) * 1000000 + int(m[4])
                if not big and o["message"].startswith("WebSocket error:"):
                    big = True
                    o = dict([("ws_message", {"type": "user_message", "payload": {"thread_id": "th_5d2e",
                              "history": hist}})] + list(o.items()))
                    l = json.dumps(o, separators=(",", ":"))
                stream = "stdout"
            else:
                last += 1
                stream = "stderr"
            raw = l + "\n"
            for k in range(0, len(raw), 16384):
                out.append(json.dumps({"log": raw[k:k + 16384], "stream": stream, "time": iso(last, 9)},
                                      separators=(",", ":")))
        return "".join(x + "\n" for x in out)
    write("docker-json-long", {"container-json.log": docker_long()},
          "logwhy triage container-json.log; logwhy sanitize container-json.log | "
          "jq -c 'select(.log | startswith(\"{\\\"ws_message\")) | .log | fromjson | "
          "[.message, .connection_id, (.ws_message.payload.history | length)]'")
    # docker-compose: another request's access line lands inside a block
    def compose():
        out = []
        for r in recs:
            out.append("web_1  | " + r["raw"])
            if r["raw"] == "Call stack:" and not any("GET /health" in x for x in out):
                out.append('web_1  | INFO:     10.0.0.5:51234 - "GET /health HTTP/1.1" 200 OK')
                out.append("db_1   | 2025-09-08 04:33:03.145 UTC [27] LOG:  checkpoint starting: time")
        return "".join(x + "\n" for x in out)
    write("compose", {"compose.log": compose()}, "logwhy triage compose.log")
    # Cloud Foundry: cf logs --recent
    write("cloudfoundry", {"cf.log": lines(lambda r: "   %s [APP/PROC/WEB/0] %s %s" % (
        iso(r["us"], 2, "+0000"), "OUT" if r["stream"] == "stdout" else "ERR", r["raw"]))},
        "logwhy triage cf.log")
    # journalctl -o json
    def jj(r):
        return json.dumps({"__REALTIME_TIMESTAMP": str(epoch_us(r["us"])), "PRIORITY": "6",
                           "_HOSTNAME": HOST, "_SYSTEMD_UNIT": "netra-backend.service",
                           "SYSLOG_IDENTIFIER": "netra-backend", "_PID": "812",
                           "_TRANSPORT": "stdout", "MESSAGE": r["raw"]}, separators=(",", ":"))
    write("journald-json", {"journal.json": lines(jj)}, "logwhy triage journal.json")
    # journalctl (short, the default) with its header, and -o short-iso
    def short(r):
        s = r["us"] // 1000000
        return "Sep 08 %02d:%02d:%02d %s netra-backend[812]: %s" % (s // 3600, s // 60 % 60, s % 60, HOST, r["raw"])
    write("journald", {"journal.log": "-- Logs begin at Mon 2025-09-08 04:30:00 UTC, end at Mon 2025-09-08 04:35:00 UTC. --\n" + lines(short)},
          "logwhy triage journal.log")
    write("journald-short-iso", {"journal.log": lines(lambda r: "%s %s netra-backend[812]: %s" % (
        iso(r["us"], 0, "+0000"), HOST, r["raw"]))}, "logwhy triage journal.log")
    # aws logs filter-log-events (pretty, 4-space indent) and aws logs tail
    ev = [{"logStreamName": STREAM, "timestamp": epoch_us(r["us"]) // 1000, "message": r["raw"],
           "ingestionTime": epoch_us(r["us"]) // 1000 + 412, "eventId": "3859%032d" % i}
          for i, r in enumerate(recs)]
    write("cloudwatch", {"events.json": json.dumps({"events": ev, "searchedLogStreams": [
        {"logStreamName": STREAM, "searchedCompletely": True}]}, indent=4) + "\n"},
        "logwhy triage events.json")
    write("aws-tail", {"tail.log": lines(lambda r: "%s %s %s" % (iso(r["us"], 6, "+00:00"), STREAM, r["raw"]))},
          "logwhy triage tail.log")
    # OTLP JSON: app records through the logging bridge, stderr lines through the filelog receiver
    sevnum = {"DEBUG": 5, "INFO": 9, "WARNING": 13, "ERROR": 17, "CRITICAL": 21}
    def otlp_rec(r):
        o = {"timeUnixNano": str(epoch_us(r["us"]) * 1000), "observedTimeUnixNano": str(epoch_us(r["us"]) * 1000 + 52000)}
        attrs = []
        if r["level"]:
            o["severityNumber"] = sevnum[r["level"]]
            o["severityText"] = r["level"]
            msg = r["msg"]
            m = re.search(r" connection_id=(\S+)", msg)
            t = re.search(r" trace=(\S+)", msg)
            if m:
                attrs.append({"key": "connection_id", "value": {"stringValue": m[1]}})
            if t:
                o["traceId"] = t[1]
                o["spanId"] = "%016x" % (int(t[1][:8], 16) * 7)
            msg = re.sub(r" (connection_id|trace)=\S+", "", msg)
            o["body"] = {"stringValue": msg}
            attrs.append({"key": "code.namespace", "value": {"stringValue": r["logger"]}})
        else:
            o["body"] = {"stringValue": r["raw"]}
            attrs.append({"key": "log.iostream", "value": {"stringValue": "stderr"}})
        o["attributes"] = attrs
        return o
    otlp = {"resourceLogs": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "netra-backend"}},
        {"key": "service.instance.id", "value": {"stringValue": HOST}},
        {"key": "k8s.pod.name", "value": {"stringValue": HOST}}]},
        "scopeLogs": [{"scope": {"name": "opentelemetry.sdk._logs"},
                       "logRecords": [otlp_rec(r) for r in recs]}]}]}
    write("otlp", {"logs.json": json.dumps(otlp) + "\n"}, "logwhy triage logs.json")
    # Datadog Logs API search (POST /api/v2/logs/events/search)
    dd = {"data": [{"id": "AQAAAZkp%012d" % i, "type": "log", "attributes": {
        "service": "netra-backend", "host": HOST, "status": (r["level"] or "error").lower(),
        "timestamp": iso(r["us"], 3), "message": r["raw"], "tags": ["env:staging", "pod_name:" + HOST],
        "attributes": {"logger": {"name": r["logger"]}} if r["logger"] else {}}}
        for i, r in enumerate(recs)], "links": {}, "meta": {"page": {}, "elapsed": 112, "status": "done"}}
    write("datadog", {"search.json": json.dumps(dd, indent=2) + "\n"}, "logwhy triage search.json")
    # Azure Log Analytics: the query API's tables, and az's rows
    cols = ["TenantId", "TimeGenerated", "ContainerAppName_s", "RevisionName_s", "ReplicaName_s", "Stream_s", "Log_s", "Type"]
    rows = [["6b2c2a2e-0000-4000-8000-0000000000aa", iso(r["us"], 7), "netra-backend", "netra-backend--r7",
             "netra-backend--r7-6d9c8b7f5-x2k4q", r["stream"], r["raw"], "ContainerAppConsoleLogs_CL"] for r in recs]
    write("azure", {"query.json": json.dumps({"tables": [{"name": "PrimaryResult", "columns": [
        {"name": c, "type": "datetime" if c == "TimeGenerated" else "string"} for c in cols], "rows": rows}]}) + "\n"},
        "logwhy triage query.json")
    write("azure-rows", {"rows.json": json.dumps([dict(zip(cols, x), TableName="PrimaryResult") for x in rows], indent=2) + "\n"},
          "logwhy triage rows.json")
    # gcloud logging read --format=json of textPayload lines with Python's
    # default prefix and no severity, newest first
    ents = []
    for i, r in enumerate(recs):
        ents.append({"insertId": "%014x" % (0x5f3a2b1c0d + i), "labels": {"instanceId": "00c61b117c" + "%02d" % (i % 1)},
                     "logName": "projects/netra-staging/logs/run.googleapis.com%2F" + ("stderr" if not r["level"] else "stdout"),
                     "receiveTimestamp": iso(r["us"] + 9000, 6),
                     "resource": {"labels": {"service_name": "netra-backend-staging"}, "type": "cloud_run_revision"},
                     "textPayload": pylevel(r) if r["level"] else r["raw"], "timestamp": iso(r["us"], 6)})
    ents.reverse()
    write("textpayload-prefix", {"gcloud.json": json.dumps(ents, indent=2, sort_keys=True, ensure_ascii=False) + "\n"},
          "logwhy triage gcloud.json")
    # gunicorn's error log (its own logger format) and access log
    def gun():
        out = []
        for r in recs:
            s = r["us"] // 1000000
            t = "2025-09-08 %02d:%02d:%02d +0000" % (s // 3600, s // 60 % 60, s % 60)
            if r["level"]:
                out.append("[%s] [9] [%s] %s" % (t, r["level"], r["msg"]))
                if "connection accepted" in r["msg"]:
                    out.append('10.0.0.5 - - [08/Sep/2025:%02d:%02d:%02d +0000] "GET /ws HTTP/1.1" 101 0 "-" "Python/3.11 websockets/12.0"' % (s // 3600, s // 60 % 60, s % 60))
            else:
                out.append(r["raw"])
        return "".join(x + "\n" for x in out)
    write("gunicorn", {"gunicorn.log": gun()}, "logwhy triage gunicorn.log")
    # gcloud run services logs read: seconds only, newest first, a request
    # log of the same second printed inside the block
    def run_read():
        out = []
        for r in recs:
            s = r["us"] // 1000000
            t = "2025-09-08 %02d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)
            out.append("%s %s" % (t, pylevel(r) if r["level"] else r["raw"]))
        out.reverse()
        i = next(k for k, x in enumerate(out) if x.endswith("Call stack:"))
        out.insert(i, out[i][:19] + " GET 101 https://netra-backend-staging-pnovr5vsba-uc.a.run.app/ws")
        return "".join(x + "\n" for x in out)
    write("gcloud-run-read", {"run.log": run_read()}, "logwhy triage run.log")
    # gcloud logging read --format='value(timestamp,severity,textPayload)', newest first
    def value():
        out = []
        for r in recs:
            out.append("%s\t%s\t%s" % (iso(r["us"], 6), r["level"] or "ERROR", r["msg"] if r["level"] else r["raw"]))
        out.reverse()
        return "".join(x + "\n" for x in out)
    write("gcloud-value", {"value.txt": value()}, "logwhy triage value.txt")


if __name__ == "__main__":
    sys.exit(main())
