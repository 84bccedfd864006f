"""Checks a Prometheus text exposition (format 0.0.4) strictly enough to
catch what a scraper would reject, and that the named families are there.
Usage: check_exposition.py FILE FAMILY..."""

import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"%s=\"(?:\\.|[^\"\\])*\"" % NAME
SAMPLE = re.compile(r"^(?P<name>%s)(?P<labels>\{%s(?:,%s)*\})? (?P<value>\S+)$" % (NAME, LABEL, LABEL))


def main(path, wanted):
    types, bad, buckets = {}, [], {}
    for n, line in enumerate(open(path).read().split("\n"), 1):
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            if name in types:
                bad.append("line %d: TYPE of %s twice" % (n, name))
            types[name] = kind
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            bad.append("line %d: not a sample: %r" % (n, line))
            continue
        name, value = m.group("name"), m.group("value")
        try:
            float(value)
        except ValueError:
            bad.append("line %d: bad value %r" % (n, value))
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        if family not in types:
            bad.append("line %d: %s has no TYPE line before it" % (n, name))
        if name.endswith("_bucket"):
            series = re.sub(r',?le="[^"]*"', "", m.group("labels") or "")
            prev = buckets.get((name, series), -1)
            if float(value) < prev:
                bad.append("line %d: bucket counts go down" % n)
            buckets[(name, series)] = float(value)
    for w in wanted:
        if w not in types:
            bad.append("family %s is missing" % w)
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
