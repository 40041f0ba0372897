#!/usr/bin/python3
"""Sums the JUnit XML every suite wrote into <build>/test-results/ and prints failures, then the
closing line "N passed, N failed[, N skipped]". A meson test that failed without writing its XML
(crash, timeout) counts as one failure. Exit 1 if anything failed or nothing passed."""
import json
import pathlib
import sys
import xml.etree.ElementTree as ET

build = pathlib.Path(sys.argv[1])
passed = failed = skipped = 0
failures = []
reported = set()
for xml in sorted((build / "test-results").glob("*.xml")):
    reported.add(xml.stem)
    try:
        root = ET.parse(xml).getroot()
    except ET.ParseError as e:
        failed += 1
        failures.append(f"{xml.name}: unreadable results ({e})")
        continue
    for case in root.iter("testcase"):
        name = f"{xml.stem}: {case.get('classname', '')} {case.get('name', '')}".strip()
        bad = case.find("failure") if case.find("failure") is not None else case.find("error")
        if bad is not None:
            failed += 1
            failures.append(f"{name}\n    {(bad.get('message') or bad.text or '').strip()[:500]}")
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1

log = build / "meson-logs" / "testlog.json"
if log.exists():
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        if entry.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL") and entry["name"] not in reported:
            failed += 1
            failures.append(f"{entry['name']}: {entry.get('result')} without results (crash or timeout)")

for f in failures:
    print(f"FAILED {f}")
tail = f", {skipped} skipped" if skipped else ""
print(f"{passed} passed, {failed} failed{tail}")
sys.exit(1 if failed or passed == 0 else 0)
