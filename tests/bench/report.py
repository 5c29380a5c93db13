#!/usr/bin/env python3
"""Turns the raw benchmark records of tests/bench/run.sh into
results.md (tables with ratios to the reference library), results.json and
latency.png (gnuplot).  Usage: report.py OUT_DIR"""
import json
import os
import re
import statistics
import subprocess
import sys

OUT = sys.argv[1]
WORK = os.path.join(OUT, "work")


def read_tsv(path, ncol):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                rows.append((line.split("|") + [""] * ncol)[:ncol])
    return rows


LIBS = read_tsv(os.path.join(WORK, "libs.tsv"), 5)
LIB_NAMES = [r[0] for r in LIBS]
LIB_DESC = {r[0]: r[4] for r in LIBS}
CASES = read_tsv(os.path.join(WORK, "cases.tsv"), 5)
ENV = dict((k, v) for k, v in read_tsv(os.path.join(WORK, "env.tsv"), 2))
SIZES = read_tsv(os.path.join(WORK, "sizes.tsv"), 3)

raw = []
with open(os.path.join(OUT, "raw.jsonl")) as f:
    for line in f:
        line = line.strip()
        if line:
            try:
                raw.append(json.loads(line))
            except json.JSONDecodeError:
                print("report: bad raw line: %s" % line[:120], file=sys.stderr)

REF = "librfcres" if "librfcres" in LIB_NAMES else ("glibc" if "glibc" in LIB_NAMES else LIB_NAMES[0])


def records(kind, lib=None, case=None):
    return [r for r in raw if r.get("kind") == kind
            and (lib is None or r.get("lib") == lib)
            and (case is None or r.get("case") == case)]


def strace_count(path):
    """Syscalls between the BENCH_BEGIN and BENCH_END markers."""
    if not os.path.exists(path):
        return None, {}
    inside, n, per = False, 0, {}
    pat = re.compile(r'^(?:\d+\s+)?([a-z_0-9]+)\(')
    with open(path, errors="replace") as f:
        for line in f:
            if 'BENCH_BEGIN' in line and 'write(-1' in line:
                inside, n, per = True, 0, {}
                continue
            if 'BENCH_END' in line and 'write(-1' in line:
                return n, per
            if not inside or "resumed>" in line:
                continue
            m = pat.match(line)
            if m:
                n += 1
                per[m.group(1)] = per.get(m.group(1), 0) + 1
    return None, {}


def callgrind_ir(path):
    if not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r'^(?:summary|totals):\s+(\d+)', line)
            if m:
                return int(m.group(1))
    return None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


results = {}
for cid, name, fnames, expected, desc in CASES:
    results[cid] = {}
    for lib in LIB_NAMES:
        if lib == "floor" and fnames == "-":
            continue
        m = {}
        v = records("verify", lib, cid)
        if v and v[0]["data"]:
            d = v[0]["data"]
            m["answer"] = {"naddr": d["naddr"], "errors": d["errors"], "error": d["last_errstr"],
                           "expected": int(expected)}
        elif v:
            m["answer"] = {"naddr": None, "errors": None, "error": "rc=%s" % v[0]["rc"],
                           "expected": int(expected)}
        t = [r["data"] for r in records("time", lib, cid) if r["data"]]
        if t:
            lps = [d["lps"] for d in t]
            p50 = [d["p50_us"] for d in t]
            p99 = [d["p99_us"] for d in t]
            m["reps"] = len(t)
            m["lookups_total"] = sum(d["lookups"] for d in t)
            m["errors_total"] = sum(d["errors"] for d in t)
            m["lps_median"] = med(lps)
            m["lps_max"] = max(lps)
            m["p50_us_median"] = med(p50)
            m["p50_us_min"] = min(p50)
            m["p99_us_median"] = med(p99)
            m["p99_us_min"] = min(p99)
            m["maxrss_kb"] = med([d["maxrss_kb"] for d in t])
            heaps = [d["heap"] for d in t if d.get("heap")]
            if heaps:
                m["allocs_per_lookup"] = med([h["allocs_per_lookup"] for h in heaps])
                m["heap_bytes_per_lookup"] = med([h["bytes_per_lookup"] for h in heaps])
        s = records("strace", lib, cid)
        if s and s[0]["data"] and s[0]["data"]["lookups"]:
            n, per = strace_count(os.path.join(WORK, "strace", "%s.%s.txt" % (lib, cid)))
            if n is not None:
                look = s[0]["data"]["lookups"]
                m["syscalls_per_lookup"] = n / look
                m["syscalls_breakdown"] = {k: round(c / look, 2) for k, c in
                                           sorted(per.items(), key=lambda kv: -kv[1])}
        c = records("callgrind", lib, cid)
        if c and c[0]["data"] and c[0]["data"]["lookups"]:
            ir = callgrind_ir(os.path.join(WORK, "callgrind", "%s.%s.out" % (lib, cid)))
            if ir is not None:
                m["instructions_per_lookup"] = ir / c[0]["data"]["lookups"]
        results[cid][lib] = m

growth = {}
for r in records("growth"):
    d = r["data"]
    if not d or not d.get("growth"):
        growth[r["lib"]] = {"error": "rc=%s" % r["rc"]}
        continue
    g = {"lookups": d["lookups"], "errors": d["errors"],
         "rss_before_kb": d["growth"]["rss_before_kb"], "rss_after_kb": d["growth"]["rss_after_kb"]}
    if d.get("heap"):
        g["live_heap_before"] = d["heap"]["live_bytes_before"]
        g["live_heap_after"] = d["heap"]["live_bytes_after"]
        g["live_blocks_before"] = d["heap"]["live_blocks_before"]
        g["live_blocks_after"] = d["heap"]["live_blocks_after"]
        g["zero_heap_growth"] = (g["live_heap_after"] <= g["live_heap_before"]
                                 and g["live_blocks_after"] <= g["live_blocks_before"])
    g["rss_growth_kb"] = g["rss_after_kb"] - g["rss_before_kb"]
    growth[r["lib"]] = g

sizes = {n: {"bytes": int(b), "glibc_static_warning": w not in ("", "0")} for n, b, w in SIZES}
skipped = sorted(set(r["what"] for r in raw if r.get("kind") == "skipped"))

doc = {
    "environment": ENV,
    "reference": REF,
    "libraries": [{"name": n, "description": LIB_DESC[n]} for n in LIB_NAMES],
    "cases": [{"id": c[0], "name": c[1], "floor_names": c[2], "expected": int(c[3]),
               "description": c[4]} for c in CASES],
    "results": results,
    "growth": growth,
    "static_size_bytes": sizes,
    "skipped_for_time": skipped,
}
with open(os.path.join(OUT, "results.json"), "w") as f:
    json.dump(doc, f, indent=1, sort_keys=False)


# ---- Markdown -------------------------------------------------------------
def fmt(v, digits=0):
    if v is None:
        return "—"
    if digits == 0:
        return "{:,.0f}".format(v)
    return "{:,.{}f}".format(v, digits)


def table(title, key, note, digits=0, minkey=None, vs=REF):
    lines = ["## " + title, "", note, ""]
    lines.append("| case | " + " | ".join(LIB_NAMES) + " |")
    lines.append("|---|" + "---|" * len(LIB_NAMES))
    any_val = False
    for cid, *_ in CASES:
        row = results[cid]
        refv = row.get(vs, {}).get(key)
        cells = []
        for lib in LIB_NAMES:
            v = row.get(lib, {}).get(key)
            if v is None:
                cells.append("—")
                continue
            any_val = True
            cell = fmt(v, digits)
            if minkey and row[lib].get(minkey) is not None:
                cell += " (min " + fmt(row[lib][minkey], digits) + ")"
            if refv and lib != vs:
                cell += " **%.2f×**" % (v / refv)
            cells.append(cell)
        lines.append("| %s | %s |" % (cid, " | ".join(cells)))
    lines.append("")
    return lines if any_val else []


md = ["# Resolver benchmark: " + ", ".join(LIB_NAMES), ""]
md.append("Mode: %s; %s, %s cores, kernel %s; server %s on 127.0.0.1:53 inside a private network "
          "namespace (%s)." % (ENV.get("mode", "?"), ENV.get("cpu", "?"), ENV.get("cores", "?"),
                               ENV.get("kernel", "?"), ENV.get("server", "dnsmasq"),
                               "dual-stack veth" if "veth" in open(os.path.join(WORK, "netns.txt")).read()
                               else "loopback only") if os.path.exists(os.path.join(WORK, "netns.txt"))
          else "")
md.append("")
md.append("Libraries: " + "; ".join("**%s** = %s" % (n, LIB_DESC[n]) for n in LIB_NAMES) + ".")
md.append("")
if REF != "librfcres":
    md.append("**librfcres was not available in this run; ratios are relative to %s.**" % REF)
else:
    md.append("Ratios in bold are value / librfcres value (so for lookups/s above 1× is faster "
              "than librfcres; for every other metric below 1× is cheaper).")
md.append("Shared, noisy machine: compare ratios within one run, not absolute times across runs.")
if skipped:
    md.append("")
    md.append("**Time budget reached: some %s runs were skipped.**" % ", ".join(skipped))
md.append("")
md.append("## Answers (addresses returned by one lookup; expected in brackets)")
md.append("")
md.append("| case | " + " | ".join(LIB_NAMES) + " |")
md.append("|---|" + "---|" * len(LIB_NAMES))
for cid, name, fnames, expected, desc in CASES:
    cells = []
    for lib in LIB_NAMES:
        a = results[cid].get(lib, {}).get("answer")
        if a is None:
            cells.append("—")
        elif a["errors"]:
            cells.append("error: %s" % a["error"])
        elif a["naddr"] != a["expected"]:
            cells.append("**%s** (≠ %s)" % (a["naddr"], a["expected"]))
        else:
            cells.append(str(a["naddr"]))
    md.append("| %s (`%s`, %s) | %s |" % (cid, name, expected, " | ".join(cells)))
md.append("")
md.append("Cases: " + "; ".join("`%s` = %s" % (c[0], c[4]) for c in CASES) + ".")
md.append("")
reps = max([m.get("reps", 0) for row in results.values() for m in row.values()] + [0])
md += table("Lookups per second", "lps_median",
            "Median of %d repetitions (higher is better)." % reps)
md += table("Latency p50 (µs)", "p50_us_median",
            "Median over repetitions of each run's p50; the best repetition in brackets.", 1,
            "p50_us_min")
md += table("Latency p99 (µs)", "p99_us_median",
            "Median over repetitions of each run's p99; the best repetition in brackets.", 1,
            "p99_us_min")
if "floor" in LIB_NAMES:
    md += table("Latency p50 relative to the floor", "p50_us_median",
                "Same p50 figures, ratio to the bare exchange (floor) instead.", 1, None, "floor")
md += table("Instructions per lookup", "instructions_per_lookup",
            "valgrind --tool=callgrind, counting only the measured loop "
            "(--toggle-collect=bench_measured_loop); user-space instructions only.")
md += table("Syscalls per lookup", "syscalls_per_lookup",
            "strace -f between two marker syscalls around the measured loop.", 1)
if "floor" in LIB_NAMES:
    md += table("Syscalls per lookup relative to the floor", "syscalls_per_lookup",
                "Same counts, ratio to the bare exchange (floor) instead.", 1, None, "floor")
    # Issue 16's targets for A+AAAA, from this run.
    d = results.get("dual", {})
    fl, lr = d.get("floor", {}), d.get("librfcres", {})
    if fl.get("p50_us_median") and lr.get("p50_us_median"):
        md.append("## Targets for A+AAAA (`dual`, issue 16)")
        md.append("")
        md.append("- p50: librfcres %.1f µs, floor %.1f µs: **%.2f×** the floor (target ≤ 1.3×)" % (
            lr["p50_us_median"], fl["p50_us_median"], lr["p50_us_median"] / fl["p50_us_median"]))
        if lr.get("syscalls_per_lookup") is not None:
            md.append("- syscalls per lookup: librfcres %s, floor %s (target ≤ 8)" % (
                fmt(lr["syscalls_per_lookup"], 1), fmt(fl.get("syscalls_per_lookup"), 1)))
        md.append("")
md += table("Heap allocations per lookup", "allocs_per_lookup",
            "malloc/calloc/realloc/memalign calls (LD_PRELOAD counter; linked-in --wrap counter "
            "for static musl).", 1)
md += table("Heap bytes requested per lookup", "heap_bytes_per_lookup", "Sum of requested sizes.")
md += table("Maximum RSS (KiB)", "maxrss_kb",
            "getrusage ru_maxrss of a timing run (median over repetitions); a static binary "
            "starts smaller.")

md.append("## Syscall mix (per lookup, case `dual`)")
md.append("")
for lib in LIB_NAMES:
    br = results.get("dual", {}).get(lib, {}).get("syscalls_breakdown")
    if br:
        md.append("- **%s**: %s" % (lib, ", ".join("%s %g" % kv for kv in br.items())))
md.append("")
md.append("## Heap growth over repeated lookups (`dual.bench.test`)")
md.append("")
if growth:
    md.append("| library | lookups | errors | live heap before → after (bytes) | live blocks "
              "before → after | RSS before → after (KiB) | zero heap growth |")
    md.append("|---|---|---|---|---|---|---|")
    for lib, g in growth.items():
        if "error" in g:
            md.append("| %s | — | — | — | — | — | run failed (%s) |" % (lib, g["error"]))
            continue
        md.append("| %s | %s | %s | %s → %s | %s → %s | %s → %s | %s |" % (
            lib, fmt(g["lookups"]), g["errors"], fmt(g.get("live_heap_before")),
            fmt(g.get("live_heap_after")), fmt(g.get("live_blocks_before")),
            fmt(g.get("live_blocks_after")), fmt(g["rss_before_kb"]), fmt(g["rss_after_kb"]),
            {True: "yes", False: "**NO**", None: "—"}[g.get("zero_heap_growth")]))
    if "librfcres" not in growth:
        md.append("")
        md.append("librfcres was not measured (not available in this run).")
else:
    md.append("Not measured in this run.")
md.append("")
md.append("## Static binary size of a minimal resolver program (stripped)")
md.append("")
if sizes:
    refsz = sizes.get("librfcres-musl", {}).get("bytes")
    md.append("| build | bytes | ratio to librfcres + musl |")
    md.append("|---|---|---|")
    for n, s in sizes.items():
        note = " (glibc warns: getaddrinfo in a static binary still dlopens NSS modules)" \
            if s["glibc_static_warning"] else ""
        md.append("| %s%s | %s | %s |" % (n, note, fmt(s["bytes"]),
                                          "%.2f×" % (s["bytes"] / refsz) if refsz else "—"))
md.append("")
with open(os.path.join(OUT, "results.md"), "w") as f:
    f.write("\n".join(md))

# ---- latency plot ----------------------------------------------------------
dat = os.path.join(OUT, "latency.dat")
with open(dat, "w") as f:
    f.write("case " + " ".join('"%s"' % lib for lib in LIB_NAMES) + "\n")
    for cid, *_ in CASES:
        vals = []
        for lib in LIB_NAMES:
            v = results[cid].get(lib, {}).get("p50_us_median")
            vals.append("%.3f" % v if v else "?")
        f.write(cid + " " + " ".join(vals) + "\n")
    f.write("\n\n")
    f.write("case " + " ".join('"%s"' % lib for lib in LIB_NAMES) + "\n")
    for cid, *_ in CASES:
        vals = []
        for lib in LIB_NAMES:
            v = results[cid].get(lib, {}).get("p99_us_median")
            vals.append("%.3f" % v if v else "?")
        f.write(cid + " " + " ".join(vals) + "\n")
n = len(LIB_NAMES)
gp = """set terminal pngcairo size 1400,900 font ",10" noenhanced
set output '{png}'
set datafile missing '?'
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set grid ytics
set key outside right top
set ylabel 'microseconds (log scale)'
set xtics rotate by -20
set multiplot layout 2,1 title 'getaddrinfo latency per case (median over repetitions)'
set title 'p50'
plot '{dat}' index 0 using 2:xtic(1) title columnheader(2){more0}
set title 'p99'
plot '{dat}' index 1 using 2:xtic(1) title columnheader(2){more1}
unset multiplot
"""
more0 = "".join(", '' index 0 using %d title columnheader(%d)" % (i, i) for i in range(3, n + 2))
more1 = "".join(", '' index 1 using %d title columnheader(%d)" % (i, i) for i in range(3, n + 2))
gpfile = os.path.join(OUT, "latency.gp")
with open(gpfile, "w") as f:
    f.write(gp.format(png=os.path.join(OUT, "latency.png"), dat=dat, more0=more0, more1=more1))
try:
    r = subprocess.run(["gnuplot", gpfile], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        print("report: gnuplot failed: " + r.stderr[-500:], file=sys.stderr)
except (OSError, subprocess.TimeoutExpired) as e:
    print("report: gnuplot: %s" % e, file=sys.stderr)

print("\n".join(md))
