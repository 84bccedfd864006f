#!/usr/bin/env python3
"""Checks that a Grafana dashboard (or a Prometheus rule file) refers only to
metric families a Cairn member exports, and that the dashboard is well formed.

Usage:
  check_dashboard.py DASHBOARD.json SCRAPE          dashboard against a /metrics scrape
  check_dashboard.py --rules ALERTS.yml SCRAPE      alert/recording rules against a scrape
  check_dashboard.py [--rules] FILE                 structure only, then the names referenced
  check_dashboard.py --list [--rules] FILE          the metric names referenced, one a line

SCRAPE is a member's /metrics body (Prometheus text format 0.0.4), e.g.
  curl -s http://127.0.0.1:2382/metrics > scrape.txt
It should come from a member that has served some traffic: gRPC families
appear per method at start, but a grpc_code other than OK, or a per-peer
series, appears only once it happens (a family with a TYPE line and no
sample still counts as present).

Metric names are taken from every PromQL expression: panel targets, the
dashboard's annotations and its query variables (label_values(selector,
label)). Functions, aggregations, keywords, label names (inside {...}, in
by/without/on/ignoring/group_left/group_right lists), strings, durations,
numbers and Grafana variables ($job, ${x}, $__rate_interval) are skipped.
name_bucket, name_sum and name_count match a histogram family `name`.
Series that Prometheus makes itself (up, scrape_*) are not looked for in
the scrape.

Structure checks (dashboard): unique integer panel ids (rows and panels in
collapsed rows included); every panel has a title, a type and a gridPos
(integers, inside the 24 columns, no two panels overlapping); every panel but
rows and text panels has targets, each with a refId (unique in the panel) and
a non-empty expr; every $variable used is defined (or one of Grafana's
built-ins); a `${DS_...}` datasource is declared in __inputs.

Exit status: 0 all good, 1 missing metrics or structure errors, 2 bad usage
or an unreadable file. Python 3 standard library only (PyYAML is used for
--rules when installed; otherwise the `expr:` entries are read line by line).
"""

import argparse
import json
import re
import sys

FUNCTIONS = {
    "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
    "avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh",
    "count_over_time", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "deg", "delta",
    "deriv", "double_exponential_smoothing", "exp", "floor", "histogram_avg", "histogram_count",
    "histogram_fraction", "histogram_quantile", "histogram_stddev", "histogram_stdvar",
    "histogram_sum", "holt_winters", "hour", "idelta", "increase", "info", "irate", "label_join",
    "label_replace", "last_over_time", "ln", "log10", "log2", "mad_over_time", "max_over_time",
    "min_over_time", "minute", "month", "pi", "predict_linear", "present_over_time",
    "quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn", "sin", "sinh", "sort",
    "sort_by_label", "sort_by_label_desc", "sort_desc", "sqrt", "stddev_over_time",
    "stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year",
    # after @
    "start", "end",
}
AGGREGATIONS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk",
    "topk", "quantile", "limitk", "limit_ratio",
}
# Followed by a parenthesized list of label names.
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"offset", "bool", "and", "or", "unless", "atan2", "inf", "nan", "le"}
# Series Prometheus adds to every target: never in a /metrics body.
SYNTHETIC = {
    "up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
    "scrape_series_added", "ALERTS", "ALERTS_FOR_STATE",
}
GRAFANA_BUILTINS = {
    "__interval", "__interval_ms", "__rate_interval", "__rate_interval_ms", "__range", "__range_s",
    "__range_ms", "__from", "__to", "__dashboard", "__user", "__org", "__name", "__all", "timeFilter",
    "__timeFilter",
}

IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
DURATION = re.compile(r"(?:[0-9]+(?:ms|[smhdwy]))+")
NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
VARIABLE = re.compile(r"\$\{([a-zA-Z0-9_]+)(?::[^}]*)?\}|\$([a-zA-Z0-9_]+)|\[\[([a-zA-Z0-9_]+)(?::[^\]]*)?\]\]")
NAME_MATCHER = re.compile(r"__name__\s*(=~|!=|!~|=)\s*(\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|`[^`]*`)")


class ExprError(Exception):
    pass


def _skip_string(s, i):
    quote = s[i]
    i += 1
    while i < len(s):
        if s[i] == "\\" and quote != "`":
            i += 2
            continue
        if s[i] == quote:
            return i + 1
        i += 1
    raise ExprError("unterminated string")


def _skip_group(s, i, close):
    """s[i] opens a group; returns (index after `close`, the text inside)."""
    start = i + 1
    i += 1
    while i < len(s):
        c = s[i]
        if c in "\"'`":
            i = _skip_string(s, i)
            continue
        if c == close:
            return i + 1, s[start:i]
        i += 1
    raise ExprError("no closing %r" % close)


def metric_names(expr):
    """Metric names a PromQL expression (with Grafana variables) refers to.
    Returns (names, problems)."""
    names, problems = [], []
    s = expr
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c.isspace():
            i += 1
        elif c == "#":
            while i < n and s[i] != "\n":
                i += 1
        elif c in "\"'`":
            i = _skip_string(s, i)
        elif c == "{":
            i, inside = _skip_group(s, i, "}")
            for op, value in NAME_MATCHER.findall(inside):
                if op == "=":
                    names.append(value[1:-1])
                else:
                    problems.append("__name__%s%s cannot be checked" % (op, value))
        elif c == "[" and s.startswith("[[", i):
            m = VARIABLE.match(s, i)
            if not m:
                raise ExprError("bad [[variable]] at %d" % i)
            i = m.end()
        elif c == "[":
            i, _ = _skip_group(s, i, "]")
        elif c == "$":
            m = VARIABLE.match(s, i)
            if not m:
                raise ExprError("bad variable at %d" % i)
            i = m.end()
        elif c.isdigit() or (c == "." and i + 1 < n and s[i + 1].isdigit()):
            m = DURATION.match(s, i) or NUMBER.match(s, i)
            i = m.end()
        elif IDENT.match(s, i):
            m = IDENT.match(s, i)
            word = m.group(0)
            i = m.end()
            j = i
            while j < n and s[j].isspace():
                j += 1
            followed_by_paren = j < n and s[j] == "("
            low = word.lower()
            if low in GROUPING:
                if followed_by_paren:
                    i, _ = _skip_group(s, j, ")")
                elif low not in ("group_left", "group_right"):
                    raise ExprError("%s without a label list" % word)
            elif low in AGGREGATIONS or low in KEYWORDS:
                pass
            elif followed_by_paren:
                if word not in FUNCTIONS:
                    problems.append("unknown function %s()" % word)
            else:
                names.append(word)
        else:
            i += 1  # operators, parentheses, commas, @
    return names, problems


def grafana_query_names(query):
    """Metric names in a Grafana Prometheus variable query."""
    q = query.strip()
    m = re.match(r"label_values\s*\((.*)\)\s*$", q, re.S)
    if m:
        args = m.group(1)
        # label_values(label) or label_values(selector, label): split at the last top-level comma.
        depth, cut = 0, -1
        k = 0
        while k < len(args):
            ch = args[k]
            if ch in "\"'`":
                k = _skip_string(args, k)
                continue
            if ch in "({[":
                depth += 1
            elif ch in ")}]":
                depth -= 1
            elif ch == "," and depth == 0:
                cut = k
            k += 1
        return metric_names(args[:cut]) if cut >= 0 else ([], [])
    m = re.match(r"query_result\s*\((.*)\)\s*$", q, re.S)
    if m:
        return metric_names(m.group(1))
    if re.match(r"(label_names|metrics)\s*\(", q):
        return [], []
    return metric_names(q)


def variables_used(text):
    out = set()
    for m in VARIABLE.finditer(text):
        name = m.group(1) or m.group(2) or m.group(3)
        if not name.isdigit():  # $1 in label_replace's replacement is PromQL's, not Grafana's
            out.add(name)
    return out


# ------------------------------------------------------------------ scrape


def load_scrape(path):
    """Returns (types: family -> type, samples: set of sample names)."""
    types, samples = {}, set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                parts = line.split(None, 3)
                if len(parts) >= 4 and parts[1] == "TYPE":
                    types[parts[2]] = parts[3].strip()
                continue
            m = IDENT.match(line)
            if m:
                samples.add(m.group(0))
    return types, samples


def check_names(names, types, samples):
    """Returns (missing: list of (name, why), synthetic: sorted list)."""
    missing, synthetic = [], []
    for name in sorted(names):
        if name in SYNTHETIC:
            synthetic.append(name)
            continue
        kind = types.get(name)
        if kind in ("histogram", "summary") and name not in samples:
            missing.append((name, "a %s: refer to %s_bucket, _sum or _count" % (kind, name)))
            continue
        if name in samples or (kind is not None):
            continue
        m = re.match(r"(.*)_(bucket|sum|count)$", name)
        if m:
            base_kind = types.get(m.group(1))
            if base_kind == "histogram" or (base_kind == "summary" and m.group(2) != "bucket"):
                continue
            if base_kind is not None:
                missing.append((name, "%s is a %s, it has no _%s" % (m.group(1), base_kind, m.group(2))))
                continue
        missing.append((name, "not in the scrape"))
    return missing, synthetic


# ------------------------------------------------------------------ dashboard


def walk_panels(panels, scope="top"):
    """Yields (panel, scope) for every panel, those inside rows' `panels` included."""
    for p in panels:
        yield p, scope
        if isinstance(p, dict) and p.get("type") == "row" and p.get("panels"):
            yield from walk_panels(p["panels"], "row %r" % p.get("title"))


def check_dashboard(d):
    """Returns (exprs: list of (where, expr, is_variable_query), errors, defined_variables)."""
    errors, exprs = [], []
    if "dashboard" in d and isinstance(d["dashboard"], dict) and "panels" not in d:
        d = d["dashboard"]  # the API's {"dashboard": {...}, "meta": ...}
    if not d.get("title"):
        errors.append("dashboard has no title")
    sv = d.get("schemaVersion")
    if not isinstance(sv, int):
        errors.append("dashboard has no integer schemaVersion")
    elif not 30 <= sv <= 41:
        errors.append("schemaVersion %d is outside what this was written for (36-39)" % sv)

    inputs = {i.get("name") for i in d.get("__inputs", []) if isinstance(i, dict)}
    variables = set()
    for v in d.get("templating", {}).get("list", []):
        name = v.get("name")
        if not name:
            errors.append("a template variable has no name")
            continue
        if name in variables:
            errors.append("template variable %s defined twice" % name)
        variables.add(name)
        if v.get("type") == "query":
            q = v.get("query")
            if isinstance(q, dict):
                q = q.get("query", "")
            if not q:
                errors.append("variable %s: no query" % name)
            else:
                exprs.append(("variable $%s" % name, q, True))
    for a in d.get("annotations", {}).get("list", []):
        if a.get("expr"):
            exprs.append(("annotation %r" % a.get("name"), a["expr"], False))

    def check_datasource(where, ds):
        uid = ds.get("uid") if isinstance(ds, dict) else ds
        if not isinstance(uid, str):
            return
        for var in variables_used(uid):
            if var.startswith("DS_"):
                if var not in inputs:
                    errors.append("%s: datasource ${%s} is not in __inputs" % (where, var))
            elif var not in variables:
                errors.append("%s: datasource variable $%s is not defined" % (where, var))

    panels = d.get("panels")
    if not isinstance(panels, list) or not panels:
        errors.append("dashboard has no panels")
        panels = []
    ids = {}
    boxes = {}
    count = 0
    for p, scope in walk_panels(panels):
        if not isinstance(p, dict):
            errors.append("%s: a panel that is not an object" % scope)
            continue
        pid = p.get("id")
        title = p.get("title")
        where = "panel %s %r" % (pid, title)
        if not isinstance(pid, int) or isinstance(pid, bool):
            errors.append("%s: id is not an integer" % where)
        elif pid in ids:
            errors.append("%s: id also used by %r" % (where, ids[pid]))
        else:
            ids[pid] = title
        if not isinstance(title, str) or not title.strip():
            errors.append("%s: no title" % where)
        ptype = p.get("type")
        if not isinstance(ptype, str) or not ptype:
            errors.append("%s: no type" % where)
        gp = p.get("gridPos")
        if not isinstance(gp, dict) or not all(isinstance(gp.get(k), int) for k in "hwxy"):
            errors.append("%s: gridPos needs integer h, w, x, y" % where)
        else:
            if gp["w"] <= 0 or gp["h"] <= 0 or gp["x"] < 0 or gp["y"] < 0 or gp["x"] + gp["w"] > 24:
                errors.append("%s: gridPos %s is outside the 24-column grid" % (where, gp))
            for other, ogp in boxes.get(scope, []):
                if (gp["x"] < ogp["x"] + ogp["w"] and ogp["x"] < gp["x"] + gp["w"]
                        and gp["y"] < ogp["y"] + ogp["h"] and ogp["y"] < gp["y"] + gp["h"]):
                    errors.append("%s: overlaps %s" % (where, other))
            boxes.setdefault(scope, []).append((where, gp))
        check_datasource(where, p.get("datasource"))
        if ptype in ("row", "text", "news", "dashlist", "alertlist"):
            continue
        count += 1
        targets = p.get("targets")
        if not isinstance(targets, list) or not targets:
            errors.append("%s: no targets" % where)
            continue
        refs = set()
        for t in targets:
            ref = t.get("refId") if isinstance(t, dict) else None
            if not ref:
                errors.append("%s: a target has no refId" % where)
            elif ref in refs:
                errors.append("%s: refId %s twice" % (where, ref))
            refs.add(ref)
            expr = t.get("expr") if isinstance(t, dict) else None
            if not isinstance(expr, str) or not expr.strip():
                errors.append("%s: target %s has no expr" % (where, ref))
                continue
            check_datasource("%s target %s" % (where, ref), t.get("datasource"))
            exprs.append(("%s target %s" % (where, ref), expr, False))
    for where, expr, _ in exprs:
        for var in sorted(variables_used(expr)):
            if var not in variables and var not in GRAFANA_BUILTINS:
                errors.append("%s: variable $%s is not defined" % (where, var))
    return exprs, errors, count


# ------------------------------------------------------------------ rules


def load_rule_exprs(path):
    """Returns (exprs, errors) from a Prometheus rule file."""
    text = open(path, encoding="utf-8").read()
    errors = []
    try:
        import yaml  # noqa: PLC0415 (optional)
    except ImportError:
        yaml = None
    if yaml is not None:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as e:
            return [], ["%s: not YAML: %s" % (path, e)]
        exprs = []
        groups = (doc or {}).get("groups")
        if not isinstance(groups, list) or not groups:
            return [], ["%s: no groups" % path]
        for g in groups:
            gname = g.get("name")
            if not gname:
                errors.append("a group has no name")
            for r in g.get("rules") or []:
                name = r.get("alert") or r.get("record")
                where = "group %s rule %s" % (gname, name)
                if not name:
                    errors.append("%s: neither alert nor record" % where)
                if not isinstance(r.get("expr"), str) or not r["expr"].strip():
                    errors.append("%s: no expr" % where)
                    continue
                if "for" in r and not re.fullmatch(r"(?:[0-9]+(?:ms|[smhdwy]))+", str(r["for"])):
                    errors.append("%s: bad for: %r" % (where, r["for"]))
                exprs.append((where, r["expr"], False))
        return exprs, errors
    # No PyYAML: `expr:` values, single-line or block scalars (| or >).
    exprs, lines = [], text.split("\n")
    k = 0
    while k < len(lines):
        m = re.match(r"^(\s*)(?:-\s+)?expr:\s*(.*)$", lines[k])
        if not m:
            k += 1
            continue
        indent, value = len(m.group(1)), m.group(2).strip()
        where = "line %d" % (k + 1)
        k += 1
        if value[:1] in ("|", ">"):
            body = []
            while k < len(lines) and (not lines[k].strip() or len(lines[k]) - len(lines[k].lstrip()) > indent):
                body.append(lines[k])
                k += 1
            value = "\n".join(body)
        elif value[:1] in ("'", '"'):
            q = value[0]
            value = value[1:value.rindex(q)] if value.count(q) >= 2 else value[1:]
            value = value.replace("''", "'") if q == "'" else value.replace('\\"', '"')
        exprs.append((where, value, False))
    if not exprs:
        errors.append("%s: no expr: entries" % path)
    return exprs, errors


# ------------------------------------------------------------------ main


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", help="a Grafana dashboard JSON, or a rule file with --rules")
    ap.add_argument("scrape", nargs="?", help="a /metrics body (Prometheus text format)")
    ap.add_argument("--rules", action="store_true", help="FILE is a Prometheus rule file (YAML)")
    ap.add_argument("--list", action="store_true", help="print the metric names referenced and stop")
    args = ap.parse_args(argv)

    try:
        if args.rules:
            exprs, errors = load_rule_exprs(args.file)
            panels = None
        else:
            with open(args.file, encoding="utf-8") as f:
                d = json.load(f)
            exprs, errors, panels = check_dashboard(d)
    except (OSError, ValueError) as e:
        print("error: %s: %s" % (args.file, e), file=sys.stderr)
        return 2

    names = set()
    for where, expr, is_query in exprs:
        try:
            found, problems = grafana_query_names(expr) if is_query else metric_names(expr)
        except ExprError as e:
            errors.append("%s: cannot read the expression: %s" % (where, e))
            continue
        names.update(found)
        errors.extend("%s: %s" % (where, p) for p in problems)
        if not found and not is_query:
            errors.append("%s: refers to no metric: %r" % (where, expr))

    if args.list:
        for name in sorted(names):
            print(name)
        for e in errors:
            print("error: " + e, file=sys.stderr)
        return 1 if errors else 0

    for e in errors:
        print("error: " + e)
    what = "%d expressions" % len(exprs) + ("" if panels is None else " in %d panels" % panels)
    if args.scrape is None:
        print("%s: %s, %d metric names: %s" % ("errors" if errors else "structure ok", what, len(names),
                                                " ".join(sorted(names))))
        return 1 if errors else 0

    try:
        types, samples = load_scrape(args.scrape)
    except OSError as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    missing, synthetic = check_names(names, types, samples)
    for name in synthetic:
        print("note: %s is added by Prometheus, not exported by the member: not looked for" % name)
    for name, why in missing:
        print("missing: %s (%s)" % (name, why))
    if missing or errors:
        print("FAILED: %d of %d metrics referenced missing, %d structure errors (%s)"
              % (len(missing), len(names), len(errors), what))
        return 1
    print("ok: %d metrics referenced, all present" % len(names))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
